/**
 * Maths answer verification (the job of Hugging Face's Math-Verify, written anew in TypeScript).
 *
 * - `verifyAnswerSync(gold, pred)`: fast path, no parser: plain numbers compared as exact rationals (integers,
 *   decimals, fractions, scientific notation), text as strings, and the structures built on them (sets, tuples,
 *   intervals, `x = 3`, percentages). Anything needing algebra (`\sqrt`, `\pi`, variables) is false here.
 * - `verifyAnswer(gold, pred)`: the fast path when it decides; otherwise a symbolic check (LaTeX parsed by the
 *   Cortex Compute Engine; see symbolic.ts) run by a `SymbolicChecker`:
 *   - on Node, in a `node:worker_threads` worker that is terminated at `timeoutMs`, which then counts as false
 *     (`worker-checker.ts`, loaded lazily so that this module stays browser-safe);
 *   - in a browser, by default inline on the calling thread, one check at a time with a yield to the event loop
 *     before each (`inlineSymbolicChecker`). `timeoutMs` is NOT enforced there: answers are length-capped
 *     (`MAX_ANSWER_CHARS`), so a check is bounded, but a hostile one can block the tab for a while. A page that can
 *     serve the bundled worker script gets the Node behaviour (a Web Worker terminated at `timeoutMs`) with
 *     `setDefaultMathVerifier(new MathVerifier(new WebWorkerSymbolicChecker(url)))` (`web-worker-checker.ts`;
 *     `thinkrl web` does this).
 *
 * Contract for any gold/prediction strings: never throws, never hangs, false on garbage, deterministic
 * (same inputs, same verdict; only a time-out can differ on a loaded machine).
 */
import { ConfigError } from "../../core/errors.js";
import { importNodeOnly, isNode } from "../node-only.js";
import { decideAnswer, plainLeaf, type Verdict } from "./compare.js";
import type { VerifyJob } from "./symbolic-check.js";

export interface VerifyOptions {
  /** Wall-time limit of one symbolic check, in ms; on Node the worker is terminated past it and the verdict is false (not enforced in a browser). Default 2000. */
  timeoutMs?: number;
  /** A percent sign on one side only also matches the value / 100 (`50\%` ≡ `0.5`); `50\%` ≡ `50` always. Default true. */
  percentAsDecimal?: boolean;
  /**
   * Relative tolerance of float comparisons (symbolic checks only: plain numbers are compared exactly, so
   * `0.333` ≠ `1/3`). Default 1e-9: far below any rounding a model writes, far above float noise.
   */
  relTol?: number;
  /**
   * Digits after the decimal point to which both sides are rounded when one side is written as a decimal
   * (Math-Verify's `float_rounding`): `0.333333` ≡ `1/3` at 6, `0.333` ≢ `1/3` unless 3. Integers, fractions
   * and symbolic forms on both sides compare exactly. Integer in [0, 15]. Default 6.
   */
  floatRounding?: number;
  /**
   * Math-Verify's `strict`: variables must match by name and a set never equals a tuple. `false`: variables are
   * matched by position (sorted names: `f(x) = x+1` ≡ `f(y) = y+1`) and `{1,2}` ≡ `(1,2)`. Default true.
   */
  strict?: boolean;
}

export type ResolvedVerifyOptions = Readonly<Required<VerifyOptions>>;

export const DEFAULT_VERIFY_OPTIONS: ResolvedVerifyOptions = Object.freeze({ timeoutMs: 2000, percentAsDecimal: true, relTol: 1e-9, floatRounding: 6, strict: true });

/** Defaults filled in and checked once. Invalid options (a configuration bug) throw ConfigError. */
export function resolveVerifyOptions(partial: VerifyOptions = {}): ResolvedVerifyOptions {
  const o = { ...DEFAULT_VERIFY_OPTIONS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) };
  if (!(Number.isFinite(o.timeoutMs) && o.timeoutMs > 0)) throw new ConfigError(`verify: timeoutMs must be > 0 (got ${o.timeoutMs})`);
  if (!(Number.isFinite(o.relTol) && o.relTol >= 0 && o.relTol < 1)) throw new ConfigError(`verify: relTol must be in [0, 1) (got ${o.relTol})`);
  if (!(Number.isInteger(o.floatRounding) && o.floatRounding >= 0 && o.floatRounding <= 15)) {
    throw new ConfigError(`verify: floatRounding must be an integer in [0, 15] (got ${o.floatRounding})`);
  }
  if (typeof o.strict !== "boolean") throw new ConfigError(`verify: strict must be a boolean (got ${String(o.strict)})`);
  if (typeof o.percentAsDecimal !== "boolean") throw new ConfigError(`verify: percentAsDecimal must be a boolean (got ${String(o.percentAsDecimal)})`);
  return Object.freeze(o);
}

