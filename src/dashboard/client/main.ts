/**
 * The dashboard page: a header naming the runs, alerts, the chart panels (`../layout.ts`, redrawn as rows arrive:
 * the page polls the server every second while it is live) and the completions browser. Every value from a run
 * (names, metric keys, completions, prompts, answers) is put into the page as text (`textContent`), never as HTML.
 */
import { plural } from "../../core/log.js";
import { runAlerts } from "../alerts.js";
import { COMPLETION_FILTERS, isCorrect, isTruncated, type CompletionFilter, type CompletionRow } from "../completions.js";
import { keysOf, layoutPanels } from "../layout.js";
import { DATA_ELEMENT_ID } from "../page.js";
import type { ReportData } from "../export.js";
import type { RunInfo } from "../run-reader.js";
import { ChartPanel, PALETTE, type ChartRun } from "./charts.js";
import { HttpSource, InlineSource, type CompletionIndex, type DataSource, type Row } from "./source.js";

/** How often a live page asks for new rows (ms). */
const POLL_MS = 1000;
/** Completions per page in the browser. */
const PAGE_SIZE = 20;

interface RunState {
  info: RunInfo;
  metrics: Row[];
  evals: Row[];
  gen: { metrics: number; evals: number };
}

/** `el("div", {className: "x"}, "text", child)`: an element with properties and text/element children. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {}, ...children: (string | Node)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(e, rest);
  if (dataset) Object.assign(e.dataset, dataset);
  for (const c of children) e.append(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}

/** A small colour square (the run's colour in the charts). */
function swatch(color: string): HTMLSpanElement {
  const s = el("span", { className: "swatch" });
  s.style.background = color;
  return s;
}

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? "–" : Number(v.toFixed(digits)).toString());

class App {
  readonly runs: RunState[] = [];
  panels = new Map<string, ChartPanel>();
  panelKeys = "";
  readonly root: HTMLElement;
  readonly header = el("header", { className: "top" });
  readonly alerts = el("div", { id: "alerts" });
  readonly grid = el("div", { id: "charts", className: "grid" });
  readonly browser = el("section", { id: "completions", className: "card" });
  completionIndex: CompletionIndex[] = [];
  cq = { run: 0, step: null as number | null, filter: "all" as CompletionFilter, offset: 0, prompt: null as string | null };
  completionRows = -1;

  constructor(readonly source: DataSource) {
    this.root = document.getElementById("app")!;
  }

  async start(): Promise<void> {
    const infos = await this.source.runs();
    for (const info of infos) this.runs.push({ info, metrics: [], evals: [], gen: { metrics: -1, evals: -1 } });
    this.root.replaceChildren(this.header, this.alerts, this.grid, this.browser);
    await this.refresh(infos);
    if (this.source.live) {
      const tick = async () => {
        try {
          await this.refresh(await this.source.runs());
          document.body.dataset.state = "live";
        } catch (e) {
          document.body.dataset.state = "offline";
          this.setStatus(`server not answering (${(e as Error).message}); retrying`);
        }
        setTimeout(() => void tick(), POLL_MS);
      };
      setTimeout(() => void tick(), POLL_MS);
    }
    let pending = 0;
    window.addEventListener("resize", () => {
      clearTimeout(pending);
      pending = window.setTimeout(() => this.panels.forEach((p) => p.resize()), 100);
    });
  }

  setStatus(text: string): void {
    const s = this.header.querySelector(".status");
    if (s) s.textContent = text;
  }

  /** Fetches new rows of every run and redraws what changed. */
  async refresh(infos: RunInfo[]): Promise<void> {
    let changed = false;
    for (const [i, info] of infos.entries()) {
      const r = this.runs[i]!;
      r.info = info;
      for (const file of ["metrics", "evals"] as const) {
        const f = info.files[`${file}.jsonl`];
        const restart = f.generation !== r.gen[file];
        if (!restart && f.rows <= r[file].length) continue;
        const got = await this.source.rows(i, file, restart ? 0 : r[file].length);
        if (restart || got.generation !== r.gen[file]) r[file] = [];
        r[file].push(...got.rows);
        r.gen[file] = got.generation;
        changed = true;
      }
    }
    this.renderHeader();
    if (changed || this.panels.size === 0) {
      this.renderCharts();
      this.renderAlerts();
    }
    const nComp = infos.reduce((n, x) => n + x.files["completions.jsonl"].rows, 0);
    if (nComp !== this.completionRows) {
      this.completionRows = nComp;
      await this.renderCompletions(true);
    }
  }

