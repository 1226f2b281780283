/**
 * REINFORCE with an optional KL penalty (Williams 1992; the objective Transformer² trains its SVF expert vectors
 * with, Sun et al. 2025 "Transformer²" §3.1: J = E[log π(ŷ|x)·r(ŷ, y)] − λ·KL(π_θ‖π_θ₀)).
 */
import { lax, numpy as np } from "@jax-js/jax";
import { rawAdvantages } from "../advantages.js";
import { klK3 } from "./kl.js";
import { disposeUnused, type LossInputs, type LossOutput, type Objective, type ObjectiveConfig } from "./types.js";

type Arr = np.Array;

/**
 * ℓ_{i,t} = −A_i·log π_θ(o_t) + β·KL_k3(π_θ‖π_ref)_t; loss = Σ w ⊙ ℓ. With sequence-sum weights (w = 1/N on every
 * completion token) the first term is −(1/N) Σ_i A_i·log π_θ(o_i), the REINFORCE estimator of −∇E[A]. The KL is
 * the k3 estimator of KL(π_θ‖π_ref) on the sampled tokens (the paper's direction; the reference code computes the
 * reverse one). Reads `logp`, `advantages` `[B]`, `weights`, `mask`, `refLogp` (when β > 0). Consumes all inputs.
 * @returns loss and `klSum` (masked sum of the per-token k3 KL; 0 when β = 0)
 * @throws Error when `advantages` is missing, or β > 0 without `refLogp`
 */
export function reinforceLoss(inp: LossInputs, c: Pick<ObjectiveConfig, "beta">): LossOutput {
  if (inp.advantages === undefined) throw new Error("reinforceLoss: advantages missing");
  if (c.beta > 0 && inp.refLogp === undefined) throw new Error("reinforceLoss: beta > 0 needs refLogp");
  disposeUnused(inp, ["logp", "advantages", "weights", "mask", "refLogp"]);
  const { logp, weights, mask } = inp;
  const A = inp.advantages.reshape([-1, 1]); // [B, 1]
  let perToken = logp.ref.mul(A).neg();
  let klSum: Arr;
  if (c.beta > 0) {
    const kl = klK3(logp, inp.refLogp!);
    perToken = perToken.add(kl.ref.mul(c.beta));
    klSum = lax.stopGradient(kl.mul(mask)).sum();
  } else {
    logp.dispose();
    mask.dispose();
    inp.refLogp?.dispose();
    klSum = np.zeros([]);
  }
  return { loss: perToken.mul(weights).sum(), metrics: { klSum } };
}

export const reinforce: Objective = {
  name: "reinforce",
  description: "REINFORCE −A·log π(o_t) + β·KL_k3 per token (Williams 1992; Transformer² §3.1 with a KL to the base)",
  metricKeys: ["klSum"],
  needs: (c) => ({ advantages: true, rewards: false, oldLogp: false, refLogp: c.beta > 0, pairs: false }),
  advantages: (r, G) => rawAdvantages(r, G),
  loss: (inp, c) => reinforceLoss(inp, c),
};
