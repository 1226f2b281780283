/**
 * One GRPO step of the in-tab trainer (`thinkrl web`) on WebGPU in headless Chromium — on a machine without a GPU that
 * is SwiftShader, so this runs the jax-js WebGPU patch's kernels (tiled matmuls, batched submits) through the real
 * model: generation, log-probs, backward, AdamW — against the same session in Node on jax-js Wasm with the same seed.
 * Prints what the patch recorded (submits, tiled matmul shapes) and every step-1 metric that differs by more than
 * 1e-6 relative. A correctness check, not a timing (SwiftShader is a CPU).
 *
 *   npm run build && npx tsx bench/web-webgpu-parity.ts
 */
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startWebServer } from "../src/web/server.js";
const ROOT = join(import.meta.dirname, "..");
const modelDir = join(ROOT, "assets", "default-model");
const s = await startWebServer({ modelDir, assetsDir: join(ROOT, "dist", "dashboard"), port: 0 });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu"] });
const page = await browser.newPage();
const errors: string[] = [];
page.on("pageerror", (e) => errors.push(e.message));
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
await page.goto(`${s.url}?device=webgpu`);
await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 }).catch(() => {});
console.log("status:", await page.textContent("#status"));
const settings = { seed: 0, maxSteps: 1, promptsPerStep: 8, numGenerations: 4, evalProblems: 16 };
const t0 = Date.now();
const tab = (await page.evaluate((o) => (window as unknown as { thinkrlWeb: { start(o: object): Promise<Record<string, number>[]> } }).thinkrlWeb.start(o), settings)) as Record<string, number>[];
console.log("webgpu step took", Date.now() - t0, "ms; stats:", JSON.stringify(await page.evaluate(() => { const st = (globalThis as unknown as { __jaxjsWebgpuStats?: { submits: number; matmuls: { batch: number[]; M: number; N: number; K: number }[] } }).__jaxjsWebgpuStats; return st ? { submits: st.submits, matmuls: st.matmuls.length, shapes: st.matmuls.map((m) => `${m.batch.join("x")}[${m.M}x${m.N}x${m.K}]`) } : null; })));
console.log("errors:", errors);
await browser.close();
await s.close();
const { initEngine } = await import("../src/engine/init.js");
await initEngine("wasm");
const { loadModelFiles } = await import("../src/model/load.js");
const { WebSession } = await import("../src/web/session.js");
const session = new WebSession((await loadModelFiles(modelDir)).model, { ...settings, learningRate: 1e-4 });
const stop = new AbortController();
const node: Record<string, number>[] = [];
await session.train((m) => { node.push(m); stop.abort(); }, stop.signal);
session.dispose();
const keys = Object.keys(tab[0]!).filter((k) => !k.startsWith("time/") && k !== "step_seconds" && k !== "tokens_per_second");
let worst = 0;
for (const k of keys) {
  const a = tab[0]![k]!, b = node[0]![k]!;
  const rel = Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
  if (rel > 1e-6) console.log(k, "webgpu", a, "wasm", b, "rel", rel.toExponential(2));
  worst = Math.max(worst, rel);
}
console.log("keys compared:", keys.length, "worst rel diff:", worst);
process.exit(0);
