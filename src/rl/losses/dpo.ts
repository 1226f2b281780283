/**
 * Direct Preference Optimization, sigmoid loss (Rafailov et al. 2023, "Direct Preference Optimization: Your Language
 * Model is Secretly a Reward Model", arXiv 2305.18290, eq. 7):
 *
 *   L = −log σ( β·[ (log π_θ(y_w|x) − log π_ref(y_w|x)) − (log π_θ(y_l|x) − log π_ref(y_l|x)) ] ),
 *
 * log π summed over the completion's tokens (no length normalisation), y_w the chosen and y_l the rejected answer.
 * Kimi k1.5 §2.4 uses it for long2short with chosen = the shortest correct answer. The implicit rewards are
 * r = β·(log π_θ − log π_ref) per answer (TRL's `rewards/chosen`, `rewards/rejected`; their difference is
 * `rewards/margins`, and `rewards/accuracies` is the share of pairs with r_w > r_l).
 *
 * Row layout: a pair is two rows with the same `pairIds` value (≥ 0), `pairSigns` +1 for the chosen and −1 for the
 * rejected row; padding rows carry pair id −1. The mean over pairs comes from `rowWeights`: 1/(pairs in the
 * optimizer batch) on each chosen row, 0 elsewhere.
 */
import { lax, nn, numpy as np } from "@jax-js/jax";
import { disposeUnused, type LossInputs, type LossOutput, type Objective, type ObjectiveConfig } from "./types.js";

/**
 * The sigmoid DPO loss of one micro-batch (see the module comment).
 *
 * Reads `logp`, `refLogp` `[B, T]`, `mask` `[B, T]`, `pairIds`, `pairSigns`, `rowWeights` `[B]`; consumes every input.
 * @param beta β > 0, the strength of the implicit KL to π_ref
 * @returns the loss and sums over the micro-batch's pairs: `dpoPairCount`, `dpoLossSum` (Σ −log σ(β·m)),
 *   `dpoChosenRewardSum` / `dpoRejectedRewardSum` (Σ β·(log π_θ − log π_ref)), `dpoMarginSum` (Σ β·m),
 *   `dpoAccuracySum` (pairs with m > 0), `dpoChosenLogpSum` / `dpoRejectedLogpSum` (Σ log π_θ)
 * @throws Error when `refLogp`, `pairIds`, `pairSigns` or `rowWeights` is missing
 */
export function dpoLoss(inp: LossInputs, beta: number): LossOutput {
  const { refLogp, pairIds, pairSigns, rowWeights } = inp;
  if (refLogp === undefined || pairIds === undefined || pairSigns === undefined || rowWeights === undefined) {
    throw new Error("dpoLoss: refLogp, pairIds, pairSigns and rowWeights are required");
  }
  disposeUnused(inp, ["logp", "mask", "refLogp", "pairIds", "pairSigns", "rowWeights"]);
  const S = inp.logp.mul(inp.mask.ref).sum(-1); // [B] log π_θ(y|x)
  const d = S.ref.sub(refLogp.mul(inp.mask).sum(-1)); // [B] log π_θ/π_ref
  // same[i, j] = 1 when rows i and j belong to one pair; m_i = Σ_j same[i, j]·sign_j·d_j, the pair's margin.
  const inPair = np.greaterEqual(pairIds.ref, 0).astype(np.float32).reshape([-1, 1]);
  const same = np.equal(pairIds.ref.reshape([-1, 1]), pairIds.reshape([1, -1])).astype(np.float32).mul(inPair);
  const m = np.matmul(same, pairSigns.ref.mul(d.ref)); // [B]
  const perPair = nn.softplus(m.ref.mul(-beta)); // −log σ(β·m)
  const loss = perPair.ref.mul(rowWeights).sum();
  const chosen = np.greater(pairSigns.ref, 0).astype(np.float32);
  const rejected = np.less(pairSigns, 0).astype(np.float32);
  const dS = lax.stopGradient(d);
  const mS = lax.stopGradient(m);
  const sS = lax.stopGradient(S);
  const metrics = {
    dpoPairCount: chosen.ref.sum(),
    dpoLossSum: lax.stopGradient(perPair).mul(chosen.ref).sum(),
    dpoChosenRewardSum: dS.ref.mul(chosen.ref).sum().mul(beta),
    dpoRejectedRewardSum: dS.mul(rejected.ref).sum().mul(beta),
    dpoMarginSum: mS.ref.mul(chosen.ref).sum().mul(beta),
    dpoAccuracySum: np.greater(mS, 0).astype(np.float32).mul(chosen.ref).sum(),
    dpoChosenLogpSum: sS.ref.mul(chosen).sum(),
    dpoRejectedLogpSum: sS.mul(rejected).sum(),
  };
  return { loss, metrics };
}

/** Metric sums `dpoLoss` returns. */
export const DPO_METRIC_KEYS = ["dpoPairCount", "dpoLossSum", "dpoChosenRewardSum", "dpoRejectedRewardSum", "dpoMarginSum", "dpoAccuracySum", "dpoChosenLogpSum", "dpoRejectedLogpSum"] as const;

export const dpo: Objective = {
  name: "dpo",
  description: "sigmoid DPO −log σ(β·[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]) per pair (Rafailov et al. 2023, eq. 7)",
  metricKeys: DPO_METRIC_KEYS,
  needs: () => ({ advantages: false, rewards: false, oldLogp: false, refLogp: true, pairs: true, rowWeights: true }),
  loss: (inp, c: ObjectiveConfig) => dpoLoss(inp, c.beta),
};
