/**
 * thinkrl's pages in a real browser — Debian's Chromium through playwright-core, one browser for every browser test
 * (they all live in this file). The dashboard: the tests
 * read the rendered page — each chart's drawn points, a row appended to metrics.jsonl appearing live, alerts, the
 * completions browser — and check that hostile completions render as text, on the served page and in an exported
 * report opened from file:// with no network. `thinkrl web`: the in-tab trainer runs 3 GRPO steps on threaded Wasm
 * and its step-1 metrics equal a Node Wasm run of the same session code with the same seed; the maths verifier runs
 * in a Web Worker; and a WebGPU smoke test (SwiftShader, Chromium's CPU implementation of a GPU, where there is no
 * GPU) compares one forward/backward pass with Node's Wasm numbers.
 */
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildDashboardAssets } from "../../scripts/build-dashboard.js";
import { exportReport } from "../../src/dashboard/export.js";
import { openRuns } from "../../src/dashboard/run-reader.js";
import { loadAssets, startDashboard, type DashboardAssets, type DashboardServer } from "../../src/dashboard/server.js";
import { startWebServer } from "../../src/web/server.js";
import { CHROMIUM, CHROMIUM_PATH, describeNeeding } from "../helpers/requirements.js";
import { fixtureMetrics, HOSTILE_COMPLETIONS, writeFixtureRun } from "../helpers/run-fixture.js";

let dir = "";
let browser: Browser;
let assets: DashboardAssets;
const servers: DashboardServer[] = [];

beforeAll(async () => {
  if (!CHROMIUM.available) return;
  dir = await mkdtemp(join(tmpdir(), "thinkrl-dash-browser-"));
  await buildDashboardAssets(join(dir, "assets"));
  assets = await loadAssets(join(dir, "assets"));
  await writeFixtureRun(join(dir, "a"), { steps: 40, hostile: true, junk: '{"step": 41, "rew\n' });
  await writeFixtureRun(join(dir, "b"), { steps: 30, seed: 1 });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu"] });
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function serve(...runs: string[]): Promise<DashboardServer> {
  const s = await startDashboard({ runs: await openRuns(runs.map((r) => join(dir, r))), assets, port: 0 });
  servers.push(s);
  return s;
}

/** Opens `url` and waits for the page to have drawn; page errors fail the test. */
async function open(url: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 10_000 });
  return { page, errors, requests };
}

/** `panel id → drawn points` as the page shows them. */
const panelPoints = (page: Page) => page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll<HTMLElement>("[data-panel]")).map((e) => [e.dataset.panel!, Number(e.dataset.points)])));

describeNeeding(CHROMIUM, "dashboard page", () => {
  test("each chart draws one point per step of the fixture run; alerts and skipped lines are shown", async () => {
    const s = await serve("a");
    const { page, errors } = await open(s.url);
    const points = await panelPoints(page);
    expect(Object.keys(points)).toContain("length");
    for (const [id, n] of Object.entries(points)) expect([id, n]).toEqual([id, id === "heldout" ? 2 : 40]);
    expect(await page.locator("canvas").count()).toBe(Object.keys(points).length);
    expect(await page.locator("[data-alert=truncation]").textContent()).toContain("7.0% of completions truncated at step 40");
    expect(await page.locator("header").textContent()).toContain("1 malformed line skipped in metrics.jsonl");
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a row appended to metrics.jsonl appears within 2 s without a reload", async () => {
    const s = await serve("b");
    const { page } = await open(s.url);
    expect((await panelPoints(page)).reward).toBe(30);
    const t0 = performance.now();
    await appendFile(join(dir, "b", "metrics.jsonl"), JSON.stringify(fixtureMetrics(31, 1)) + "\n");
    await page.waitForFunction(() => document.querySelector<HTMLElement>("[data-panel=reward]")!.dataset.points === "31", null, { timeout: 2500 });
    expect(performance.now() - t0).toBeLessThan(2500);
    await page.close();
  });

  test("two runs overlay: each panel draws both runs' series", async () => {
    const s = await serve("a", "b");
    const { page } = await open(s.url);
    const series = await page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll<HTMLElement>("[data-panel]")).map((e) => [e.dataset.panel!, Number(e.dataset.series)])));
    expect(series.entropy).toBe(2);
    expect(series.reward).toBe(6); // reward + 2 reward functions, per run
    expect(await page.locator(".run-chip").allTextContents()).toEqual([expect.stringContaining("a"), expect.stringContaining("b")]);
    await page.close();
  });

  test("hostile completions render as text; filters and paging work", async () => {
    const s = await serve("a");
    const { page, errors } = await open(s.url);
    const cells = await page.locator("#completions pre.completion").allTextContents();
    for (const h of HOSTILE_COMPLETIONS) expect(cells).toContain(h);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("#completions img, #completions b").count()).toBe(0);
    await page.click("button[data-filter=truncated]");
    await page.waitForFunction(() => document.querySelector("[data-total]")?.getAttribute("data-total") === "2");
    expect(await page.locator("#completions tbody tr.truncated, #completions tbody tr:not(.truncated)").count()).toBe(2);
    await page.selectOption("#c-prompt", { index: 1 });
    await page.waitForSelector(".compare-col");
    expect(await page.locator(".compare-col").count()).toBe(8); // prompt 3247-904 at steps 5, 10, …, 40
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the exported report opens from file:// with no network, same charts, completions as text", async () => {
    const file = join(dir, "report.html");
    await exportReport(await openRuns([join(dir, "a")]), file, assets);
    const html = await readFile(file, "utf8");
    expect(html).not.toContain("window.__pwned = 1</script>");
    const { page, errors, requests } = await open(pathToFileURL(file).href);
    expect(requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:"))).toEqual([]);
    const points = await panelPoints(page);
    expect(points.reward).toBe(40);
    expect(points.heldout).toBe(2);
    const cells = await page.locator("#completions pre.completion").allTextContents();
    for (const h of HOSTILE_COMPLETIONS) expect(cells).toContain(h);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });
});