/** Fast-path verdict: true/false when plain numbers and text decide, null when algebra is needed. Never throws. */
export function verifyFast(gold: string, pred: string, opts: VerifyOptions = {}): Verdict {
  if (typeof gold !== "string" || typeof pred !== "string") return false;
  const o = resolveVerifyOptions(opts);
  try {
    return decideAnswer(gold, pred, { leaf: (a, b) => plainLeaf(a, b, o) }, o);
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

/** Runs symbolic checks (the slow path of `verifyAnswer`). */
export interface SymbolicChecker {
  /** The verdict of `job`; false on a time-out (where enforced) or any failure. Never rejects. */
  check(job: VerifyJob, timeoutMs: number): Promise<boolean>;
  /** Stops the checker; checks still pending resolve false. Later checks start it again. */
  close(): Promise<void>;
}

/**
 * Symbolic checks on the calling thread (the browser's checker): one at a time, each after a yield to the event
 * loop. `timeoutMs` is not enforced (see the module comment). `close()` makes checks that have not started yet false.
 */
export function inlineSymbolicChecker(): SymbolicChecker {
  let generation = 0;
  let chain: Promise<unknown> = Promise.resolve();
  return {
    check(job) {
      const g = generation;
      const run = chain.then(async () => {
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (g !== generation) return false;
        const { symbolicVerdict } = await import("./symbolic-check.js");
        return g === generation && symbolicVerdict(job);
      });
      chain = run.catch(() => undefined);
      return run.catch(() => false);
    },
    async close() {
      generation++;
    },
  };
}

/** The default checker: a worker thread with a hard time limit on Node, inline elsewhere; chosen on first use. */
function autoSymbolicChecker(): SymbolicChecker {
  let impl: Promise<SymbolicChecker> | null = null;
  let generation = 0;
  const load = async (): Promise<SymbolicChecker> => {
    if (!isNode()) return inlineSymbolicChecker();
    const m = await importNodeOnly<typeof import("./worker-checker.js")>("./math/worker-checker.js", "the maths verifier's worker thread");
    return new m.WorkerSymbolicChecker();
  };
  return {
    async check(job, timeoutMs) {
      const g = generation;
      try {
        const c = await (impl ??= load());
        return g === generation ? await c.check(job, timeoutMs) : false;
      } catch {
        return false;
      }
    },
    async close() {
      generation++;
      const c = impl === null ? null : await impl.catch(() => null);
      await c?.close();
    },
  };
}

/**
 * Verifies answers: the fast path, then symbolic checks through its `SymbolicChecker` (default: a worker thread
 * with a hard time limit on Node, inline in a browser). `close()` stops the checker.
 */
export class MathVerifier {
  private nextId = 0;

  constructor(private readonly checker: SymbolicChecker = autoSymbolicChecker()) {}

  /** Symbolic check only (no fast path); resolves false on time-out or checker failure. Never rejects. */
  check(gold: string, pred: string, o: ResolvedVerifyOptions): Promise<boolean> {
    const job: VerifyJob = { id: this.nextId++, gold, pred, percentAsDecimal: o.percentAsDecimal, relTol: o.relTol, floatRounding: o.floatRounding, strict: o.strict };
    return this.checker.check(job, o.timeoutMs);
  }

  /** Fast path, then the checker when needed. Never rejects for any strings (ConfigError for invalid options). */
  async verify(gold: string, pred: string, opts: VerifyOptions = {}): Promise<boolean> {
    const o = resolveVerifyOptions(opts);
    const fast = verifyFast(gold, pred, o);
    if (fast !== null) return fast;
    return this.check(gold, pred, o);
  }

  /** Stop the checker (the Node worker is terminated); pending checks resolve false. */
  close(): Promise<void> {
    return this.checker.close();
  }
}

/** The verifier behind `verifyAnswer`, created on first use (process-wide: one worker thread at most on Node). */
let sharedVerifier: MathVerifier | null = null;

export function defaultMathVerifier(): MathVerifier {
  sharedVerifier ??= new MathVerifier();
  return sharedVerifier;
}

/**
 * Replaces the verifier behind `verifyAnswer` (and so the `accuracy` / `math_accuracy` rewards), e.g. with one whose
 * checks run in a browser Web Worker. The previous one is returned, not closed.
 */
export function setDefaultMathVerifier(v: MathVerifier): MathVerifier | null {
  const old = sharedVerifier;
  sharedVerifier = v;
  return old;
}

/**
 * Is `pred` the same mathematical answer as `gold`? Fast path first (see `verifyAnswerSync`), then a symbolic
 * check (on Node in a worker terminated after `timeoutMs` → false; inline in a browser). Both arguments are answers, not completions: run
 * `extractMathAnswer` on model output first.
 * Example: `await verifyAnswer("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}") === true`.
 * Never rejects for any strings, never hangs; rejects with ConfigError only for invalid options.
 */
export function verifyAnswer(gold: string, pred: string, opts: VerifyOptions = {}): Promise<boolean> {
  return defaultMathVerifier().verify(gold, pred, opts);
}
