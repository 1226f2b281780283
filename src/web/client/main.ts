/**
 * `thinkrl web`'s page: R1-Zero GRPO of the embedded model in this tab — the library's browser entry (`thinkrl/browser`,
 * bundled) with the trainer session of `../session.ts`; WebGPU when the browser has an adapter, else threaded Wasm
 * (the server sends COOP/COEP so SharedArrayBuffer, and so the Wasm thread pool, is available). The dashboard's
 * charts update after every step. Nothing is stored: the trained weights leave the tab only when downloaded. The
 * maths verifier's symbolic checks run in a Web Worker (`/verify-worker.js`) terminated at their time limit, so a
 * slow check never blocks the page.
 */
import {
  encodeCheckpoint,
  initEngine,
  modelFromFiles,
  paramsToTensors,
  urlFiles,
  defaultTokenizerJson,
  MathVerifier,
  setDefaultMathVerifier,
  verifyAnswer,
  WebWorkerSymbolicChecker,
  type CausalLM,
  type VerifyOptions,
} from "../../browser.js";
import { plural } from "../../core/log.js";
import { ChartPanel } from "../../dashboard/client/charts.js";
import { keysOf, layoutPanels } from "../../dashboard/layout.js";
import { WEB_DEFAULTS, WebSession, type WebSettings } from "../session.js";

type Row = Record<string, number>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (string | Node)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}

const FIELDS: { key: keyof WebSettings; label: string; step: string }[] = [
  { key: "maxSteps", label: "steps", step: "1" },
  { key: "promptsPerStep", label: "prompts per step", step: "1" },
  { key: "numGenerations", label: "completions per prompt (G)", step: "1" },
  { key: "learningRate", label: "learning rate", step: "any" },
  { key: "seed", label: "seed", step: "1" },
  { key: "evalProblems", label: "held-out problems", step: "1" },
];

class WebApp {
  device = "";
  model: CausalLM | null = null;
  session: WebSession | null = null;
  rows: Row[] = [];
  state: "loading" | "ready" | "training" | "done" | "error" = "loading";
  accuracy: { before?: number; after?: number } = {};
  stepsPerSecond = 0;
  #abort: AbortController | null = null;
  #panels = new Map<string, ChartPanel>();
  #sig = "";
  readonly status = el("p", { className: "status", id: "status" });
  readonly grid = el("div", { className: "grid", id: "charts" });
  readonly acc = el("p", { id: "accuracy" });
  readonly hint = el("p", { className: "muted", id: "hint" });
  readonly downloads = el("p", { id: "downloads" });
  readonly inputs = new Map<keyof WebSettings, HTMLInputElement>();
  readonly startBtn = el("button", { type: "button", id: "start", disabled: true }, "Start");
  readonly stopBtn = el("button", { type: "button", id: "stop", disabled: true }, "Stop");
  readonly dlBtn = el("button", { type: "button", id: "download", disabled: true }, "Download checkpoint");
  /** Runs the maths verifier's symbolic checks (installed as the default verifier at boot). */
  readonly checker = new WebWorkerSymbolicChecker(new URL("/verify-worker.js", location.href));

  async boot(): Promise<void> {
    setDefaultMathVerifier(new MathVerifier(this.checker));
    const form = el("div", { className: "controls" });
    for (const f of FIELDS) {
      const input = el("input", { type: "number", step: f.step, value: String(WEB_DEFAULTS[f.key]), id: `s-${f.key}` });
      this.inputs.set(f.key, input);
      form.append(el("label", {}, `${f.label} `, input));
    }
    form.append(this.startBtn, this.stopBtn, this.dlBtn);
    this.startBtn.onclick = () => void this.start();
    this.stopBtn.onclick = () => this.#abort?.abort();
    this.dlBtn.onclick = () => void this.download();
    document.getElementById("app")!.replaceChildren(
      el("header", { className: "top" }, el("h1", {}, "thinkrl web — R1-Zero GRPO in this tab")),
      el("p", { className: "muted" }, "The embedded ~0.8M-parameter model learns multi-digit arithmetic by GRPO, entirely in your browser (the same library code as the Node CLI). Nothing is uploaded or stored."),
      form,
      this.status,
      this.hint,
      this.acc,
      this.downloads,
      this.grid,
    );
    const want = new URLSearchParams(location.search).get("device") ?? "auto";
    this.setStatus(`starting the engine (${want})…`);
    this.device = await initEngine(want as "auto" | "wasm" | "webgpu");
    const threads = this.device === "wasm" ? ` with ${crossOriginIsolated ? navigator.hardwareConcurrency : 1} thread(s)` : "";
    this.setStatus(`loading the model on ${this.device}${threads}…`);
    this.model = (await modelFromFiles(urlFiles(new URL("/model/", location.href).href))).model;
    this.state = "ready";
    this.startBtn.disabled = false;
    this.setStatus(`ready: ${this.device}${threads}${crossOriginIsolated ? "" : " (not cross-origin isolated: no Wasm threads)"}`);
    this.hint.textContent = "Press Start: the held-out check runs first, then the steps; the charts appear after step 1 (it compiles the model's kernels, so it takes longest).";
  }