/** `thinkrl web`'s server, started once for the tests below. */
let web: DashboardServer | null = null;
async function webServer(): Promise<DashboardServer> {
  const { ROOT } = await import("../helpers/cli.js");
  web ??= await startWebServer({ modelDir: join(ROOT, "assets", "default-model"), assetsDir: join(dir, "assets"), port: 0 });
  if (!servers.includes(web)) servers.push(web);
  return web;
}

/** A `WebSession` in Node on jax-js Wasm (worker-thread pool): the reference the tab's numbers are compared with. */
async function nodeSession(settings: { seed: number; maxSteps: number; promptsPerStep: number; numGenerations: number; evalProblems: number }) {
  const { ROOT } = await import("../helpers/cli.js");
  const { initEngine } = await import("../../src/engine/init.js");
  await initEngine("wasm");
  const { loadModelFiles } = await import("../../src/model/load.js");
  const { WebSession } = await import("../../src/web/session.js");
  return new WebSession((await loadModelFiles(join(ROOT, "assets", "default-model"))).model, { ...settings, learningRate: 1e-4 });
}

type WebHooks = {
  start(o: object): Promise<Record<string, number>[]>;
  forwardBackward(rows: number): Promise<Record<string, number>>;
  verify(gold: string, pred: string, o?: object): Promise<boolean>;
  checker: { workersStarted: number };
};

/** The wasm page, opened by the first test that needs it and kept for the others. */
let wasmPage: { page: Page; errors: string[] } | null = null;
async function openWasmPage(): Promise<{ page: Page; errors: string[] }> {
  wasmPage ??= await open(`${(await webServer()).url}?device=wasm`);
  return wasmPage;
}

