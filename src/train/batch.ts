/**
 * Packing prompt + completion token ids into right-padded `[B, T]` training batches.
 */
import { bucket, type SequenceBatch } from "../model/causal-lm.js";

/** Sequence-length bucket (tokens): bounds the number of jit compilations. */
export const TRAIN_LENGTH_BUCKET = 16;
/**
 * Sequence-length bucket of long completions (tokens): runs whose prompt + completion can pass
 * `LONG_SEQUENCE_TOKENS` pad to multiples of this, so a long-tail task compiles a few shapes, not one per 16 tokens
 * (each compiled shape keeps its own Wasm memory: cold-starting the long-multiplication model with 16-token buckets
 * passed the 4 GiB limit within 5 steps).
 */
export const LONG_LENGTH_BUCKET = 64;
/** Sequence length (tokens) above which `lengthBucketFor` picks `LONG_LENGTH_BUCKET`. */
export const LONG_SEQUENCE_TOKENS = 128;

/** The training length bucket for sequences of up to `maxTokens` tokens. */
export function lengthBucketFor(maxTokens: number): number {
  return maxTokens > LONG_SEQUENCE_TOKENS ? LONG_LENGTH_BUCKET : TRAIN_LENGTH_BUCKET;
}
/** Row bucket: batches are padded to a multiple of this many rows (mask 0), for the same reason. */
export const TRAIN_ROW_BUCKET = 16;

export interface PackedBatch extends SequenceBatch {
  /** `[B, T]` 1 where the target is a completion token (EOS included), 0 on prompt and padding. */
  mask: Float32Array;
}

/**
 * @param prompts prompt ids per row; @param completions completion ids per row
 * @param keep optional per-row flag: rows with `false` get an all-zero mask (e.g. truncated completions)
 * @param rowMultiple pad the batch with all-pad, mask-0 rows up to a multiple of this (jit shape buckets)
 * @param lengthBucket T is a multiple of this (default `TRAIN_LENGTH_BUCKET`)
 * @param tokenKeep optional per-row, per-completion-token 0/1 (`[n][completion length]`): tokens with 0 get mask 0
 *   (partial rollouts leave tokens of earlier policies out of the loss)
 */
export function packSequences(
  prompts: number[][],
  completions: number[][],
  padId: number,
  keep?: boolean[],
  rowMultiple = 1,
  lengthBucket = TRAIN_LENGTH_BUCKET,
  tokenKeep?: readonly (readonly number[])[],
): PackedBatch {
  const n = prompts.length;
  const B = Math.ceil(n / rowMultiple) * rowMultiple;
  const lens = prompts.map((p, i) => p.length + completions[i]!.length - 1);
  const T = bucket(Math.max(1, ...lens), lengthBucket);
  const tokens = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(padId);
  const mask = new Float32Array(B * T);
  for (let b = 0; b < n; b++) {
    const seq = [...prompts[b]!, ...completions[b]!];
    const P = prompts[b]!.length;
    for (let t = 0; t < seq.length - 1; t++) {
      tokens[b * T + t] = seq[t]!;
      targets[b * T + t] = seq[t + 1]!;
      if (t >= P - 1 && (keep === undefined || keep[b]) && (tokenKeep === undefined || tokenKeep[b]![t - P + 1] === 1)) mask[b * T + t] = 1;
    }
  }
  return { B, T, tokens, targets, mask };
}

/** Rows `[start, end)` of a `[B, T]` array. */
export function sliceRows<A extends Float32Array | Int32Array>(a: A, T: number, start: number, end: number): A {
  return a.slice(start * T, end * T) as A;
}
