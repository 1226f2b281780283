/**
 * How fast the dashboard's charting library draws long runs, in headless Chromium: a panel of 3 series × N points
 * (first draw, then a live update that appends one point and redraws), for uPlot (the library the page bundles) and,
 * when its UMD file is given, Chart.js 4 for comparison (decimation off, animation off — the live-dashboard setting).
 *
 *   npx tsx bench/dashboard-charts.ts [path/to/chart.umd.min.js]
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const uplotJs = await readFile(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");
const uplotCss = await readFile(require.resolve("uplot/dist/uPlot.min.css"), "utf8");
const chartJs = process.argv[2] ? await readFile(process.argv[2], "utf8") : null;

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless=new", "--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.setContent(`<style>${uplotCss}</style><div id="u"></div><canvas id="c" width="600" height="220"></canvas>`);
await page.addScriptTag({ content: uplotJs });
if (chartJs) await page.addScriptTag({ content: chartJs });

/** Runs in the page: median first-draw and live-update times (ms) of a 3-series chart with n points. */
const BROWSER_CODE = `async function (n, withChart) {
  // uPlot draws in a microtask after the call: wait for it (a few awaits) so the time includes the drawing.
  const flushed = async () => { for (let i = 0; i < 3; i++) await 0; };
  const xs = Array.from({ length: n }, (_, i) => i + 1);
  const ys = [0, 1, 2].map((k) => xs.map((x) => Math.sin(x / 50 + k) + Math.random() * 0.1));
  const median = (a) => a.sort((p, q) => p - q)[Math.floor(a.length / 2)];
  const out = {};
  const firsts = [], updates = [];
  for (let rep = 0; rep < 5; rep++) {
    let t0 = performance.now();
    const u = new uPlot({ width: 600, height: 220, series: [{}, { stroke: "red" }, { stroke: "blue" }, { stroke: "green" }], scales: { x: { time: false } } }, [xs, ...ys], document.getElementById("u"));
    await flushed();
    firsts.push(performance.now() - t0);
    const d2 = [[...xs, n + 1], ...ys.map((y) => [...y, 0])];
    t0 = performance.now();
    u.setData(d2);
    await flushed();
    updates.push(performance.now() - t0);
    u.destroy();
  }
  out.uplot_first_ms = median(firsts);
  out.uplot_update_ms = median(updates);
  if (withChart) {
    const cf = [], cu = [];
    for (let rep = 0; rep < 3; rep++) {
      let t0 = performance.now();
      const c = new Chart(document.getElementById("c"), { type: "line", data: { labels: xs, datasets: ys.map((y) => ({ data: y, pointRadius: 0, borderWidth: 1 })) }, options: { animation: false, responsive: false } });
      cf.push(performance.now() - t0);
      c.data.labels.push(n + 1);
      for (const d of c.data.datasets) d.data.push(0);
      t0 = performance.now();
      c.update("none");
      cu.push(performance.now() - t0);
      c.destroy();
    }
    out.chartjs_first_ms = median(cf);
    out.chartjs_update_ms = median(cu);
  }
  return out;
}`;

for (const n of [1000, 10_000, 100_000]) {
  // Plain JavaScript text: tsx would wrap a TypeScript function with helpers the page does not have.
  const r = (await page.evaluate(`(${BROWSER_CODE})(${n}, ${chartJs !== null})`)) as Record<string, number>;
  console.log(`${n} points × 3 series: ${Object.entries(r).map(([k, v]) => `${k} ${v.toFixed(1)}`).join("  ")}`);
}
await browser.close();
