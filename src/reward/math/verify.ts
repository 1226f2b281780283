/**
 * Maths answer verification (the job of Hugging Face's Math-Verify, written anew in TypeScript).
 *
 * - `verifyAnswerSync(gold, pred)`: fast path, no parser: plain numbers compared as exact rationals (integers,
 *   decimals, fractions, scientific notation), text as strings, and the structures built on them (sets, tuples,
 *   intervals, `x = 3`, percentages). Anything needing algebra (`\sqrt`, `\pi`, variables) is false here.
 * - `verifyAnswer(gold, pred)`: the fast path when it decides; otherwise a symbolic check (LaTeX parsed by the
 *   Cortex Compute Engine; see symbolic.ts) in a `node:worker_threads` worker that is terminated at
 *   `timeoutMs`, which then counts as false.
 *
 * Contract for any gold/prediction strings: never throws, never hangs, false on garbage, deterministic
 * (same inputs, same verdict; only a time-out can differ on a loaded machine).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { ConfigError } from "../../core/errors.js";
import { decideAnswer, plainLeaf, type Verdict } from "./compare.js";
import type { VerifyJob } from "./worker.js";

export interface VerifyOptions {
  /** Wall-time limit of one symbolic check, in ms; the worker is terminated past it and the verdict is false. Default 2000. */
  timeoutMs?: number;
  /** A percent sign on one side only also matches the value / 100 (`50\%` ≡ `0.5`); `50\%` ≡ `50` always. Default true. */
  percentAsDecimal?: boolean;
  /**
   * Relative tolerance of float comparisons (symbolic checks only: plain numbers are compared exactly, so
   * `0.333` ≠ `1/3`). Default 1e-9: far below any rounding a model writes, far above float noise.
   */
  relTol?: number;
}

export type ResolvedVerifyOptions = Readonly<Required<VerifyOptions>>;

export const DEFAULT_VERIFY_OPTIONS: ResolvedVerifyOptions = Object.freeze({ timeoutMs: 2000, percentAsDecimal: true, relTol: 1e-9 });

/** Worker start-up (module load) limit, ms; separate from the per-check limit. */
const STARTUP_MS = 30_000;
/** Heap cap of the worker: a pathological answer (huge bigint) fails it instead of the host. */
const WORKER_HEAP_MB = 256;

/** Defaults filled in and checked once. Invalid options (a configuration bug) throw ConfigError. */
export function resolveVerifyOptions(partial: VerifyOptions = {}): ResolvedVerifyOptions {
  const o = { ...DEFAULT_VERIFY_OPTIONS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) };
  if (!(Number.isFinite(o.timeoutMs) && o.timeoutMs > 0)) throw new ConfigError(`verify: timeoutMs must be > 0 (got ${o.timeoutMs})`);
  if (!(Number.isFinite(o.relTol) && o.relTol >= 0 && o.relTol < 1)) throw new ConfigError(`verify: relTol must be in [0, 1) (got ${o.relTol})`);
  if (typeof o.percentAsDecimal !== "boolean") throw new ConfigError(`verify: percentAsDecimal must be a boolean (got ${String(o.percentAsDecimal)})`);
  return Object.freeze(o);
}

/** Fast-path verdict: true/false when plain numbers and text decide, null when algebra is needed. Never throws. */
export function verifyFast(gold: string, pred: string, opts: VerifyOptions = {}): Verdict {
  if (typeof gold !== "string" || typeof pred !== "string") return false;
  const o = resolveVerifyOptions(opts);
  try {
    return decideAnswer(gold, pred, { leaf: plainLeaf }, o);
  } catch {
    return false;
  }
}

/**
 * Is `pred` the same answer as `gold`, judged without algebra? (plain numbers exactly, text, and their sets,
 * tuples, intervals, equations `x = 3` and percentages). False when algebra would be needed: use `verifyAnswer`.
 * Example: `verifyAnswerSync("\\frac{1}{2}", "0.5") === true`. Never throws for any strings.
 */
export function verifyAnswerSync(gold: string, pred: string, opts: VerifyOptions = {}): boolean {
  return verifyFast(gold, pred, opts) === true;
}

interface Job {
  msg: VerifyJob;
  timeoutMs: number;
  resolve: (ok: boolean) => void;
}

/**
 * The worker: the compiled worker.js next to this file, or, when running from the .ts sources (vitest, tsx), a
 * tiny bootstrap that registers tsx's loader in the worker and then imports worker.ts (Node 20 workers ignore
 * `--import` in execArgv for their entry module).
 */