  setStatus(t: string): void {
    this.status.textContent = t;
    document.body.dataset.state = this.state;
  }

  settings(): WebSettings {
    const s = { ...WEB_DEFAULTS };
    for (const [k, input] of this.inputs) {
      const v = Number(input.value);
      if (!Number.isFinite(v)) throw new Error(`${k}: not a number`);
      s[k] = v;
    }
    return s;
  }

  /** Trains with the form's settings (or `override`); resolves when the run ends. */
  async start(override?: Partial<WebSettings>): Promise<Row[]> {
    if (!this.model || this.state === "training") throw new Error(`cannot start while ${this.state}`);
    try {
      this.session?.dispose();
      this.session = new WebSession(this.model, { ...this.settings(), ...override });
      this.rows = [];
      this.accuracy = {};
      this.state = "training";
      this.startBtn.disabled = true;
      this.stopBtn.disabled = false;
      this.dlBtn.disabled = true;
      this.hint.textContent = "";
      this.setStatus("held-out accuracy before training…");
      this.accuracy.before = await this.session.heldOutAccuracy();
      this.showAccuracy();
      this.#abort = new AbortController();
      const t0 = performance.now();
      const max = this.session.config.maxSteps;
      await this.session.train((m) => {
        this.rows.push({ ...m });
        this.stepsPerSecond = this.rows.length / ((performance.now() - t0) / 1000);
        this.setStatus(`step ${m.step}/${max} · reward ${m.reward!.toFixed(3)} · ${this.stepsPerSecond.toFixed(2)} steps/s`);
        this.draw();
      }, this.#abort.signal);
      this.setStatus("held-out accuracy after training…");
      this.accuracy.after = await this.session.heldOutAccuracy();
      this.showAccuracy();
      this.state = "done";
      this.setStatus(`done: ${plural(this.rows.length, "step")} at ${this.stepsPerSecond.toFixed(2)} steps/s on ${this.device}`);
    } catch (e) {
      this.state = "error";
      this.setStatus(`error: ${(e as Error).message}`);
      throw e;
    } finally {
      this.startBtn.disabled = false;
      this.stopBtn.disabled = true;
      this.dlBtn.disabled = false;
    }
    return this.rows;
  }

  /**
   * `WebSession.forwardBackward` on this tab's engine with the default settings (the WebGPU smoke test compares it
   * with Node's Wasm numbers). @param rows held-out problems used
   */
  async forwardBackward(rows = 2): Promise<Awaited<ReturnType<WebSession["forwardBackward"]>>> {
    if (!this.model || this.state === "training") throw new Error(`cannot run while ${this.state}`);
    const s = new WebSession(this.model, { ...WEB_DEFAULTS, evalProblems: rows });
    try {
      return await s.forwardBackward(rows);
    } finally {
      s.dispose();
    }
  }

  /** The library's `verifyAnswer` as the rewards call it here (symbolic checks in the verifier's Web Worker). */
  verify(gold: string, pred: string, opts?: VerifyOptions): Promise<boolean> {
    return verifyAnswer(gold, pred, opts);
  }

  showAccuracy(): void {
    const pct = (x?: number) => (x === undefined ? "…" : `${(100 * x).toFixed(1)}%`);
    this.acc.textContent = `Held-out accuracy (${plural(this.session!.config.numEvalProblems, "problem")}, 1 sample each, T 0.6): before ${pct(this.accuracy.before)} → after ${pct(this.accuracy.after)}`;
  }

  draw(): void {
    const panels = layoutPanels(keysOf(this.rows));
    const sig = panels.map((p) => p.id + p.keys.join()).join("|");
    if (sig !== this.#sig) {
      this.#sig = sig;
      this.#panels.forEach((p) => p.destroy());
      this.#panels.clear();
      for (const p of panels) {
        const cp = new ChartPanel(p);
        this.#panels.set(p.id, cp);
        this.grid.append(cp.el);
      }
    }
    for (const cp of this.#panels.values()) cp.update([{ name: "tab", rows: this.rows }]);
  }

  /** The trained model in Hugging Face layout, one download link per file. */
  async download(): Promise<void> {
    const m = this.model!;
    const files = encodeCheckpoint({ config: m.config, tensors: await paramsToTensors(m.config, m.params), dtype: "F32", tokenizerJson: defaultTokenizerJson() });
    const links = files.map((f) => {
      const data = typeof f.data === "string" ? [f.data] : f.data instanceof Uint8Array ? [f.data] : [...f.data];
      const a = el("a", { href: URL.createObjectURL(new Blob(data as BlobPart[])), download: f.path }, f.path);
      return a;
    });
    this.downloads.replaceChildren("Checkpoint files (save them into one folder): ", ...links.flatMap((a, i) => (i ? [" · ", a] : [a])));
    links[0]?.click();
  }
}

const app = new WebApp();
(window as unknown as { thinkrlWeb: WebApp }).thinkrlWeb = app;
app.boot().then(
  () => (document.body.dataset.ready = "true"),
  (e: unknown) => {
    app.state = "error";
    app.setStatus(`error: ${(e as Error).message}`);
  },
);
