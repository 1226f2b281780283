/**
 * Group-relative advantages (GRPO: Shao et al. 2024 "DeepSeekMath" §4.1.2; DeepSeek-R1 §2.2.1, eq. 3).
 *
 * For the G completions of one prompt with rewards r_1..r_G: A_i = (r_i − mean(r)) / (std(r) + ε).
 * Pure host-side functions on plain arrays.
 */

/** How rewards are scaled after centring (TRL `scale_rewards`): by the group's std, the batch's std, or not at all (Dr. GRPO, Liu et al. 2025 §3.1). */
export type ScaleRewards = "group" | "batch" | "none";

export interface AdvantageResult {
  /** `[B]` advantage per completion (0 for zero-std groups and for completions whose reward is null). */
  advantages: number[];
  /** `[B]` rewards with null replaced by the group mean of the scorable ones (0 when none). */
  rewards: number[];
  /** `[numGroups]` sample standard deviation (÷ (G−1)) of each group's scorable rewards. */
  groupStd: number[];
  /** Fraction of groups whose rewards are all equal (std = 0): they carry no learning signal. */
  fracZeroStd: number;
  /** Number of completions whose reward was null (unscorable). */
  numNull: number;
}

/** Added to the std before dividing (TRL uses 1e-4): keeps near-constant groups finite. */
export const ADVANTAGE_EPS = 1e-4;

/**
 * @param rewards `[B]`, B = groups × groupSize, completions of a group contiguous; null = could not judge
 * @param groupSize G ≥ 1
 * @param scale see `ScaleRewards`
 * @throws Error when B is not a multiple of G
 *
 * The std is the unbiased sample std (÷ (G−1)), as TRL's `torch.std`. Null rewards get zero advantage and do
 * not enter the group mean or std.
 */
export function groupAdvantages(rewards: (number | null)[], groupSize: number, scale: ScaleRewards = "group"): AdvantageResult {
  const B = rewards.length;
  if (groupSize < 1 || B % groupSize !== 0) throw new Error(`groupAdvantages: ${B} rewards is not a multiple of groupSize ${groupSize}`);
  const nG = B / groupSize;
  const adv = new Array<number>(B).fill(0);
  const filled = new Array<number>(B).fill(0);
  const groupStd: number[] = [];
  let zero = 0;
  let numNull = 0;
  const centred: (number | null)[] = new Array(B).fill(null);
  for (let g = 0; g < nG; g++) {
    const idx = Array.from({ length: groupSize }, (_, i) => g * groupSize + i);
    const vals = idx.filter((i) => rewards[i] !== null).map((i) => rewards[i] as number);
    numNull += groupSize - vals.length;
    const mean = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : 0;
    const std = sampleStd(vals, mean);
    groupStd.push(std);
    if (std === 0) zero++;
    for (const i of idx) {
      filled[i] = rewards[i] ?? mean;
      if (rewards[i] !== null && std > 0) centred[i] = (rewards[i] as number) - mean;
    }
  }
  const batchVals = rewards.filter((r): r is number => r !== null);
  const batchStd = sampleStd(batchVals, batchVals.reduce((a, b) => a + b, 0) / Math.max(1, batchVals.length));
  for (let i = 0; i < B; i++) {
    const c = centred[i];
    if (c === null || c === undefined) continue;
    const s = scale === "group" ? groupStd[Math.floor(i / groupSize)]! : scale === "batch" ? batchStd : 0;
    adv[i] = scale === "none" ? c : c / (s + ADVANTAGE_EPS);
  }
  return { advantages: adv, rewards: filled, groupStd, fracZeroStd: nG ? zero / nG : 0, numNull };
}

function sampleStd(v: number[], mean: number): number {
  if (v.length < 2) return 0;
  const ss = v.reduce((a, x) => a + (x - mean) * (x - mean), 0);
  const s = Math.sqrt(ss / (v.length - 1));
  return s < 1e-12 ? 0 : s;
}

/**
 * REINFORCE's advantages: the reward itself, no baseline (Williams 1992; Transformer²'s SVF training uses r = ±1
 * this way). Group statistics (std, zero-std fraction, null count) are those of `groupAdvantages`, for metrics.
 * Null rewards get advantage 0. For a group-mean baseline use GRPO's `scaleRewards: none` (Dr. GRPO).
 * @throws Error when B is not a multiple of `groupSize`
 */
export function rawAdvantages(rewards: (number | null)[], groupSize: number): AdvantageResult {
  const stats = groupAdvantages(rewards, groupSize, "none");
  return { ...stats, advantages: rewards.map((r) => r ?? 0) };
}
