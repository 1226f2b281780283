/**
 * Policy losses as pure functions of per-token log-probs (see DESIGN.md, "Key seam"): they never touch the model,
 * so any engine that can produce `logp` with gradients can train with them.
 *
 * All arrays are `[B, T]` (B sequences, T completion positions) except `advantages` `[B]`. `weights` carries both
 * the completion mask and the aggregation (`aggregate.ts`), so the loss is Σ w ⊙ ℓ. Every function CONSUMES its
 * array arguments (jax-js ownership).
 */
import { lax, numpy as np } from "@jax-js/jax";

type Arr = np.Array;

export interface PolicyLossInputs {
  /** log π_θ(o_t) with gradient. */
  logp: Arr;
  /** log π_old(o_t) from the sampling-time policy; omit when μ = 1 (then π_old = stop_gradient(π_θ), ratio ≡ 1). */
  oldLogp?: Arr;
  /** log π_ref(o_t) from the frozen reference model; needed when β > 0. */
  refLogp?: Arr;
  /** `[B]` advantage per sequence. */
  advantages: Arr;
  /** Aggregation weights (0 outside the completion). */
  weights: Arr;
  /** 0/1 completion mask, for metrics. */
  mask: Arr;
}

export interface GrpoLossConfig {
  /** ε_low: lower clip range (ratio ≥ 1 − ε). */
  epsilon: number;
  /** ε_high: upper clip range (ratio ≤ 1 + ε_high); DAPO "clip-higher" uses 0.28. */
  epsilonHigh: number;
  /** β, weight of the k3 KL penalty to the reference policy. */
  beta: number;
}

/** Sums over masked tokens (divide by the token count on the host to get means). */
export type PolicyLossMetrics = { klSum: Arr; clipLowSum: Arr; clipHighSum: Arr; clipRegionSum: Arr };

/**
 * k3 KL estimator (Schulman 2020, "Approximating KL divergence"; DeepSeekMath eq. 4):
 * KL ≈ π_ref/π_θ − log(π_ref/π_θ) − 1, non-negative and unbiased for KL(π_θ‖π_ref). `[B, T]` → `[B, T]`.
 */
export function klK3(logp: Arr, refLogp: Arr): Arr {
  const d = refLogp.sub(logp);
  return np.exp(d.ref).sub(d).sub(1);
}

/**
 * GRPO clipped surrogate (DeepSeekMath eq. 3; DeepSeek-R1 §2.2.1, eq. 1):
 * ℓ_{i,t} = −min(ρ·A_i, clip(ρ, 1 − ε_low, 1 + ε_high)·A_i) + β·KL_k3, with ρ = π_θ / π_old.
 * @returns loss = Σ w ⊙ ℓ (scalar) and masked metric sums: k3 KL, and how often the clip is active —
 *   low: ρ < 1 − ε with A < 0; high: ρ > 1 + ε_high with A > 0 (as TRL's `clip_ratio/*`).
 */
export function grpoLoss(inp: PolicyLossInputs, cfg: GrpoLossConfig): { loss: Arr; metrics: PolicyLossMetrics } {
  const { logp, advantages, weights, mask } = inp;
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

/** Negative log-likelihood (SFT / cold start): loss = −Σ w ⊙ logp. Consumes both. */
export function nllLoss(logp: Arr, weights: Arr): Arr {
  return logp.mul(weights).sum().neg();
}
