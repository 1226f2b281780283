/**
 * N-gram repetition penalty: degenerate RL policies loop ("repetition detection", Kimi k1.5 §2.6.2 partial
 * rollouts); the penalty below follows open-r1's repetition penalty reward.
 */
import { ConfigError } from "../core/errors.js";
import type { RewardBatch, RewardContext, RewardFn } from "./types.js";

export interface RepetitionOptions {
  /** n, the n-gram size. Default 3: short loops ("so so so", repeated sentences) show up; ~40 words catches only long verbatim loops. */
  n?: number;
  /** Penalty of a completion made of a single repeated n-gram, as a positive number. Default 1. */
  maxPenalty?: number;
  /** What an n-gram is made of: lower-cased whitespace-separated `words` (open-r1), or completion `tokens`. Default `words`. */
  unit?: "words" | "tokens";
}

/** Longest completion we split into words, in characters (bounds the cost of hostile output). */
const MAX_CHARS = 200_000;

/** Fraction of repeated n-grams, 1 − unique/total; 0 when there are fewer than n items. */
export function repeatedFraction(items: readonly (string | number)[], n: number): number {
  const total = items.length - n + 1;
  if (total <= 0) return 0;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(items.slice(i, i + n).join("\u0000"));
  return 1 - seen.size / total;
}

/**
 * Repetition penalty (open-r1 `get_repetition_penalty_reward`):
 *   r = −maxPenalty · (1 − #unique n-grams / #n-grams)
 * over the completion's words (lower-cased, split on whitespace) or token ids. 0 for completions shorter than
 * n units; −maxPenalty·(1 − 1/#n-grams) for one n-gram repeated. Never throws, never null.
 * @throws ConfigError at construction for n < 1 or a negative/non-finite maxPenalty.
 */
export function repetitionPenalty(opts: RepetitionOptions = {}): (batch: RewardBatch, ctx?: RewardContext) => number[] {
  const { n = 3, maxPenalty = 1, unit = "words" } = opts;
  if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(`repetitionPenalty: n must be an integer ≥ 1 (got ${n})`);
  if (!Number.isFinite(maxPenalty) || maxPenalty < 0)
    throw new ConfigError(`repetitionPenalty: maxPenalty must be a finite number ≥ 0 (got ${maxPenalty})`, {
      hint: "give the size of the penalty; the reward is its negative",
    });
  if (unit !== "words" && unit !== "tokens") throw new ConfigError(`repetitionPenalty: unit must be words or tokens (got ${String(unit)})`);
  return (batch: RewardBatch) =>
    batch.completions.map((c, i) => {
      let items: (string | number)[];
      if (unit === "tokens") {
        const ids = batch.completionIds?.[i];
        items = Array.isArray(ids) ? ids : [];
      } else {
        items = typeof c === "string" ? c.slice(0, MAX_CHARS).toLowerCase().split(/\s+/).filter((w) => w !== "") : [];
      }
      const f = repeatedFraction(items, n);
      return f === 0 ? 0 : -maxPenalty * f;
    });
}

/** Registry default: word trigrams, maximum penalty 1. */
export const repetitionReward: RewardFn = repetitionPenalty();
