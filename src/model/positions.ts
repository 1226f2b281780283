/**
 * Host-side position inputs for `llama.ts`: rotary cos/sin tables and attention masks.
 *
 * Rows may be left-padded (prompts of different lengths in one generation batch): a row with `pad` leading pad
 * tokens has token positions max(0, i − pad), and its pad keys are hidden. A query always sees itself, so a
 * pad query never has an empty softmax row (no NaN leaks into the cache).
 */
import { numpy as np } from "@jax-js/jax";
import type { ModelConfig } from "./config.js";
import type { PositionInputs } from "./llama.js";

/** Inverse frequencies θ^(−2i/H), i < H/2 (RoFormer §3.2.2; HF `rope_theta`). */
export function inverseFrequencies(cfg: ModelConfig): Float64Array {
  const H = cfg.headDim;
  const out = new Float64Array(H / 2);
  for (let i = 0; i < H / 2; i++) out[i] = 1 / Math.pow(cfg.ropeTheta, (2 * i) / H);
  return out;
}

/** cos/sin `[B, T, 1, H/2]` for integer positions `[B, T]` (row-major). */
export function ropeTables(cfg: ModelConfig, positions: Int32Array, B: number, T: number): { cos: np.Array; sin: np.Array } {
  const inv = inverseFrequencies(cfg);
  const h = inv.length;
  const cos = new Float32Array(B * T * h);
  const sin = new Float32Array(B * T * h);
  for (let r = 0; r < B * T; r++) {
    const p = positions[r]!;
    for (let i = 0; i < h; i++) {
      // HF computes the angle in float32: (float)p * inv_freq; match that rounding for parity.
      const ang = Math.fround(Math.fround(p) * Math.fround(inv[i]!));
      cos[r * h + i] = Math.cos(ang);
      sin[r * h + i] = Math.sin(ang);
    }
  }
  return { cos: np.array(cos).reshape([B, T, 1, h]), sin: np.array(sin).reshape([B, T, 1, h]) };
}

/**
 * Inputs for a full forward over `[B, T]` tokens whose first `pad[b]` tokens are left padding
 * (pass zeros for right-padded or unpadded batches: trailing pads are invisible to earlier tokens anyway).
 */
export function fullPositionInputs(cfg: ModelConfig, B: number, T: number, pad?: ArrayLike<number>): PositionInputs {
  const positions = new Int32Array(B * T);
  const mask = new Int32Array(B * T * T);
  for (let b = 0; b < B; b++) {
    const pb = pad ? pad[b]! : 0;
    for (let i = 0; i < T; i++) {
      positions[b * T + i] = Math.max(0, i - pb);
      for (let j = 0; j <= i; j++) mask[(b * T + i) * T + j] = j >= pb || j === i ? 1 : 0;
    }
  }
  const { cos, sin } = ropeTables(cfg, positions, B, T);
  return { cos, sin, mask: np.array(mask, { dtype: np.bool }).reshape([B, 1, T, T]) };
}

/**
 * Inputs for one decode step: the new token sits in cache slot `slot` (same for every row), at position
 * `slot − pad[b]`; it sees keys `pad[b] ≤ j ≤ slot` of a cache of `S` slots.
 */
export function decodePositionInputs(cfg: ModelConfig, B: number, S: number, slot: number, pad: ArrayLike<number>): PositionInputs {
  const positions = new Int32Array(B);
  const mask = new Int32Array(B * S);
  for (let b = 0; b < B; b++) {
    const pb = pad[b]!;
    positions[b] = Math.max(0, slot - pb);
    for (let j = 0; j <= slot; j++) mask[b * S + j] = j >= pb || j === slot ? 1 : 0;
  }
  const { cos, sin } = ropeTables(cfg, positions, B, 1);
  return { cos, sin, mask: np.array(mask, { dtype: np.bool }).reshape([B, 1, 1, S]) };
}
