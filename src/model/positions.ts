/**
 * Host-side position inputs for `llama.ts`: rotary cos/sin tables and attention masks.
 *
 * Rows may be left-padded (prompts of different lengths in one generation batch): a row with `pad` leading pad
 * tokens has token positions max(0, i − pad), and its pad keys are hidden. A query always sees itself, so a
 * pad query never has an empty softmax row (no NaN leaks into the cache).
 *
 * RoPE variants (linear, dynamic NTK, llama3, yarn) change only these host-side tables: see `inverseFrequencies`.
 * `dynamic` depends on the call's sequence length, taken from the positions (max + 1) as transformers does.
 */
import { numpy as np } from "@jax-js/jax";
import type { ModelConfig } from "./config.js";
import type { PositionInputs } from "./llama.js";

const f32 = Math.fround;

/** Plain RoPE inverse frequencies 1 / θ^(2i/H), i < H/2, in float32 steps like transformers (RoFormer §3.2.2). */
function plainFrequencies(theta: number, H: number): Float64Array {
  const out = new Float64Array(H / 2);
  for (let i = 0; i < H / 2; i++) out[i] = f32(1 / f32(Math.pow(f32(theta), f32((2 * i) / H))));
  return out;
}

/**
 * Rotary inverse frequencies `[H/2]` (radians per position) for `cfg`'s RoPE variant, each rounded to float32 the
 * way transformers computes it (float32 tensor ops), for bit-level parity. Formulas, by `cfg.ropeScaling.type`
 * (transformers `modeling_rope_utils.py`, `_compute_*_parameters`):
 * - none ("default"): ω_i = θ^(−2i/H) (RoFormer, Su et al. 2021, §3.2.2).
 * - `linear`: ω_i / factor — positions divided by `factor` (Chen et al. 2023, positional interpolation).
 * - `dynamic`: with L = max(seqLen, max_position_embeddings), θ' = θ·(factor·L/max_position_embeddings −
 *   (factor − 1))^(H/(H−2)), ω_i = θ'^(−2i/H) (NTK-aware scaling, bloc97; dynamic variant, emozilla). For
 *   L = max_position_embeddings, θ' = θ.
 * - `llama3`: with wavelength λ_i = 2π/ω_i and C = original_max_position_embeddings: λ_i < C/high_freq_factor →
 *   ω_i; λ_i > C/low_freq_factor → ω_i/factor; otherwise (1 − s)·ω_i/factor + s·ω_i with
 *   s = (C/λ_i − low_freq_factor)/(high_freq_factor − low_freq_factor) (Llama 3 herd paper, Meta `apply_scaling`).
 * - `yarn`: ω_i·e_i + (ω_i/factor)·(1 − e_i), e_i = 1 − clamp((i − lo)/(hi − lo), 0, 1), where [lo, hi] is the
 *   dimension range whose wavelength at C = original_max_position_embeddings spans beta_fast…beta_slow rotations:
 *   d(r) = H·ln(C/(2πr))/(2 ln θ), lo = ⌊d(beta_fast)⌋ ≥ 0, hi = ⌈d(beta_slow)⌉ ≤ H − 1 (YaRN, Peng et al. 2023,
 *   §3.2 "NTK-by-parts"). Its attention factor is applied to cos/sin (`ropeTables`).
 * @param seqLen the forward's sequence length, used by `dynamic` only: transformers' `dynamic_rope_update` takes
 *   max(position_ids) + 1 of the current call (for a KV-cached decode step: the new token's position + 1).
 */
export function inverseFrequencies(cfg: ModelConfig, seqLen = 0): Float64Array {
  const H = cfg.headDim;
  const rs = cfg.ropeScaling;
  const plain = plainFrequencies(cfg.ropeTheta, H);
  if (!rs) return plain;
  switch (rs.type) {
    case "linear":
      return plain.map((w) => f32(w / rs.factor));
    case "dynamic": {
      const orig = cfg.maxPositionEmbeddings;
      if (seqLen <= orig) return plain; // HF keeps (or resets to) the init frequencies, computed with L = orig
      // HF computes the new base from a tensor seq_len: float32 arithmetic throughout.
      let x = f32(f32(rs.factor) * seqLen);
      x = f32(x / orig);
      x = f32(x - f32(rs.factor - 1));
      return plainFrequencies(f32(f32(cfg.ropeTheta) * f32(Math.pow(x, H / (H - 2)))), H);
    }
    case "llama3": {
      const C = rs.originalMaxPositionEmbeddings;
      const lowWavelen = f32(C / rs.lowFreqFactor);
      const highWavelen = f32(C / rs.highFreqFactor);
      return plain.map((w) => {
        const wavelen = f32(f32(1 / w) * f32(2 * Math.PI)); // torch: scalar / tensor = reciprocal(tensor) · scalar
        const scaled = wavelen > lowWavelen ? f32(w / rs.factor) : w;
        if (wavelen < highWavelen || wavelen > lowWavelen) return scaled;
        const s = f32(f32(f32(f32(1 / wavelen) * C) - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor));
        return f32(f32(f32(f32(1 - s) * scaled) / rs.factor) + f32(s * scaled));
      });
    }
    case "yarn": {
      const C = rs.originalMaxPositionEmbeddings;
      const correctionDim = (rotations: number): number => (H * Math.log(C / (rotations * 2 * Math.PI))) / (2 * Math.log(cfg.ropeTheta));
      let lo = correctionDim(rs.betaFast);
      let hi = correctionDim(rs.betaSlow);
      if (rs.truncate) {
        lo = Math.floor(lo);
        hi = Math.ceil(hi);
      }
      lo = Math.max(lo, 0);
      hi = Math.min(hi, H - 1);
      if (lo === hi) hi += 0.001; // HF: prevent a zero-width ramp
      const out = new Float64Array(H / 2);
      for (let i = 0; i < H / 2; i++) {
        const posFreq = f32(Math.pow(f32(cfg.ropeTheta), f32((2 * i) / H)));
        const extrapolation = f32(1 / posFreq);
        const interpolation = f32(1 / f32(rs.factor * posFreq));
        const ramp = Math.min(1, Math.max(0, f32(f32(i - lo) / (hi - lo))));
        const extrapolationFactor = f32(1 - ramp);
        out[i] = f32(f32(interpolation * f32(1 - extrapolationFactor)) + f32(extrapolation * extrapolationFactor));
      }
      return out;
    }
  }
}

