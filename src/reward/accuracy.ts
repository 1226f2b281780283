/**
 * Rule-based accuracy reward (DeepSeek-R1 §2.2.2 "Reward Modeling"): the final answer, taken from the
 * `<answer>` tag, is checked against the row's columns by exact rules. No neural reward model.
 */
import { parseCategory } from "../data/classify.js";
import { evaluateExpression, rational, rationalEquals, type Rational } from "../data/expr.js";
import { extractAnswer } from "./format.js";
import { resolveVerifyOptions, verifyAnswer, verifyFast, type ResolvedVerifyOptions, type VerifyOptions } from "./math/verify.js";
import type { RewardBatch, RewardFn } from "./types.js";

/** Longest answer string compared numerically (guards against giant bigint parsing). */
const MAX_NUMBER_CHARS = 100;

/**
 * Exact value of an integer (`-12`), decimal (`3.25`) or fraction (`-7/2`) string, or null.
 * Never throws.
 */
export function parseExactNumber(s: string): Rational | null {
  const t = s.trim();
  if (t === "" || t.length > MAX_NUMBER_CHARS) return null;
  const frac = /^([+-]?)(\d+)\s*\/\s*(\d+)$/.exec(t);
  if (frac) {
    const den = BigInt(frac[3]!);
    if (den === 0n) return null;
    const num = BigInt(frac[2]!);
    return rational(frac[1] === "-" ? -num : num, den);
  }
  const dec = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(t);
  if (!dec || (dec[2] === "" && (dec[3] ?? "") === "")) return null;
  const frac10 = dec[3] ?? "";
  const num = BigInt((dec[2] || "0") + frac10);
  return rational(dec[1] === "-" ? -num : num, 10n ** BigInt(frac10.length));
}

/** Countdown: `answer` must be a valid expression using numbers from `nums` (multiset, each at most once) equal to `target`. */
function judgeCountdown(answer: string | null, nums: unknown, target: unknown): number | null {
  if (!Array.isArray(nums) || !nums.every((x) => Number.isSafeInteger(x)) || !Number.isSafeInteger(target)) return null;
  if (answer === null) return 0;
  const r = evaluateExpression(answer);
  if (!r.ok) return 0;
  const pool = new Map<number, number>();
  for (const x of nums as number[]) pool.set(x, (pool.get(x) ?? 0) + 1);
  for (const u of r.numbers) {
    const left = pool.get(u) ?? 0;
    if (left === 0) return 0;
    pool.set(u, left - 1);
  }
  return rationalEquals(r.value, rational(BigInt(target as number))) ? 1 : 0;
}

/** Arithmetic: `answer` must be a plain integer (optional '-', ≤ 12 digits) equal to `target`. */
function judgeArithmetic(answer: string | null, target: unknown): number | null {
  if (!Number.isSafeInteger(target)) return null;
  if (answer === null || !/^-?\d{1,12}$/.test(answer)) return 0;
  return BigInt(answer) === BigInt(target as number) ? 1 : 0;
}

/**
 * Generic `answer` column, judged by the maths verifier: its sync fast path (exact numbers, text as strings)
 * when it decides, else the symbolic check in the verifier worker (`verifyAnswer`; a time-out scores 0).
 */
function judgeAnswer(answer: string | null, expected: unknown, o: ResolvedVerifyOptions): number | null | Promise<number> {
  if (typeof expected !== "string" && typeof expected !== "number") return null;
  if (typeof expected === "number" && !Number.isFinite(expected)) return null;
  if (answer === null) return 0;
  const want = String(expected).trim();
  const fast = verifyFast(want, answer, o);
  if (fast !== null) return fast ? 1 : 0;
  return verifyAnswer(want, answer, o).then((ok) => (ok ? 1 : 0));
}

/** Classification (`t2-classify`): 1 exactly when `parseCategory` of the whole completion is `category`. */
function judgeCategory(completion: unknown, category: unknown, categories: unknown): number | null {
  if (typeof category !== "string" || !Array.isArray(categories) || !categories.every((c) => typeof c === "string")) return null;
  if (typeof completion !== "string") return 0;
  return parseCategory(completion, categories as string[]) === category ? 1 : 0;
}

/** Tasks whose answer is a plain integer `target`. */
const INTEGER_TASKS: ReadonlySet<unknown> = new Set(["arithmetic", "multiplication", "t2-arithmetic", "t2-sequence", "t2-sum3", "t2-composed"]);
/** Tasks judged as Countdown (`nums`, `target`). */
const COUNTDOWN_TASKS: ReadonlySet<unknown> = new Set(["countdown", "t2-search", "t2-search-hard"]);

function column(batch: RewardBatch, name: string, i: number): unknown {
  const col = batch[name];
  return Array.isArray(col) ? col[i] : undefined;
}

/** Score one row; null when the row has nothing to judge against. */
function judgeRow(batch: RewardBatch, i: number, o: ResolvedVerifyOptions): number | null | Promise<number> {
  const completion = batch.completions[i];
  const answer = typeof completion === "string" ? extractAnswer(completion) : null;
  const task = column(batch, "task", i);
  if (COUNTDOWN_TASKS.has(task)) return judgeCountdown(answer, column(batch, "nums", i), column(batch, "target", i));
  if (INTEGER_TASKS.has(task)) return judgeArithmetic(answer, column(batch, "target", i));
  if (task === "t2-classify") return judgeCategory(completion, column(batch, "category", i), column(batch, "categories", i));
  return judgeAnswer(answer, column(batch, "answer", i), o);
}

/**
 * Accuracy reward (DeepSeek-R1 §2.2.2), one score per completion, judged by the row's columns:
 * - `task: "countdown"` (+ `nums`, `target`): the answer expression (parsed by `evaluateExpression`, never
 *   eval'd) uses each number of `nums` at most once and equals `target` exactly → 1, else 0;
 * - `task: "t2-search"` / `"t2-search-hard"`: as countdown;
 * - `task: "arithmetic"`, `"multiplication"`, `"t2-arithmetic"`, `"t2-sequence"`, `"t2-sum3"` or `"t2-composed"`
 *   (+ `target`): the answer is a plain integer equal to `target` → 1, else 0;
 * - `task: "t2-classify"` (+ `category`, `categories`): `parseCategory` of the whole completion (its last
 *   `\boxed{…}`) equals `category` → 1, else 0 (Transformer² §3.2's classification expert);
 * - otherwise an `answer` column: the maths verifier (`verifyAnswer`: exact numbers, LaTeX, sets, intervals,
 *   equations, …; text answers compare as strings) → 1, else 0.
 * A broken format (see `extractAnswer`) scores 0. A row with none of these columns (or malformed ones)
 * cannot be judged → null. Never throws.
 * @param verify options of the maths verifier behind the `answer` column (tolerance, percent handling, time limit)
 * @throws ConfigError at construction for invalid verifier options
 */
export function createAccuracyReward(verify: VerifyOptions = {}): RewardFn {
  const o = resolveVerifyOptions(verify);
  return (batch: RewardBatch) => {
    const out = batch.completions.map((_, i) => {
      try {
        const v = judgeRow(batch, i, o);
        return v instanceof Promise ? v.catch(() => 0) : v;
      } catch {
        return null;
      }
    });
    // Stay synchronous unless a row needed the verifier worker.
    return out.some((v) => v instanceof Promise) ? Promise.all(out) : (out as (number | null)[]);
  };
}

/** `createAccuracyReward()` with the default verifier options; registered as `accuracy`. */
export const accuracyReward: RewardFn = createAccuracyReward();