function spawnWorker(): Worker {
  // No inherited execArgv: the parent's flags (`--input-type`, loaders) can break or slow the worker.
  const limits = { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } };
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./worker.js", import.meta.url), limits);
  const tsxApi = createRequire(import.meta.url).resolve("tsx/package.json").replace(/package\.json$/, "dist/esm/api/index.mjs");
  const entry = new URL("./worker.ts", import.meta.url).href;
  const code = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, ...limits });
}

/**
 * Owns one verifier worker and runs checks through it one at a time, each under its own time limit. A check
 * past its limit terminates the worker (a fresh one starts for the next check) and resolves false. The worker is
 * unref'd while idle, so it never keeps the process alive. `close()` terminates it.
 */
export class MathVerifier {
  private worker: Worker | null = null;
  private ready = false;
  private queue: Job[] = [];
  private current: Job | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 0;

  /** Symbolic check only (no fast path); resolves false on time-out or worker failure. Never rejects. */
  check(gold: string, pred: string, o: ResolvedVerifyOptions): Promise<boolean> {
    return new Promise((resolve) => {
      const msg: VerifyJob = { id: this.nextId++, gold, pred, percentAsDecimal: o.percentAsDecimal, relTol: o.relTol };
      this.queue.push({ msg, timeoutMs: o.timeoutMs, resolve });
      this.pump();
    });
  }

  /** Fast path, then the worker when needed. Never rejects for any strings (ConfigError for invalid options). */
  async verify(gold: string, pred: string, opts: VerifyOptions = {}): Promise<boolean> {
    const o = resolveVerifyOptions(opts);
    const fast = verifyFast(gold, pred, o);
    if (fast !== null) return fast;
    return this.check(gold, pred, o);
  }

  /** Terminate the worker; pending checks resolve false. */
  async close(): Promise<void> {
    const pending = [...(this.current ? [this.current] : []), ...this.queue];
    this.queue = [];
    this.current = null;
    await this.kill();
    for (const j of pending) j.resolve(false);
  }

  private spawn(): Worker {
    const w = spawnWorker();
    this.ready = false;
    this.timer = setTimeout(() => void this.fail(), STARTUP_MS);
    w.on("message", (m: { ready?: boolean; id?: number; ok?: boolean }) => {
      if (w !== this.worker) return;
      if (m.ready) {
        this.ready = true;
        this.clearTimer();
        this.dispatch();
        return;
      }
      if (this.current && m.id === this.current.msg.id) {
        this.clearTimer();
        const job = this.current;
        this.current = null;
        job.resolve(m.ok === true);
        this.pump();
      }
    });
    w.on("error", () => w === this.worker && void this.fail());
    w.on("exit", () => w === this.worker && void this.fail());
    return w;
  }

  private pump(): void {
    if (this.current || this.queue.length === 0) {
      if (!this.current && this.queue.length === 0) this.worker?.unref();
      return;
    }
    this.current = this.queue.shift()!;
    if (!this.worker) this.worker = this.spawn();
    this.worker.ref();
    if (this.ready) this.dispatch();
  }

  private dispatch(): void {
    if (!this.current || !this.worker || !this.ready || this.timer) return;
    this.timer = setTimeout(() => void this.fail(), this.current.timeoutMs);
    this.worker.postMessage(this.current.msg);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Time-out, crash or start-up failure: the current check is false, the worker is replaced on demand. */
  private async fail(): Promise<void> {
    const job = this.current;
    this.current = null;
    await this.kill();
    job?.resolve(false);
    this.pump();
  }

  private async kill(): Promise<void> {
    this.clearTimer();
    const w = this.worker;
    this.worker = null;
    this.ready = false;
    if (w) await w.terminate().catch(() => undefined);
  }
}

/** The verifier behind `verifyAnswer`, created on first use (process-wide: one worker thread at most). */
let sharedVerifier: MathVerifier | null = null;

export function defaultMathVerifier(): MathVerifier {
  sharedVerifier ??= new MathVerifier();
  return sharedVerifier;
}

/**
 * Is `pred` the same mathematical answer as `gold`? Fast path first (see `verifyAnswerSync`), then a symbolic
 * check in a worker terminated after `timeoutMs` (→ false). Both arguments are answers, not completions: run
 * `extractMathAnswer` on model output first.
 * Example: `await verifyAnswer("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}") === true`.
 * Never rejects for any strings, never hangs; rejects with ConfigError only for invalid options.
 */
export function verifyAnswer(gold: string, pred: string, opts: VerifyOptions = {}): Promise<boolean> {
  return defaultMathVerifier().verify(gold, pred, opts);
}
