/**
 * Length rewards: the Kimi k1.5 group length penalty (§2.3.3) and the DAPO overlong soft penalty (§3.4).
 * Lengths are completion token counts (`completionIds[i].length`).
 */
import { ConfigError } from "../core/errors.js";
import { accuracyReward } from "./accuracy.js";
import type { RewardBatch, RewardContext, RewardFn } from "./types.js";

function tokenLength(batch: RewardBatch, i: number): number {
  const ids = batch.completionIds?.[i];
  return Array.isArray(ids) ? ids.length : 0;
}

/**
 * λ of each completion of one group (Kimi k1.5 §2.3.3): λ_i = 0.5 − (len_i − min_len)/(max_len − min_len),
 * so the shortest gets 0.5 and the longest −0.5; all 0 when every length is equal.
 */
export function kimiLambdas(lengths: readonly number[]): number[] {
  const min = Math.min(...lengths);
  const max = Math.max(...lengths);
  if (!(max > min)) return lengths.map(() => 0);
  return lengths.map((len) => 0.5 - (len - min) / (max - min));
}

export interface KimiLengthOptions {
  /** The first steps (1-based ctx.step ≤ warmupSteps) during which the reward is 0; Kimi trains without it first. Default 0. */
  warmupSteps?: number;
  /** Judge of correctness; a completion is correct when its score is ≥ 1. Default: `accuracyReward`. */
  correctness?: RewardFn;
}

/**
 * Kimi k1.5 length penalty (§2.3.3). Per group of ctx.groupSize contiguous completions:
 *   λ_i = 0.5 − (len_i − min_len)/(max_len − min_len)   (0 for all when all lengths are equal)
 *   r_i = λ_i if correct, min(0, λ_i) if wrong,
 * so short correct answers are rewarded and long ones penalised, while wrong answers are only ever penalised.
 * 0 for every completion during the first `warmupSteps` steps (ctx.step ≤ warmupSteps; Kimi: "train without it
 * first, then apply it constantly"; the paper does not publish the warm-up length). Groups are read from
 * `ctx.groupIds` when given (any order, any sizes: partial rollouts score groups whose members arrive apart), else
 * runs of ctx.groupSize contiguous completions (a last, shorter run is a group). Lengths are token counts. A
 * completion whose correctness is null (cannot judge) gets null. Kimi adds it to the reward with a weight (the
 * run's `rewardWeights`).
 * @throws ConfigError at construction for a negative or non-integer warmupSteps. The RewardFn never throws.
 */
export function kimiLengthPenalty(opts: KimiLengthOptions = {}): RewardFn {
  const { warmupSteps = 0, correctness = accuracyReward } = opts;
  if (!Number.isSafeInteger(warmupSteps) || warmupSteps < 0)
    throw new ConfigError(`kimiLengthPenalty: warmupSteps must be an integer ≥ 0 (got ${warmupSteps})`);
  return async (batch: RewardBatch, ctx: RewardContext) => {
    const n = batch.completions.length;
    if (warmupSteps > 0 && ctx.step <= warmupSteps) return new Array<number | null>(n).fill(0);
    let correct: unknown;
    try {
      correct = await correctness(batch, ctx);
    } catch {
      correct = undefined;
    }
    if (!Array.isArray(correct) || correct.length !== n) return new Array<number | null>(n).fill(null);
    const out = new Array<number | null>(n).fill(null);
    for (const idx of groupsOf(n, ctx)) {
      const lambdas = kimiLambdas(idx.map((i) => tokenLength(batch, i)));
      idx.forEach((i, k) => {
        const c: unknown = correct[i];
        if (typeof c === "number" && Number.isFinite(c)) out[i] = c >= 1 ? lambdas[k]! : Math.min(0, lambdas[k]!);
      });
    }
    return out;
  };
}

/**
 * The completion indices of each group: by `ctx.groupIds` when it has one id per completion, else runs of
 * `ctx.groupSize` (the whole batch when that is not a positive integer).
 */
export function groupsOf(n: number, ctx: Pick<RewardContext, "groupSize" | "groupIds">): number[][] {
  if (Array.isArray(ctx.groupIds) && ctx.groupIds.length === n) {
    const byId = new Map<number, number[]>();
    ctx.groupIds.forEach((g, i) => (byId.get(g) ?? byId.set(g, []).get(g)!).push(i));
    return [...byId.values()];
  }
  const G = Number.isSafeInteger(ctx.groupSize) && ctx.groupSize > 0 ? ctx.groupSize : n;
  const groups: number[][] = [];
  for (let g = 0; g < n; g += G) groups.push(Array.from({ length: Math.min(G, n - g) }, (_, k) => g + k));
  return groups;
}

export interface OverlongOptions {
  /**
   * L_cache, the soft-penalty interval in tokens before the hard limit. Default: 20% of L_max (DAPO §3.4
   * used L_max 20,480 with L_cache 4,096, i.e. an expected maximum of 16,384).
   */
  cacheLength?: number;
}

/** DAPO's L_cache / L_max (4,096 / 20,480), used when cacheLength is not given. */
const DAPO_CACHE_FRACTION = 0.2;

/**
 * Overlong soft penalty (DAPO §3.4 "Overlong Reward Shaping"), L_max = ctx.maxCompletionLength:
 *   r = 0                              if len ≤ L_max − L_cache
 *   r = (L_max − L_cache − len)/L_cache if L_max − L_cache < len ≤ L_max   (0 → −1, linear)
 *   r = −1                             if len > L_max
 * Added to the correctness reward. Never throws, never null.
 * @throws ConfigError at construction for a cacheLength that is not a positive integer.
 */
export function overlongPenalty(opts: OverlongOptions = {}): (batch: RewardBatch, ctx: RewardContext) => number[] {
  const { cacheLength } = opts;
  if (cacheLength !== undefined && !(Number.isSafeInteger(cacheLength) && cacheLength > 0))
    throw new ConfigError(`overlongPenalty: cacheLength must be a positive integer (got ${cacheLength})`);
  return (batch: RewardBatch, ctx: RewardContext) => {
    const lMax = ctx.maxCompletionLength;
    const lCache = cacheLength ?? Math.max(1, Math.round(DAPO_CACHE_FRACTION * lMax));
    return batch.completions.map((_, i) => {
      const len = tokenLength(batch, i);
      if (!Number.isFinite(lMax) || len <= lMax - lCache) return 0;
      if (len <= lMax) return (lMax - lCache - len) / lCache;
      return -1;
    });
  };
}

/** Registry defaults: Kimi penalty without warm-up judged by `accuracyReward`; overlong with L_cache = 20% of L_max. */
export const kimiLengthReward: RewardFn = kimiLengthPenalty();
export const overlongReward: RewardFn = overlongPenalty();
