/** KL estimators on per-token log-probs. */
import { numpy as np } from "@jax-js/jax";

type Arr = np.Array;

/**
 * k3 KL estimator (Schulman 2020, "Approximating KL divergence"; DeepSeekMath eq. 4):
 * KL ≈ π_ref/π_θ − log(π_ref/π_θ) − 1, non-negative and unbiased for KL(π_θ‖π_ref) on tokens sampled from π_θ.
 * `[B, T]`, `[B, T]` → `[B, T]`. Consumes both.
 */
export function klK3(logp: Arr, refLogp: Arr): Arr {
  const d = refLogp.sub(logp);
  return np.exp(d.ref).sub(d).sub(1);
}
