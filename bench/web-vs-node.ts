/**
 * Steps per second of the in-tab trainer (`thinkrl web`, headless Chromium, threaded Wasm) against the same session
 * in Node (jax-js Wasm, worker-thread pool) on this machine: 8 prompts × 4 completions, steps 2…N (step 1 compiles).
 *
 *   npm run build && npx tsx bench/web-vs-node.ts [steps, default 6]
 */
import { join } from "node:path";
import { chromium } from "playwright-core";
import { initEngine } from "../src/engine/init.js";
import { startWebServer } from "../src/web/server.js";

const steps = Number(process.argv[2] ?? 6);
const ROOT = join(import.meta.dirname, "..");
const modelDir = join(ROOT, "assets", "default-model");
const settings = { seed: 0, maxSteps: steps, promptsPerStep: 8, numGenerations: 4, evalProblems: 4 };
const rate = (secs: number[]) => (secs.length - 1) / secs.slice(1).reduce((a, b) => a + b, 0);

const s = await startWebServer({ modelDir, port: 0 });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless=new", "--no-sandbox"] });
const page = await browser.newPage();
await page.goto(`${s.url}?device=wasm`);
await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
const status = await page.textContent("#status");
const tab = (await page.evaluate(`window.thinkrlWeb.start(${JSON.stringify(settings)})`)) as { step_seconds: number }[];
await browser.close();
await s.close();

await initEngine("wasm");
const { loadModelFiles } = await import("../src/model/load.js");
const { WebSession } = await import("../src/web/session.js");
const session = new WebSession((await loadModelFiles(modelDir)).model, { ...settings, learningRate: 1e-4 });
const node: { step_seconds: number }[] = [];
await session.train((m) => void node.push(m as { step_seconds: number }));
console.log(`tab (${status}): ${rate(tab.map((m) => m.step_seconds)).toFixed(3)} steps/s; node: ${rate(node.map((m) => m.step_seconds)).toFixed(3)} steps/s (steps 2–${steps}, 8 prompts × 4)`);
