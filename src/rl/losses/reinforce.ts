/**
 * REINFORCE with an optional KL penalty (Williams 1992; the objective Transformer² trains its SVF expert vectors
 * with, Sun et al. 2025 "Transformer²" §3.1: J = E[log π(ŷ|x)·r(ŷ, y)] − λ·KL(π_θ‖π_θ₀)).
 */
import { lax, numpy as np } from "@jax-js/jax";
import { rawAdvantages } from "../advantages.js";
import { disposeUnused, type KlDirection, type LossInputs, type LossOutput, type Objective, type ObjectiveConfig } from "./types.js";

type Arr = np.Array;

/**
 * The per-token KL penalty to the frozen reference on tokens o_t sampled from π_θ, as an estimate (the value) and a
 * surrogate whose gradient is that of the chosen direction. With l = log π_θ(o_t), r = log π_ref(o_t), ρ = e^{r − l}:
 *
 * - `policy_ref`, KL(π_θ‖π_ref) (the Transformer² paper, §3.1, and the usual RLHF penalty): value
 *   k3 = ρ − log ρ − 1 (Schulman 2020, unbiased, ≥ 0); gradient (l − r)·∇l, the score-function gradient
 *   E[(log π_θ − log π_ref)·∇log π_θ] of KL_t(π_θ‖π_ref) at a fixed prefix.
 * - `ref_policy`, KL(π_ref‖π_θ) (the reference code: `F.kl_div(log π_θ, log π_ref, log_target=True)` summed over
 *   the vocabulary and the completion): value ρ·log ρ − ρ + 1 (unbiased, since E_θ[ρ] = 1; ≥ 0); gradient (1 − ρ)·∇l,
 *   whose expectation −E_θ[ρ·∇l] = −Σ_v π_ref(v)·∇log π_θ(v) is the reference's gradient (the 1 is a zero-mean
 *   baseline). This is also the gradient of k3 differentiated through l — what a k3 term in a loss gives (GRPO).
 *
 * `[B, T]`, `[B, T]` → per-token loss term `[B, T]` (value = the estimate) and the estimate without gradient.
 * Consumes both. Estimates assume o_t ~ π_θ at the temperature `logp` was taken at (sampled rollouts, not greedy).
 */
export function klPenalty(logp: Arr, refLogp: Arr, direction: KlDirection): { term: Arr; value: Arr } {
  const d = refLogp.sub(logp.ref); // log ρ
  const rho = np.exp(d.ref);
  const value = lax.stopGradient(direction === "policy_ref" ? rho.ref.sub(d.ref).sub(1) : rho.ref.mul(d.ref).sub(rho.ref).add(1));
  // Surrogate: coefficient c (no gradient) times (l − sg(l)): value 0, gradient c·∇l.
  const c = lax.stopGradient(direction === "policy_ref" ? d.neg() : rho.neg().add(1));
  if (direction === "policy_ref") rho.dispose();
  else d.dispose();
  const l0 = lax.stopGradient(logp.ref);
  const term = value.ref.add(c.mul(logp.sub(l0)));
  return { term, value };
}

/**
 * ℓ_{i,t} = −A_i·log π_θ(o_t) + β·KL_t; loss = Σ w ⊙ ℓ. With sequence-sum weights (w = 1/N on every completion
 * token) the first term is −(1/N) Σ_i A_i·log π_θ(o_i), the REINFORCE estimator of −∇E[A]. KL_t is `klPenalty` in
 * `c.klDirection` (default `policy_ref`, the paper's KL(π_θ‖π_ref); `ref_policy` is the reference code's
 * KL(π_ref‖π_θ)). Reads `logp`, `advantages` `[B]`, `weights`, `mask`, `refLogp` (when β > 0). Consumes all inputs.
 * @returns loss and `klSum` (masked sum of the per-token KL estimate; 0 when β = 0)
 * @throws Error when `advantages` is missing, or β > 0 without `refLogp`
 */
export function reinforceLoss(inp: LossInputs, c: Pick<ObjectiveConfig, "beta" | "klDirection">): LossOutput {
  if (inp.advantages === undefined) throw new Error("reinforceLoss: advantages missing");
  if (c.beta > 0 && inp.refLogp === undefined) throw new Error("reinforceLoss: beta > 0 needs refLogp");
  disposeUnused(inp, ["logp", "advantages", "weights", "mask", "refLogp"]);
  const { logp, weights, mask } = inp;
  const A = inp.advantages.reshape([-1, 1]); // [B, 1]
  let perToken = logp.ref.mul(A).neg();
  let klSum: Arr;
  if (c.beta > 0) {
    const kl = klPenalty(logp, inp.refLogp!, c.klDirection ?? "policy_ref");
    perToken = perToken.add(kl.term.mul(c.beta));
    klSum = kl.value.mul(mask).sum();
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
  description: "REINFORCE −A·log π(o_t) + β·KL per token, KL(π_θ‖π_ref) or KL(π_ref‖π_θ) (Williams 1992; Transformer² §3.1 with a KL to the base)",
  metricKeys: ["klSum"],
  needs: (c) => ({ advantages: true, rewards: false, oldLogp: false, refLogp: c.beta > 0, pairs: false }),
  advantages: (r, G) => rawAdvantages(r, G),
  loss: (inp, c) => reinforceLoss(inp, c),
};
