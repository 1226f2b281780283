/**
 * Maths accuracy reward (DeepSeek-R1 §2.2.2 rule-based accuracy; answers judged as Math-Verify does): the
 * completion's final answer (`extractMathAnswer`) is verified against the row's gold answer (`verifyAnswer`).
 */
import type { RewardBatch, RewardFn } from "../types.js";
import { extractMathAnswer, findMathAnswer, type ExtractOptions } from "./extract.js";
import { defaultMathVerifier, resolveVerifyOptions, type MathVerifier, type VerifyOptions } from "./verify.js";

/**
 * Gold answer of row `i`: the `answer` column (string or finite number; a GSM8K-style worked answer ending in
 * `#### N` gives N), else the last `\boxed{…}` of the `solution` column (MATH-style datasets); null when neither
 * is usable.
 */
export function goldAnswer(batch: RewardBatch, i: number): string | null {
  const col = (name: string) => (Array.isArray(batch[name]) ? batch[name][i] : undefined);
  const answer = col("answer");
  if (typeof answer === "string" && answer.trim() !== "") return /^[ \t]*####/m.test(answer) ? (findMathAnswer(answer, { priority: ["gsm8k"] })?.answer ?? null) : answer;
  if (typeof answer === "number" && Number.isFinite(answer)) return String(answer);
  const solution = col("solution");
  if (typeof solution === "string") return findMathAnswer(solution, { priority: ["boxed"] })?.answer ?? null;
  return null;
}

export interface MathAccuracyOptions extends VerifyOptions {
  /** Answer sources tried in the completion, in order (see `extractMathAnswer`). */
  extract?: ExtractOptions;
  /** Verifier to run checks on (default: the process-wide one behind `verifyAnswer`). */
  verifier?: MathVerifier;
}

/**
 * Maths accuracy reward: 1 when the completion's extracted final answer verifies against the gold answer,
 * 0 when it does not, has no answer, or verification fails or times out; null when the row has no gold
 * (`answer` or `solution` column) to judge against. Never throws.
 */
export function createMathAccuracyReward(opts: MathAccuracyOptions = {}): RewardFn {
  const { extract, verifier, ...verifyOpts } = opts;
  const o = resolveVerifyOptions(verifyOpts);
  return (batch: RewardBatch) =>
    Promise.all(
      batch.completions.map(async (completion, i) => {
        try {
          const gold = goldAnswer(batch, i);
          if (gold === null) return null;
          const pred = typeof completion === "string" ? extractMathAnswer(completion, { ...extract, gold }) : null;
          if (pred === null) return 0;
          return (await (verifier ?? defaultMathVerifier()).verify(gold, pred, o)) ? 1 : 0;
        } catch {
          return 0;
        }
      }),
    );
}

/** `createMathAccuracyReward()` with default options; registered as `math_accuracy`. */
export const mathAccuracyReward: RewardFn = createMathAccuracyReward();
