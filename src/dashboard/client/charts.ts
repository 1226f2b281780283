/**
 * One chart panel on uPlot: the series of every run for the panel's keys on a shared step axis (runs overlay), an
 * optional min–max band, percentage axes for shares. `data-points` / `data-series` on the panel element record what
 * was drawn (the number of non-empty points of its longest series, and the series count) for people and tests.
 */
import uPlot from "uplot";
import type { Panel } from "../layout.js";
import type { Row } from "./source.js";

/** Line colours, one per (run, key) in order (Okabe–Ito, colour-blind safe, then a few more). */
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F", "#332288", "#AA4499", "#117733"];

/** Dash patterns telling a panel's keys apart when colours tell runs apart (solid, dashed, dotted, dash-dot). */
const DASHES: (number[] | undefined)[] = [undefined, [6, 4], [2, 3], [8, 3, 2, 3]];

/** Tick spacings of the step axis: whole steps only. */
const STEP_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000];

export interface ChartRun {
  name: string;
  rows: readonly Row[];
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** x values (the union of the runs' steps) and one aligned y array per (run, key), plus band arrays. */
export function alignedData(panel: Panel, runs: readonly ChartRun[]): { data: uPlot.AlignedData; labels: string[]; bandPairs: [number, number][] } {
  const steps = new Set<number>();
  for (const r of runs) for (const row of r.rows) if (typeof row.step === "number") steps.add(row.step);
  const xs = Float64Array.from([...steps].sort((a, b) => a - b));
  const index = new Map<number, number>();
  xs.forEach((s, i) => index.set(s, i));
  const ys: (number | null)[][] = [];
  const labels: string[] = [];
  const bandPairs: [number, number][] = [];
  const column = (r: ChartRun, key: string) => {
    const y: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    for (const row of r.rows) if (typeof row.step === "number") y[index.get(row.step)!] = num(row[key]);
    return y;
  };
  for (const r of runs) {
    const prefix = runs.length > 1 ? `${r.name} · ` : "";
    for (const k of panel.keys) {
      ys.push(column(r, k));
      labels.push(prefix + k);
    }
    if (panel.band) {
      ys.push(column(r, panel.band.high), column(r, panel.band.low));
      labels.push(`${prefix}${panel.band.high}`, `${prefix}${panel.band.low}`);
      bandPairs.push([ys.length - 1, ys.length]); // uPlot series indices (0 is x) of the two just pushed
    }
  }
  return { data: [xs as unknown as number[], ...ys] as uPlot.AlignedData, labels, bandPairs };
}

function fmtValue(v: number | null, percent: boolean | undefined): string {
  if (v === null || v === undefined) return "–";
  if (percent) return `${(100 * v).toFixed(1)}%`;
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(1).replace("e-", "e−") : Number(v.toPrecision(4)).toString();
}

/**
 * The y range: uPlot's default, except for a flat series (all zeros would span 0–100, shown as 10000% on a share
 * axis): shares get 0–5%, other values ±10% around the value (0–1 for zeros).
 */
function yRange(min: number | null, max: number | null, percent: boolean): uPlot.Range.MinMax {
  if (min === null || max === null) return percent ? [0, 0.05] : [0, 1];
  if (max - min > 1e-12 * Math.max(1, Math.abs(max))) {
    const pad = (max - min) * 0.05;
    return [percent && min >= 0 && min - pad < 0 ? 0 : min - pad, max + pad];
  }
  if (percent) return [Math.min(0, min), Math.max(0.05, max * 1.1)];
  return min === 0 ? [0, 1] : [Math.min(min * 0.9, min * 1.1), Math.max(max * 0.9, max * 1.1)];
}

/** A drawn panel: its element and its chart (updated in place as rows arrive). */
export class ChartPanel {
  readonly el: HTMLElement;
  #plot: uPlot | null = null;
  #host: HTMLElement;
  #signature = "";

  constructor(readonly panel: Panel) {
    this.el = document.createElement("section");
    this.el.className = "card chart-card";
    this.el.id = `panel-${panel.id}`;
    this.el.dataset.panel = panel.id;
    const h = document.createElement("h3");
    h.textContent = panel.title;
    this.el.append(h);
    this.#host = document.createElement("div");
    this.#host.className = "chart";
    this.el.append(this.#host);
  }

  /** Draws (or redraws) the runs' rows. */
  update(runs: readonly ChartRun[]): void {
    const { data, labels, bandPairs } = alignedData(this.panel, runs);
    const longest = data.slice(1).reduce((n, ys) => Math.max(n, (ys as (number | null)[]).filter((v) => v !== null).length), 0);
    this.el.dataset.points = String(longest);
    this.el.dataset.series = String(data.length - 1);
    const signature = labels.join("\n");
    if (this.#plot && signature === this.#signature) {
      this.#plot.setData(data);
      return;
    }
    this.#signature = signature;
    this.#plot?.destroy();
    const p = this.panel;
    const perRun = p.keys.length + (p.band ? 2 : 0);
    const series: uPlot.Series[] = [{ label: "step" }];
    labels.forEach((label, i) => {
      const run = Math.floor(i / perRun);
      const k = i % perRun;
      const isBand = k >= p.keys.length;
      // One run: a colour per key. Several runs: a colour per run (its swatch in the header), a dash pattern per key.
      const multi = runs.length > 1;
      const keyIdx = Math.min(k, p.keys.length - 1);
      const color = PALETTE[(multi ? run : keyIdx) % PALETTE.length]!;
      series.push({
        label,
        stroke: isBand ? `${color}55` : color,
        width: isBand ? 1 : 1.75,
        dash: multi && !isBand ? DASHES[keyIdx % DASHES.length] : undefined,
        spanGaps: true,
        points: { show: p.source === "evals" ? true : undefined, size: 6 },
        value: (_u, v) => fmtValue(v, p.percent),
      });
    });
    const bands: uPlot.Band[] = bandPairs.map(([hi, lo], j) => ({ series: [hi, lo], fill: `${PALETTE[(runs.length > 1 ? j : 0) % PALETTE.length]}22` }));
    const width = Math.max(280, this.#host.clientWidth || 480);
    const opts: uPlot.Options = {
      width,
      height: 220,
      series,
      bands,
      scales: { x: { time: false }, y: { range: (_u, min, max) => yRange(min, max, p.percent === true) } },
      axes: [
        { label: "step", size: 36, labelSize: 16, grid: { stroke: "#eee" }, incrs: STEP_INCREMENTS },
        { size: 64, grid: { stroke: "#eee" }, values: (_u, vals) => vals.map((v) => fmtValue(v, p.percent)) },
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    this.#plot = new uPlot(opts, data, this.#host);
  }

  /** Fits the chart to its card's width. */
  resize(): void {
    if (this.#plot) this.#plot.setSize({ width: Math.max(280, this.#host.clientWidth), height: 220 });
  }

  destroy(): void {
    this.#plot?.destroy();
    this.el.remove();
  }
}