  renderHeader(): void {
    const chips = this.runs.map((r, i) => {
      const last = r.metrics[r.metrics.length - 1];
      const max = typeof r.info.config?.maxSteps === "number" ? r.info.config.maxSteps : null;
      const done = r.info.summary !== null;
      const skipped = Object.entries(r.info.files).filter(([, f]) => f.skipped > 0).map(([n, f]) => `${f.skipped} malformed line${f.skipped === 1 ? "" : "s"} skipped in ${n}`);
      return el(
        "div",
        { className: "run-chip", dataset: { run: String(i) } },
        swatch(PALETTE[i % PALETTE.length]!),
        el("strong", {}, r.info.name),
        el("span", { className: "muted" }, ` ${r.info.dir} · step ${last ? String(last.step) : "–"}${max !== null ? `/${max}` : ""} · ${done ? "finished" : this.source.live ? "running or stopped" : "snapshot"}`),
        ...(skipped.length ? [el("span", { className: "skipped" }, ` · ${skipped.join(", ")}`)] : []),
      );
    });
    const mode = this.source.live ? "live (updates every second)" : `exported ${this.source.exportedAt ?? ""}`;
    this.header.replaceChildren(el("h1", {}, "thinkrl dashboard"), el("div", { className: "runs" }, ...chips), el("div", { className: "status muted" }, mode));
  }

  renderAlerts(): void {
    const items = this.runs.flatMap((r) =>
      runAlerts(r.metrics).map((a) => el("div", { className: `alert ${a.level}`, dataset: { alert: a.id } }, el("strong", {}, this.runs.length > 1 ? `${r.info.name}: ` : ""), a.message)),
    );
    this.alerts.replaceChildren(...items);
  }

  renderCharts(): void {
    const metricKeys = keysOf(this.runs.flatMap((r) => r.metrics.slice(0, 1).concat(r.metrics.slice(-1))));
    // Keys may appear mid-run (an in-loop evaluation): scan every row only when the cheap guess misses one.
    const allKeys = this.runs.some((r) => r.metrics.length > 2) ? keysOf(this.runs.flatMap((r) => r.metrics)) : metricKeys;
    const panels = layoutPanels(allKeys, keysOf(this.runs.flatMap((r) => r.evals)));
    const sig = panels.map((p) => `${p.id}:${p.keys.join(",")}`).join("|");
    if (sig !== this.panelKeys) {
      this.panelKeys = sig;
      this.panels.forEach((p) => p.destroy());
      this.panels.clear();
      for (const p of panels) {
        const cp = new ChartPanel(p);
        this.panels.set(p.id, cp);
        this.grid.append(cp.el);
      }
    }
    for (const cp of this.panels.values()) {
      const runs: ChartRun[] = this.runs.map((r) => ({ name: r.info.name, rows: cp.panel.source === "evals" ? r.evals : r.metrics }));
      cp.update(runs);
    }
    if (panels.length === 0) this.grid.replaceChildren(el("p", { className: "muted empty" }, "No metrics yet: the page fills in as the run writes metrics.jsonl."));
  }

  /** The completions browser: run, step, filter, paging, and one prompt's answers across steps. */
  async renderCompletions(fromPoll = false): Promise<void> {
    this.completionIndex = await Promise.all(this.runs.map((_, i) => this.source.completionIndex(i)));
    const idx = this.completionIndex[this.cq.run] ?? { steps: [], repeated: [] };
    if (idx.steps.length === 0) {
      this.browser.replaceChildren(el("h2", {}, "Completions"), el("p", { className: "muted" }, "No completions.jsonl rows yet (written every --log-completions-steps steps)."));
      return;
    }
    const latest = idx.steps[idx.steps.length - 1]!.step;
    if (this.cq.step === null || !idx.steps.some((s) => s.step === this.cq.step)) this.cq.step = latest;
    if (fromPoll && this.cq.prompt === null && this.cq.offset === 0 && this.followLatest) this.cq.step = latest;
    const controls = el("div", { className: "controls" });
    if (this.runs.length > 1) {
      const sel = el("select", { id: "c-run", ariaLabel: "run" }, ...this.runs.map((r, i) => el("option", { value: String(i), selected: i === this.cq.run }, r.info.name)));
      sel.onchange = () => this.go({ run: Number(sel.value), step: null, offset: 0, prompt: null });
      controls.append(el("label", {}, "Run ", sel));
    }
    const stepSel = el("select", { id: "c-step", ariaLabel: "step" }, ...idx.steps.map((s) => el("option", { value: String(s.step), selected: s.step === this.cq.step }, `step ${s.step} (${s.rows})`)));
    stepSel.onchange = () => {
      this.followLatest = Number(stepSel.value) === latest;
      void this.go({ step: Number(stepSel.value), offset: 0, prompt: null });
    };
    controls.append(el("label", {}, "Step ", stepSel));
    const filters = el("span", { className: "filters", role: "group" });
    for (const f of COMPLETION_FILTERS) {
      const b = el("button", { type: "button", className: f === this.cq.filter ? "on" : "", dataset: { filter: f } }, f);
      b.onclick = () => void this.go({ filter: f, offset: 0 });
      filters.append(b);
    }
    controls.append(filters);
    if (idx.repeated.length > 0) {
      const ps = el(
        "select",
        { id: "c-prompt", ariaLabel: "compare a prompt across steps" },
        el("option", { value: "" }, "— compare one prompt across steps —"),
        ...idx.repeated.map((p, i) => el("option", { value: String(i), selected: p.prompt === this.cq.prompt }, `${p.probe ? "[probe] " : ""}${p.prompt.slice(0, 60)} (${plural(p.steps.length, "step")})`)),
      );
      ps.onchange = () => void this.go({ prompt: ps.value === "" ? null : idx.repeated[Number(ps.value)]!.prompt, offset: 0 });
      controls.append(ps);
    }
    const omitted = this.source.omittedCompletions(this.cq.run);
    const body = this.cq.prompt !== null ? await this.compareView(this.cq.prompt) : await this.tableView();
    this.browser.replaceChildren(
      el("h2", {}, "Completions"),
      controls,
      ...(omitted > 0 ? [el("p", { className: "muted" }, `${omitted} older completion rows were left out of this report (size cap).`)] : []),
      body,
    );
  }