describeNeeding(CHROMIUM, "thinkrl web: GRPO in the tab", () => {
  test("8 prompts × 4 samples, 3 steps on threaded Wasm; step 1 equals Node's with the same seed", async () => {
    const { page, errors } = await openWasmPage();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true); // COOP/COEP: SharedArrayBuffer, Wasm threads
    expect(await page.textContent("#status")).toMatch(/^ready: wasm with \d+ thread/);
    const settings = { seed: 0, maxSteps: 3, promptsPerStep: 8, numGenerations: 4, evalProblems: 16 };
    const tab = (await page.evaluate((o) => (window as unknown as { thinkrlWeb: WebHooks }).thinkrlWeb.start(o), settings)) as Record<string, number>[];
    expect(tab.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(await page.locator("[data-panel=reward]").getAttribute("data-points")).toBe("3");
    expect(await page.textContent("#accuracy")).toMatch(/before \d+\.\d% → after \d+\.\d%/);
    expect(errors).toEqual([]);

    // The same session code in Node (jax-js Wasm, worker-thread pool), the same seed: the same step 1.
    const session = await nodeSession(settings);
    const stop = new AbortController();
    const node: Record<string, number>[] = [];
    await session.train((m) => {
      node.push(m);
      stop.abort();
    }, stop.signal);
    session.dispose();
    const timing = (k: string) => k.startsWith("time/") || k === "step_seconds" || k === "tokens_per_second";
    // What sampling decided — completions, rewards, lengths, groups — is identical; float32 reductions over the
    // thread pool (entropy, gradient norm) may land in another order: measured differences ≤ 4e-7 relative.
    const keys = Object.keys(tab[0]!).filter((k) => !timing(k));
    expect(keys.sort()).toEqual(Object.keys(node[0]!).filter((k) => !timing(k)).sort());
    const exact = keys.filter((k) => /^(step|reward|accuracy|frac_reward_zero_std|num_|completions\/|rewards\/|aha\/|learning_rate)/.test(k));
    expect(exact.length).toBeGreaterThan(12);
    for (const k of exact) expect([k, tab[0]![k]]).toEqual([k, node[0]![k]]);
    for (const k of keys) expect(Math.abs(tab[0]![k]! - node[0]![k]!), k).toBeLessThanOrEqual(1e-5 * Math.abs(node[0]![k]!) + 1e-12);
  });

  test("the maths verifier runs in a Web Worker: a slow check leaves the page responsive, a check past its limit is cut off", async () => {
    const { page, errors } = await openWasmPage();
    // ~150 terms: a few hundred ms of Compute Engine work (0.46 s in Node here) — the page's thread keeps running
    // timers meanwhile; inline, the check would hold it for the whole time.
    const n = 150;
    const gold = Array.from({ length: n }, (_, i) => `\\sin(${i}x)`).join("+");
    const pred = Array.from({ length: n }, (_, i) => `\\sin(${n - 1 - i}x)`).join("+");
    const r = await page.evaluate(
      async ([gold, pred]) => {
        const app = (window as unknown as { thinkrlWeb: WebHooks }).thinkrlWeb;
        const before = app.checker.workersStarted;
        let ticks = 0;
        const timer = setInterval(() => ticks++, 10);
        const t0 = performance.now();
        const slow = await app.verify(gold!, pred!);
        const ms = performance.now() - t0;
        clearInterval(timer);
        const cut = await app.verify(gold!, pred!, { timeoutMs: 1 }); // terminated mid-check → false
        const after = await app.verify("\\sin^2 x+\\cos^2 x", "1"); // a fresh worker takes the next check
        return { slow, ms, ticks, cut, after, workers: app.checker.workersStarted - before };
      },
      [gold, pred],
    );
    expect(r).toMatchObject({ slow: true, cut: false, after: true });
    expect(r.workers).toBeGreaterThanOrEqual(2); // the time-out replaced the worker
    expect(r.ticks).toBeGreaterThanOrEqual(Math.min(10, (r.ms / 10) * 0.25)); // the page's timers ran during the check
    expect(errors).toEqual([]);
  });

  test("WebGPU smoke test: one forward/backward on WebGPU equals Node's Wasm numbers (or a named skip without an adapter)", async (ctx) => {
    const { page } = await openWasmPage();
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { vendor: string; architecture: string } } | null> } }).gpu;
      const a = await gpu?.requestAdapter();
      return a ? `${a.info?.vendor ?? "?"}/${a.info?.architecture ?? "?"}` : null;
    });
    if (adapter === null) {
      // Debian's chromium ships SwiftShader's Vulkan driver (chromium-common: /usr/lib/chromium/libvk_swiftshader.so),
      // so CI, which installs it, must have an adapter.
      const why = "no WebGPU adapter in headless Chromium (Debian's chromium provides a SwiftShader one)";
      if (process.env[CHROMIUM.requireEnv] === "1") throw new Error(`${CHROMIUM.requireEnv}=1 but ${why}`);
      console.warn(`1 WebGPU test skipped: ${why}`);
      ctx.skip();
    }
    const gpu = await open(`${(await webServer()).url}?device=webgpu`);
    expect(await gpu.page.textContent("#status")).toBe("ready: webgpu");
    const session = await nodeSession({ seed: 0, maxSteps: 1, promptsPerStep: 2, numGenerations: 2, evalProblems: 2 });
    const [tab, node] = await Promise.all([gpu.page.evaluate(() => (window as unknown as { thinkrlWeb: WebHooks }).thinkrlWeb.forwardBackward(2)), session.forwardBackward(2)]);
    session.dispose();
    expect(tab.tokens).toBe(node.tokens);
    // float32 on another device (SwiftShader's reductions, exp and log): measured ≤ 9e-6 relative here.
    for (const k of ["logpSum", "entropy", "gradNorm"] as const) expect(Math.abs(tab[k]! - node[k]!), `${k}: webgpu ${tab[k]} vs wasm ${node[k]}`).toBeLessThanOrEqual(1e-4 * Math.abs(node[k]!));
    expect(Math.abs(tab.loss! - node.loss!)).toBeLessThanOrEqual(1e-6);
    expect(gpu.errors).toEqual([]);
    await gpu.page.close();
  });
});