/** Multiplier of cos/sin: YaRN's attention factor (`cfg.ropeScaling.attentionFactor`), 1 for other variants. */
export function ropeAttentionFactor(cfg: ModelConfig): number {
  return cfg.ropeScaling?.type === "yarn" ? cfg.ropeScaling.attentionFactor : 1;
}

/**
 * cos/sin `[B, T, 1, H/2]` for integer positions `[B, T]` (row-major): angle p·ω_i in float32 as transformers
 * computes it, times `ropeAttentionFactor` (yarn).
 * @param seqLen sequence length for `dynamic` RoPE (see `inverseFrequencies`); default max(positions) + 1 over the
 *   whole batch, which is transformers' rule (`dynamic_rope_update`: torch.max(position_ids) + 1). So a full
 *   forward over T unpadded tokens uses T; a left-padded prefill uses its longest prompt; a KV-cached decode step
 *   uses the new token's largest position + 1 — and cached keys keep the rotation of the step that wrote them,
 *   as in transformers' `generate(use_cache=True)`. Hence, for `dynamic` only, KV-cached decoding is not the same
 *   function as a full re-forward once positions pass `max_position_embeddings` (in transformers too), and a
 *   row's result depends on the longest row of its batch. Unlike transformers, no state is kept between calls:
 *   transformers' rotary module only grows its cached frequencies (and resets them below the original length),
 *   so a call shorter than an earlier longer one there can reuse the longer one's frequencies.
 */
export function ropeTables(
  cfg: ModelConfig,
  positions: Int32Array,
  B: number,
  T: number,
  seqLen?: number,
): { cos: np.Array; sin: np.Array } {
  let maxPos = 0;
  for (let r = 0; r < B * T; r++) maxPos = Math.max(maxPos, positions[r]!);
  const inv = inverseFrequencies(cfg, seqLen ?? maxPos + 1);
  const scale = f32(ropeAttentionFactor(cfg));
  const h = inv.length;
  const cos = new Float32Array(B * T * h);
  const sin = new Float32Array(B * T * h);
  for (let r = 0; r < B * T; r++) {
    const p = positions[r]!;
    for (let i = 0; i < h; i++) {
      // HF computes the angle in float32: (float)p * inv_freq; match that rounding for parity.
      const ang = f32(f32(p) * f32(inv[i]!));
      cos[r * h + i] = scale === 1 ? Math.cos(ang) : f32(f32(Math.cos(ang)) * scale);
      sin[r * h + i] = scale === 1 ? Math.sin(ang) : f32(f32(Math.sin(ang)) * scale);
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

/**
 * Inputs for one decode step against a read-only cache (`decodeStepInPlace`): as `decodePositionInputs`, but the
 * mask is `[B, 1, 1, W + 1]`: keys `pad[b] ≤ j < slot` among the first W cache slots, then true for the new token's
 * own key, which is not in the cache yet (slot `slot` is hidden).
 * @param S cache slots the attention reads (W; at least `slot`)
 * @throws RangeError when `slot > S`
 */
export function decodePositionInputsOwnKey(cfg: ModelConfig, B: number, S: number, slot: number, pad: ArrayLike<number>): PositionInputs {
  if (slot > S) throw new RangeError(`decodePositionInputsOwnKey: slot ${slot} is past the ${S} slots read`);
  const positions = new Int32Array(B);
  const mask = new Int32Array(B * (S + 1));
  for (let b = 0; b < B; b++) {
    const pb = pad[b]!;
    positions[b] = Math.max(0, slot - pb);
    for (let j = pb; j < slot; j++) mask[b * (S + 1) + j] = 1;
    mask[b * (S + 1) + S] = 1;
  }
  const { cos, sin } = ropeTables(cfg, positions, B, 1);
  return { cos, sin, mask: np.array(mask, { dtype: np.bool }).reshape([B, 1, 1, S + 1]) };
}