  followLatest = true;

  async go(change: Partial<typeof this.cq>): Promise<void> {
    Object.assign(this.cq, change);
    await this.renderCompletions();
  }

  async tableView(): Promise<HTMLElement> {
    const page = await this.source.completions(this.cq.run, { step: this.cq.step ?? undefined, filter: this.cq.filter, offset: this.cq.offset, limit: PAGE_SIZE });
    const rewardNames = [...new Set(page.rows.flatMap((r) => Object.keys(r.rewards ?? {})))];
    const table = el("table", { className: "completions" });
    table.append(el("thead", {}, el("tr", {}, ...["#", "prompt", "completion", "gold", "reward", ...rewardNames, "advantage", ""].map((h) => el("th", {}, h)))));
    const tbody = el("tbody");
    page.rows.forEach((r, i) => tbody.append(this.row(r, page.offset + i + 1, rewardNames)));
    table.append(tbody);
    const pager = el("div", { className: "pager" });
    const prev = el("button", { type: "button", disabled: this.cq.offset === 0 }, "‹ previous");
    prev.onclick = () => void this.go({ offset: Math.max(0, this.cq.offset - PAGE_SIZE) });
    const next = el("button", { type: "button", disabled: this.cq.offset + PAGE_SIZE >= page.total }, "next ›");
    next.onclick = () => void this.go({ offset: this.cq.offset + PAGE_SIZE });
    pager.append(prev, el("span", { className: "muted", dataset: { total: String(page.total) } }, ` ${page.total === 0 ? 0 : page.offset + 1}–${page.offset + page.rows.length} of ${page.total} `), next);
    return el("div", {}, table, pager);
  }

  row(r: CompletionRow, n: number, rewardNames: string[]): HTMLTableRowElement {
    const ok = isCorrect(r);
    const tags = [ok === true ? "correct" : ok === false ? "wrong" : "", isTruncated(r) ? "truncated" : "", r.probe ? "probe" : ""].filter(Boolean);
    return el(
      "tr",
      { className: tags.join(" ") },
      el("td", { className: "num" }, String(n)),
      el("td", { className: "text prompt" }, r.prompt),
      el("td", {}, el("pre", { className: "text completion" }, r.completion)),
      el("td", { className: "text" }, r.gold ?? "–"),
      el("td", { className: "num" }, fmt(r.reward ?? null)),
      ...rewardNames.map((k) => el("td", { className: "num" }, fmt(r.rewards?.[k] ?? null))),
      el("td", { className: "num" }, fmt(r.advantage ?? null)),
      el("td", {}, ...tags.map((t) => el("span", { className: `tag ${t}` }, t))),
    );
  }

  /** One prompt's completions, one column per step. */
  async compareView(prompt: string): Promise<HTMLElement> {
    const page = await this.source.completions(this.cq.run, { prompt, filter: this.cq.filter, limit: 500 });
    const bySteps = new Map<number, CompletionRow[]>();
    for (const r of page.rows) bySteps.set(r.step, [...(bySteps.get(r.step) ?? []), r]);
    const cols = [...bySteps].sort((a, b) => a[0] - b[0]).map(([step, rows]) =>
      el(
        "div",
        { className: "compare-col", dataset: { step: String(step) } },
        el("h4", {}, `step ${step} · ${rows.filter((r) => isCorrect(r) === true).length}/${rows.length} correct`),
        ...rows.map((r) => el("pre", { className: `text completion ${isCorrect(r) === true ? "correct" : isCorrect(r) === false ? "wrong" : ""}` }, r.completion)),
      ),
    );
    const gold = page.rows.find((r) => r.gold != null)?.gold;
    return el("div", {}, el("p", { className: "compare-prompt" }, el("strong", {}, "Prompt: "), prompt, ...(gold != null ? [el("span", { className: "muted" }, `  (gold: ${gold})`)] : [])), el("div", { className: "compare" }, ...cols));
  }
}

/** Starts the page: inlined report data when present, else the server's API. */
async function boot(): Promise<void> {
  const inline = document.getElementById(DATA_ELEMENT_ID);
  const source: DataSource = inline ? new InlineSource(JSON.parse(inline.textContent ?? "{}") as ReportData) : new HttpSource();
  const app = new App(source);
  (window as unknown as { thinkrlDashboard: App }).thinkrlDashboard = app;
  try {
    await app.start();
    document.body.dataset.ready = "true";
  } catch (e) {
    document.getElementById("app")!.replaceChildren(el("p", { className: "alert error" }, `Cannot load the runs: ${(e as Error).message}`));
  }
}

void boot();
