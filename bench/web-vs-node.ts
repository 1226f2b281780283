/**
 * Steps per second of the in-tab trainer (`thinkrl web`, headless Chromium: threaded Wasm, and WebGPU where the
 * browser has an adapter — SwiftShader, a CPU emulation, on a machine without a GPU) against the same session in
 * Node (jax-js Wasm, worker-thread pool) on this machine: 8 prompts × 4 completions, steps 2…N (step 1 compiles).
 * Prints one table with the machine's load average.
 *
 *   npm run build && npx tsx bench/web-vs-node.ts [steps, default 6] [WebGPU steps, default 3; 0 = skip]
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { initEngine } from "../src/engine/init.js";
import { startWebServer } from "../src/web/server.js";

const steps = Number(process.argv[2] ?? 6);
const gpuSteps = Number(process.argv[3] ?? 3);
const ROOT = join(import.meta.dirname, "..");
const modelDir = join(ROOT, "assets", "default-model");
const settings = { seed: 0, promptsPerStep: 8, numGenerations: 4, evalProblems: 4 };
/** Steps/s over steps 2…N, and the first step's seconds. */
const rate = (secs: number[]) => ({ perSecond: (secs.length - 1) / secs.slice(1).reduce((a, b) => a + b, 0), first: secs[0]!, n: secs.length });
const load0 = loadavg()[0]!;

const s = await startWebServer({ modelDir, port: 0 });
const browser: Browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu"] });
async function tab(device: "wasm" | "webgpu", maxSteps: number): Promise<{ status: string; r: ReturnType<typeof rate> } | null> {
  const page = await browser.newPage();
  try {
    await page.goto(`${s.url}?device=${device}`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 120_000 });
    const status = (await page.textContent("#status")) ?? "";
    const rows = (await page.evaluate(`window.thinkrlWeb.start(${JSON.stringify({ ...settings, maxSteps })})`)) as { step_seconds: number }[];
    return { status, r: rate(rows.map((m) => m.step_seconds)) };
  } catch (e) {
    console.error(`${device} in the tab: ${(e as Error).message.split("\n")[0]}`);
    return null;
  } finally {
    await page.close();
  }
}
const wasm = await tab("wasm", steps);
const gpu = gpuSteps > 0 ? await tab("webgpu", gpuSteps) : null;
await browser.close();
await s.close();

await initEngine("wasm");
const { loadModelFiles } = await import("../src/model/load.js");
const { WebSession } = await import("../src/web/session.js");
const session = new WebSession((await loadModelFiles(modelDir)).model, { ...settings, maxSteps: steps, learningRate: 1e-4 });
const node: { step_seconds: number }[] = [];
await session.train((m) => void node.push(m as { step_seconds: number }));
const n = rate(node.map((m) => m.step_seconds));

const row = (name: string, x: { status?: string; r: ReturnType<typeof rate> } | null) =>
  x ? `| ${name} | ${x.status ?? ""} | ${x.r.n} | ${x.r.first.toFixed(1)} s | ${x.r.perSecond.toFixed(3)} | ${(x.r.perSecond / n.perSecond).toFixed(2)}× |` : `| ${name} | not run | | | | |`;
console.log(`8 prompts × 4 completions per step; steps/s over steps 2…N; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} (${navigator.hardwareConcurrency} cores)`);
console.log("| where | engine | steps | step 1 | steps/s | vs Node |\n|---|---|---|---|---|---|");
console.log(row("Chromium tab", wasm));
console.log(row("Chromium tab", gpu));
console.log(row("Node", { status: "jax-js Wasm, worker threads", r: n }));
