/**
 * GRPO clipped surrogate with the k3 KL (DeepSeekMath §4.1, eq. 3; DeepSeek-R1 §2.2.1, eq. 1) and DAPO's
 * clip-higher (Yu et al. 2025 §3.1).
 */
import { lax, numpy as np } from "@jax-js/jax";
import { groupAdvantages } from "../advantages.js";
import { klK3 } from "./kl.js";
import { disposeUnused, type LossInputs, type LossOutput, type Objective, type ObjectiveConfig } from "./types.js";

type Arr = np.Array;

export interface GrpoLossConfig {
  /** ε_low: lower clip range (ratio ≥ 1 − ε). */
  epsilon: number;
  /** ε_high: upper clip range (ratio ≤ 1 + ε_high); DAPO "clip-higher" uses 0.28. */
  epsilonHigh: number;
  /** β, weight of the k3 KL penalty to the reference policy. */
  beta: number;
}

/**
 * ℓ_{i,t} = −min(ρ·A_i, clip(ρ, 1 − ε_low, 1 + ε_high)·A_i) + β·KL_k3, with ρ = π_θ / π_old; loss = Σ w ⊙ ℓ.
 * Without `oldLogp` (μ = 1) π_old = stop_gradient(π_θ), so ρ ≡ 1 and the gradient is −A·∇log π.
 * Reads `logp`, `advantages` `[B]`, `weights`, `mask`, `oldLogp?`, `refLogp` (when β > 0). Consumes all inputs.
 * @returns loss and masked sums: `klSum` (k3 KL), `clipLowSum` (ρ < 1 − ε with A < 0), `clipHighSum` (ρ > 1 + ε_high
 *   with A > 0), `clipRegionSum` (either) — TRL's `clip_ratio/*` once divided by the token count
 * @throws Error when β > 0 without `refLogp`, or `advantages` is missing
 */
export function grpoLoss(inp: LossInputs, cfg: GrpoLossConfig): LossOutput {
  const { logp, weights, mask } = inp;
  if (inp.advantages === undefined) throw new Error("grpoLoss: advantages missing");
  const advantages = inp.advantages;
  disposeUnused(inp, ["logp", "advantages", "weights", "mask", "oldLogp", "refLogp"]);
  const old = inp.oldLogp ?? lax.stopGradient(logp.ref);
  const ratio = np.exp(logp.ref.sub(old)); // [B, T]
  const A = advantages.reshape([-1, 1]); // [B, 1]
  const unclipped = ratio.ref.mul(A.ref);
  const clipped = np.clip(ratio.ref, 1 - cfg.epsilon, 1 + cfg.epsilonHigh).mul(A.ref);
  let perToken = np.minimum(unclipped, clipped).neg();
  let klSum: Arr;
  if (cfg.beta > 0) {
    if (inp.refLogp === undefined) throw new Error("grpoLoss: beta > 0 needs refLogp");
    const kl = klK3(logp, inp.refLogp);
    perToken = perToken.add(kl.ref.mul(cfg.beta));
    klSum = lax.stopGradient(kl.mul(mask.ref)).sum();
  } else {
    logp.dispose();
    inp.refLogp?.dispose();
    klSum = np.zeros([]);
  }
  const r = lax.stopGradient(ratio);
  const low = r.ref.less(1 - cfg.epsilon).astype(np.float32).mul(A.ref.less(0).astype(np.float32));
  const high = r.greater(1 + cfg.epsilonHigh).astype(np.float32).mul(A.greater(0).astype(np.float32));
  const clipLowSum = low.ref.mul(mask.ref).sum();
  const clipHighSum = high.ref.mul(mask.ref).sum();
  const clipRegionSum = low.add(high).mul(mask).sum();
  const loss = perToken.mul(weights).sum();
  return { loss, metrics: { klSum, clipLowSum, clipHighSum, clipRegionSum } };
}

export const grpo: Objective = {
  name: "grpo",
  description: "GRPO clipped surrogate −min(ρA, clip(ρ, 1−ε, 1+ε_high)A) + β·KL_k3 per token (DeepSeekMath eq. 3)",
  metricKeys: ["klSum", "clipLowSum", "clipHighSum", "clipRegionSum"],
  needs: (c: ObjectiveConfig) => ({ advantages: true, rewards: false, oldLogp: c.numIterations > 1 || (c.stepsPerGeneration ?? 1) > 1, refLogp: c.beta > 0, pairs: false }),
  advantages: (r, G, c) => groupAdvantages(r, G, c.scaleRewards),
  loss: (inp, c) => grpoLoss(inp, c),
};
