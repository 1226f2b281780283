/**
 * Weighted combination of rewards (DeepSeek-R1 §2.2.2: accuracy + format rule rewards, summed).
 */
import { ConfigError } from "../core/errors.js";
import type { RewardBatch, RewardContext, RewardFn } from "./types.js";

/** The registry lives in `registry.ts`; re-exported here for existing callers. */
export { REWARDS, REWARD_NAMES, getReward, type RewardName } from "./registry.js";

export interface WeightedReward {
  /** Key in `perFn` and in metric names (`rewards/<name>/mean`). */
  name: string;
  fn: RewardFn;
  /** Multiplier in the total (finite). */
  weight: number;
}

export interface CombinedRewards {
  /** Σ weight·score per completion; null when any component is null for that completion. */
  total: (number | null)[];
  /** Unweighted scores of each reward, by name. */
  perFn: Record<string, (number | null)[]>;
  /** One line per reward call that failed (threw, rejected, wrong length, non-finite values). */
  warnings: string[];
}

/** Validate a reward's output; returns the error text or null when fine. */
function checkScores(out: unknown, n: number): string | null {
  if (!Array.isArray(out)) return `returned ${out === null ? "null" : typeof out}, expected an array`;
  if (out.length !== n) return `returned ${out.length} scores for ${n} completions`;
  const bad = out.findIndex((v) => !(v === null || (typeof v === "number" && Number.isFinite(v))));
  return bad === -1 ? null : `returned a non-finite or non-number score at ${bad} (${String(out[bad])})`;
}

/**
 * Run every reward on the batch (concurrently) and combine them.
 * A reward that throws, rejects, returns the wrong length or a non-finite value is treated as all-null
 * for this call; a warning is added to `warnings` and passed to `onWarning`. Never throws for reward
 * failures; throws ConfigError for duplicate names or non-finite weights (configuration bugs).
 */
export async function combineRewards(
  fns: readonly WeightedReward[],
  batch: RewardBatch,
  ctx: RewardContext,
  onWarning?: (message: string) => void,
): Promise<CombinedRewards> {
  const names = new Set<string>();
  for (const { name, weight } of fns) {
    if (names.has(name)) throw new ConfigError(`combineRewards: duplicate reward name '${name}'`);
    if (!Number.isFinite(weight)) throw new ConfigError(`combineRewards: weight of '${name}' must be finite (got ${weight})`);
    names.add(name);
  }
  const n = batch.completions.length;
  const warnings: string[] = [];
  const outs = await Promise.all(
    fns.map(async ({ name, fn }) => {
      try {
        const out: unknown = await fn(batch, ctx);
        const problem = checkScores(out, n);
        if (problem === null) return out as (number | null)[];
        warnings.push(`reward '${name}' ${problem} at step ${ctx.step}; scored as null`);
      } catch (e) {
        warnings.push(`reward '${name}' threw at step ${ctx.step}: ${e instanceof Error ? e.message : String(e)}; scored as null`);
      }
      return new Array<number | null>(n).fill(null);
    }),
  );
  const perFn: Record<string, (number | null)[]> = {};
  fns.forEach(({ name }, k) => (perFn[name] = outs[k]!));
  const total = Array.from({ length: n }, (_, i) => {
    let sum = 0;
    for (let k = 0; k < fns.length; k++) {
      const v = outs[k]![i] ?? null;
      if (v === null) return null;
      sum += fns[k]!.weight * v;
    }
    return sum;
  });
  if (onWarning) for (const w of warnings) onWarning(w);
  return { total, perFn, warnings };
}
