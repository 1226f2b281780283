/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core, one browser for the file): the tests
 * read the rendered page — each chart's drawn points, a row appended to metrics.jsonl appearing live, alerts, the
 * completions browser — and check that hostile completions render as text, on the served page and in an exported
 * report opened from file:// with no network.
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
