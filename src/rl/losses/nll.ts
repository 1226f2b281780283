/** Negative log-likelihood: supervised fine-tuning, the R1 cold start (DeepSeek-R1 §2.3.1) and distillation (§2.4). */
import { numpy as np } from "@jax-js/jax";
import { disposeUnused, type LossOutput, type Objective } from "./types.js";

type Arr = np.Array;

/** loss = −Σ w ⊙ logp (`[B, T]` each; with token-mean weights the mean token NLL). Consumes both. */
export function nllLoss(logp: Arr, weights: Arr): Arr {
  return logp.mul(weights).sum().neg();
}

export const nll: Objective = {
  name: "nll",
  description: "negative log-likelihood −Σ w·log π(y_t) of the completion tokens (SFT, cold start, distillation)",
  metricKeys: [],
  needs: () => ({ advantages: false, rewards: false, oldLogp: false, refLogp: false, pairs: false }),
  loss(inp): LossOutput {
    disposeUnused(inp, ["logp", "weights"]);
    return { loss: nllLoss(inp.logp, inp.weights), metrics: {} };
  },
};
