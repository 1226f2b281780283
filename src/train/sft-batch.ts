/**
 * SFT batches, shared by `thinkrl sft` and the cold start: tokenised (prompt, completion) pairs → micro-batches
 * whose loss is the token-mean NLL over the completion tokens of the WHOLE batch (prompt tokens have mask 0), and
 * length-grouped batch plans.
 */
import type { Rng } from "../data/rng.js";
import type { CausalLM } from "../model/causal-lm.js";
import { tokenWeights } from "../rl/aggregate.js";
import { packSequences, sliceRows } from "./batch.js";
import type { MicroBatch, PolicyUpdater } from "./policy-update.js";

/** One tokenised example: the loss covers `completion` (EOS included) only. */
export interface SftTokens {
  prompt: number[];
  completion: number[];
}

/**
 * Packs `rows` into micro-batches of `microBatchSize` rows (the last padded with mask-0 rows, so every micro-batch
 * has the same row count: one jit shape per length bucket). Weights are 1 / (completion tokens of all rows).
 */
export function sftMicroBatches(rows: SftTokens[], padId: number, microBatchSize: number): { micro: MicroBatch[]; tokens: number } {
  const b = packSequences(
    rows.map((r) => r.prompt),
    rows.map((r) => r.completion),
    padId,
    undefined,
    microBatchSize,
  );
  const weights = tokenWeights("token_mean", b.mask, b.B, b.T, 0);
  const micro: MicroBatch[] = [];
  for (let s = 0; s < b.B; s += microBatchSize) {
    const e = s + microBatchSize;
    micro.push({
      B: microBatchSize,
      T: b.T,
      tokens: sliceRows(b.tokens, b.T, s, e),
      targets: sliceRows(b.targets, b.T, s, e),
      mask: sliceRows(b.mask, b.T, s, e),
      weights: sliceRows(weights, b.T, s, e),
    });
  }
  return { micro, tokens: b.mask.reduce((a, x) => a + x, 0) };
}

/**
 * One optimizer step of SFT on `rows`: forward/backward per micro-batch, then AdamW at `lr`.
 * @returns mean completion-token NLL of the batch (nats), the pre-clip gradient norm and the completion-token count
 */
export async function sftStep(up: PolicyUpdater, rows: SftTokens[], microBatchSize: number, lr: number): Promise<{ loss: number; gradNorm: number; tokens: number }> {
  const { micro, tokens } = sftMicroBatches(rows, up.model.padId, microBatchSize);
  let loss = 0;
  for (const mb of micro) loss += (await up.accumulate(mb)).loss;
  const { gradNorm } = await up.apply(lr);
  return { loss, gradNorm, tokens };
}

/**
 * Mean completion-token NLL of `rows` under the model, without gradients (eval loss). Rows are sorted by length and
 * scored `microBatchSize` at a time.
 */
export async function sftEvalLoss(model: CausalLM, rows: SftTokens[], microBatchSize: number): Promise<number> {
  const sorted = [...rows].sort((a, b) => a.prompt.length + a.completion.length - (b.prompt.length + b.completion.length));
  let nll = 0;
  let count = 0;
  for (let s = 0; s < sorted.length; s += microBatchSize) {
    const part = sorted.slice(s, s + microBatchSize);
    const b = packSequences(
      part.map((r) => r.prompt),
      part.map((r) => r.completion),
      model.padId,
      undefined,
      microBatchSize,
    );
    const { logp } = await model.sequenceLogprobs(b);
    for (let i = 0; i < b.mask.length; i++) {
      if (b.mask[i]! > 0) {
        nll -= logp[i]!;
        count++;
      }
    }
  }
  return count > 0 ? nll / count : NaN;
}

/**
 * Batches of indices for one epoch. With `groupByLength`: shuffle, cut into windows of `windowBatches` batches, sort
 * each window by length (longest first), cut into batches, shuffle the batch order. Else: shuffle and cut.
 * Draws only from `rng`, so the plan is a function of the RNG state (resume restores it).
 * @param lengths token length of each example
 */
export function epochBatches(lengths: readonly number[], batchSize: number, rng: Rng, groupByLength: boolean, windowBatches: number): number[][] {
  const order = rng.shuffle(lengths.map((_, i) => i));
  const batches: number[][] = [];
  const window = groupByLength ? batchSize * windowBatches : order.length;
  for (let w = 0; w < order.length; w += window) {
    const part = order.slice(w, w + window);
    if (groupByLength) part.sort((a, b) => lengths[b]! - lengths[a]! || a - b);
    for (let s = 0; s < part.length; s += batchSize) batches.push(part.slice(s, s + batchSize));
  }
  return groupByLength ? rng.shuffle(batches) : batches;
}
