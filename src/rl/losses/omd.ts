/**
 * Kimi k1.5's policy optimisation by online mirror descent (Kimi Team 2025, "Kimi k1.5: Scaling Reinforcement
 * Learning with LLMs", arXiv 2501.12599, §2.3.2).
 *
 * Iteration i maximises E[r] − τ·KL(π_θ‖π_θi) with π_θi the policy that sampled the batch. With r̄ (the mean reward of
 * the prompt's k samples) standing in for τ·log Z, the paper's surrogate gradient (its eq. after (3)) is
 *
 *   (1/k)·Σ_j [ ∇log π_θ(y_j|x)·(r_j − r̄) − (τ/2)·∇(log π_θ(y_j|x) − log π_θi(y_j|x))² ],
 *
 * whose loss per sample is ℓ_j = −(r_j − r̄)·log π_θ(y_j) + (τ/2)·(log π_θ(y_j) − log π_θi(y_j))², log π summed over
 * the sample's tokens (no length normalisation), 1/k per prompt then the mean over prompts (`rowWeights`).
 *
 * At θ = θi the τ term's gradient is zero: with one optimizer step per iteration OMD is REINFORCE with a mean
 * baseline; the regulariser acts from an iteration's second optimizer step on (mini-batches or epochs).
 */
import { lax, numpy as np } from "@jax-js/jax";
import { groupAdvantages } from "../advantages.js";
import { disposeUnused, type LossInputs, type LossOutput, type Objective, type ObjectiveConfig } from "./types.js";

type Arr = np.Array;

/** Where the squared log-ratio is taken: per sequence (the paper) or per token (alibaba/ROLL's `kimi15`, a deviation). */
export type OmdLevel = "sequence" | "token";
export const OMD_LEVELS: readonly OmdLevel[] = ["sequence", "token"];

export interface OmdLossConfig {
  /** τ ≥ 0, the weight of the KL to π_θi (the paper publishes no value). */
  omdTau: number;
  /** Default `sequence`. */
  omdLevel?: OmdLevel;
}

/**
 * The OMD loss of one micro-batch.
 *
 * - `sequence` (Kimi §2.3.2): S_j = Σ_t m_{j,t}·log π_θ(o_{j,t}), S_j^i the same under π_θi;
 *   loss = Σ_j u_j·[−A_j·S_j + (τ/2)·(S_j − S_j^i)²] with u = `rowWeights` (1/(k·P) per row).
 * - `token` (ROLL's per-token variant, not the paper's): ℓ_{j,t} = −A_j·log π_θ(o_t) + (τ/2)·(log π_θ(o_t) −
 *   log π_θi(o_t))², loss = Σ w ⊙ ℓ with the aggregation weights `weights` (`lossType`).
 *
 * A_j = r_j − r̄ (`advantages`, centred without std division). Reads `logp` `[B, T]`, `mask`, `advantages` `[B]`,
 * `oldLogp` `[B, T]` (π_θi), and `rowWeights` `[B]` (sequence) or `weights` `[B, T]` (token). Consumes all inputs.
 * @returns loss and sums over the micro-batch's rows: `omdRegRowSum` Σ (τ/2)·Δ² and `omdAbsLogRatioRowSum` Σ |Δ| with
 *   Δ = S_j − S_j^i (both per row in either mode, so the metrics mean the same thing), and `omdRowCount` (rows with tokens)
 * @throws Error when `advantages` or `oldLogp` is missing, or `rowWeights` in sequence mode
 */
export function omdLoss(inp: LossInputs, c: OmdLossConfig): LossOutput {
  const level = c.omdLevel ?? "sequence";
  if (inp.advantages === undefined) throw new Error("omdLoss: advantages missing");
  if (inp.oldLogp === undefined) throw new Error("omdLoss: oldLogp (π_θi) missing");
  if (level === "sequence" && inp.rowWeights === undefined) throw new Error("omdLoss: rowWeights missing");
  disposeUnused(inp, ["logp", "mask", "advantages", "oldLogp", "weights", "rowWeights"]);
  const { logp, mask, advantages: A, oldLogp, weights } = inp;
  const tau = c.omdTau;
  const S = logp.ref.mul(mask.ref).sum(-1); // [B]
  const Sold = oldLogp.ref.mul(mask.ref).sum(-1); // [B]
  const dSeq = lax.stopGradient(S.ref.sub(Sold.ref)); // [B], metrics only
  let loss: Arr;
  if (level === "sequence") {
    weights.dispose();
    oldLogp.dispose();
    const d = S.ref.sub(Sold);
    const per = A.mul(S).neg().add(d.ref.mul(d).mul(tau / 2)); // [B]
    loss = per.mul(inp.rowWeights!).sum();
  } else {
    inp.rowWeights?.dispose();
    Sold.dispose();
    S.dispose();
    const d = logp.ref.sub(lax.stopGradient(oldLogp));
    const per = logp.mul(A.reshape([-1, 1])).neg().add(d.ref.mul(d).mul(tau / 2)); // [B, T]
    loss = per.mul(weights).sum();
  }
  if (level === "sequence") logp.dispose();
  const hasTokens = mask.sum(-1).greater(0).astype(np.float32);
  const omdRegRowSum = dSeq.ref.mul(dSeq.ref).mul(tau / 2).sum();
  const omdAbsLogRatioRowSum = np.abs(dSeq).sum();
  return { loss, metrics: { omdRegRowSum, omdAbsLogRatioRowSum, omdRowCount: hasTokens.sum() } };
}

export const omd: Objective = {
  name: "omd",
  description: "Kimi k1.5 online mirror descent −(r − r̄)·log π(y) + (τ/2)·(log π(y) − log π_θi(y))² per sample (Kimi §2.3.2)",
  metricKeys: ["omdRegRowSum", "omdAbsLogRatioRowSum", "omdRowCount"],
  needs: (c) => ({ advantages: true, rewards: false, oldLogp: true, refLogp: false, pairs: false, rowWeights: (c.omdLevel ?? "sequence") === "sequence" }),
  // r_j − r̄: centred by the group mean, never divided by a std (Kimi §2.3.2; unlike GRPO's scaleRewards).
  advantages: (r, G) => groupAdvantages(r, G, "none"),
  loss: (inp, c: ObjectiveConfig) => omdLoss(inp, { omdTau: c.omdTau ?? 0, omdLevel: c.omdLevel }),
};
