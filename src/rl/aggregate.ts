/**
 * Loss aggregation as per-token weights: every aggregation mode is Σ_{i,t} w_{i,t} · ℓ_{i,t}, so micro-batches
 * add up to the full-batch loss and the engine only ever sees a weight matrix.
 *
 * - `grpo` (DeepSeekMath eq. 3): mean over each sequence's tokens, then mean over sequences — w = 1 / (N · |o_i|).
 *   Long wrong answers are penalised less per token (length bias, Liu et al. 2025 "Dr. GRPO" §3.1).
 * - `dapo` (Yu et al. 2025 "DAPO" §3.3, token-level loss): sum over all active tokens of the batch ÷ their
 *   count — w = 1 / Σ|o_i|, counted across micro-batches.
 * - `dr_grpo` (Dr. GRPO §3.1): sum ÷ (N · maxCompletionLength), a constant — w = 1 / (N · L_max).
 * - `token_mean`: same weights as `dapo` (used for SFT's mean token NLL).
 * - `sequence_sum` (REINFORCE, Williams 1992; Transformer²'s reference loss −(Σ_t log π(y_t))·r / batch): each
 *   sequence's per-token terms summed, then the mean over sequences — w = 1 / N. Longer completions weigh more.
 */
export type LossType = "grpo" | "dapo" | "dr_grpo" | "sequence_sum";
export const LOSS_TYPES: readonly LossType[] = ["grpo", "dapo", "dr_grpo", "sequence_sum"];

/**
 * @param mask `[R, T]` row-major 0/1 completion-token mask of the WHOLE batch (all micro-batches)
 * @param maxCompletionLength L_max, for `dr_grpo`
 * @param N number of sequences the mean runs over (default R); rows beyond it are shape padding (mask 0)
 * @returns `[R, T]` weights (0 where mask is 0)
 */
export function tokenWeights(
  lossType: LossType | "token_mean",
  mask: Float32Array,
  R: number,
  T: number,
  maxCompletionLength: number,
  N: number = R,
): Float32Array {
  const w = new Float32Array(R * T);
  let total = 0;
  for (let i = 0; i < R * T; i++) total += mask[i]!;
  for (let i = 0; i < R; i++) {
    let len = 0;
    for (let t = 0; t < T; t++) len += mask[i * T + t]!;
    let scale: number;
    switch (lossType) {
      case "grpo":
        scale = len > 0 ? 1 / (N * len) : 0;
        break;
      case "dapo":
      case "token_mean":
        scale = total > 0 ? 1 / total : 0;
        break;
      case "dr_grpo":
        scale = 1 / (N * maxCompletionLength);
        break;
      case "sequence_sum":
        scale = N > 0 ? 1 / N : 0;
        break;
    }
    for (let t = 0; t < T; t++) w[i * T + t] = mask[i * T + t]! * scale;
  }
  return w;
}
