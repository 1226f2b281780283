/**
 * Packing prompt + completion token ids into right-padded `[B, T]` training batches.
 */
import { bucket, type SequenceBatch } from "../model/causal-lm.js";

/** Sequence-length bucket (tokens): bounds the number of jit compilations. */
export const TRAIN_LENGTH_BUCKET = 16;
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
 */
export function packSequences(prompts: number[][], completions: number[][], padId: number, keep?: boolean[], rowMultiple = 1): PackedBatch {
  const n = prompts.length;
  const B = Math.ceil(n / rowMultiple) * rowMultiple;
  const lens = prompts.map((p, i) => p.length + completions[i]!.length - 1);
  const T = bucket(Math.max(1, ...lens), TRAIN_LENGTH_BUCKET);
  const tokens = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(padId);
  const mask = new Float32Array(B * T);
  for (let b = 0; b < n; b++) {
    const seq = [...prompts[b]!, ...completions[b]!];
    const P = prompts[b]!.length;
    for (let t = 0; t < seq.length - 1; t++) {
      tokens[b * T + t] = seq[t]!;
      targets[b * T + t] = seq[t + 1]!;
      if (t >= P - 1 && (keep === undefined || keep[b])) mask[b * T + t] = 1;
    }
  }
  return { B, T, tokens, targets, mask };
}

/** Rows `[start, end)` of a `[B, T]` array. */
export function sliceRows<A extends Float32Array | Int32Array>(a: A, T: number, start: number, end: number): A {
  return a.slice(start * T, end * T) as A;
}
