/**
 * Model architecture config: parsed from a Hugging Face `config.json` (LlamaConfig / Qwen2Config field names)
 * and written back in the same shape, so checkpoints we save load in `transformers`.
 */
import { CheckpointError } from "../core/errors.js";

export type ModelType = "llama" | "qwen2";
export const SUPPORTED_MODEL_TYPES: readonly ModelType[] = ["llama", "qwen2"];

/**
 * A RoPE scaling variant (HF `rope_scaling` / `rope_parameters` with `rope_type` ≠ "default"), with every default
 * resolved the way transformers 5 resolves it (`modeling_rope_utils.py`). The formulas live in `positions.ts`.
 * - `linear` — positional interpolation (Chen et al. 2023, "Extending Context Window of Large Language Models via
 *   Positional Interpolation"): every inverse frequency divided by `factor`.
 * - `dynamic` — dynamic NTK-aware scaling (bloc97 / emozilla, 2023): once a forward's sequence length exceeds
 *   `max_position_embeddings`, the base θ grows with that length.
 * - `llama3` — Llama 3.1 / 3.2 (Llama 3 herd paper; Meta's reference `apply_scaling`): wavelength-dependent
 *   interpolation between unscaled (short wavelengths) and `factor`-scaled (long wavelengths) frequencies.
 * - `yarn` — YaRN (Peng et al. 2023): per-dimension ramp between extrapolation and interpolation, plus an
 *   attention factor that scales cos/sin.
 */
export type RopeScaling =
  | { type: "linear"; factor: number }
  | { type: "dynamic"; factor: number }
  | { type: "llama3"; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number }
  | {
      type: "yarn";
      factor: number;
      originalMaxPositionEmbeddings: number;
      /** cos/sin multiplier; HF default 0.1·ln(factor) + 1 (or the `mscale`/`mscale_all_dim` ratio), resolved here. */
      attentionFactor: number;
      /** Ramp bounds in rotations (HF defaults 32 and 1; a 0 or null counts as unset, as in HF). */
      betaFast: number;
      betaSlow: number;
      /** Round the correction range to whole dimensions (HF default true). */
      truncate: boolean;
    };
export type RopeType = "default" | RopeScaling["type"];
export const SUPPORTED_ROPE_TYPES: readonly RopeType[] = ["default", "linear", "dynamic", "llama3", "yarn"];

/** Decoder-only transformer shape (pre-norm RMSNorm, RoPE, GQA attention, SwiGLU MLP). */
export interface ModelConfig {
  modelType: ModelType;
  vocabSize: number;
  hiddenSize: number;
  /** SwiGLU inner width. */
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** GQA: key/value heads; divides `numAttentionHeads`. */
  numKeyValueHeads: number;
  /** Per-head width; HF default `hiddenSize / numAttentionHeads`. */
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** RoPE scaling; absent for plain RoPE (`rope_type` "default"). */
  ropeScaling?: RopeScaling;
  /** Also the original context length of `dynamic` RoPE scaling (as in transformers). */
  maxPositionEmbeddings: number;
  /** LM head shares the embedding matrix (no `lm_head.weight` in the checkpoint). */
  tieWordEmbeddings: boolean;
  /** q/k/v projections have a bias: always true for qwen2, `attention_bias` for llama (o_proj bias too there). */
  attentionBias: boolean;
  bosTokenId: number | null;
  /** Generation stops at any of these (HF allows one id or a list). */
  eosTokenId: number[];
  padTokenId: number | null;
  /** HF `torch_dtype` of the stored weights, e.g. "bfloat16"; informational. */
  torchDtype?: string;
}

/**
 * Defaults applied when a field is absent, mirroring `transformers` LlamaConfig / Qwen2Config `__init__`.
 * Size fields (vocab, hidden, intermediate, layers, heads) have no default: they must be present.
 */
const HF_DEFAULTS: Record<ModelType, { rmsNormEps: number; ropeTheta: number; maxPositionEmbeddings: number; tieWordEmbeddings: boolean }> = {
  llama: { rmsNormEps: 1e-6, ropeTheta: 10000, maxPositionEmbeddings: 2048, tieWordEmbeddings: false },
  qwen2: { rmsNormEps: 1e-6, ropeTheta: 10000, maxPositionEmbeddings: 32768, tieWordEmbeddings: false },
};

const ARCHITECTURES: Record<ModelType, string> = { llama: "LlamaForCausalLM", qwen2: "Qwen2ForCausalLM" };

/**
 * Parses a Hugging Face `config.json` object.
 * @param json the parsed JSON.
 * @param source file name for error messages (default "config.json").
 * RoPE: transformers < 5 writes `rope_theta` + `rope_scaling: {rope_type | type, factor, ...}`; transformers 5 writes
 * `rope_parameters: {rope_type, rope_theta, factor, ...}`. Both are read; where both hold a scaling, they must agree
 * (`rope_scaling` is what transformers 4 and 5 both use then). See `RopeScaling` for the supported types.
 * @throws CheckpointError naming the file and field for missing/invalid fields, an unsupported `model_type` or
 *   `rope_type` (longrope, ...), a `partial_rotary_factor` ≠ 1, sliding-window attention, a non-SiLU activation or
 *   an MLP bias.
 */
export function parseHfConfig(json: unknown, source = "config.json"): ModelConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new CheckpointError(`${source}: expected a JSON object`);
  const j: Record<string, unknown> = { ...(json as Record<string, unknown>) };
  const fail = (field: string, msg: string): never => {
    throw new CheckpointError(`${source}: ${field} ${msg}`);
  };
  const has = (k: string): boolean => j[k] !== undefined && j[k] !== null;
  const posInt = (k: string, dflt?: number): number => {
    if (!has(k)) return dflt ?? fail(k, "is missing");
    const v = j[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) fail(k, `must be a positive integer (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const posNum = (k: string, dflt: number): number => {
    if (!has(k)) return dflt;
    const v = j[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) fail(k, `must be a positive number (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const bool = (k: string, dflt: boolean): boolean => {
    if (!has(k)) return dflt;
    if (typeof j[k] !== "boolean") fail(k, `must be true or false (got ${JSON.stringify(j[k])})`);
    return j[k] as boolean;
  };
  const tokenId = (k: string): number | null => {
    if (!has(k)) return null;
    const v = j[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail(k, `must be a token id (got ${JSON.stringify(v)})`);
    return v as number;
  };

  const mt = j["model_type"];
  if (mt === undefined) fail("model_type", `is missing (supported: ${SUPPORTED_MODEL_TYPES.join(", ")})`);
  if (!SUPPORTED_MODEL_TYPES.includes(mt as ModelType)) {
    fail("model_type", `${JSON.stringify(mt)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(", ")})`);
  }
  const modelType = mt as ModelType;
  const d = HF_DEFAULTS[modelType];

  // Features whose math we do not implement: refuse rather than silently compute something else.
  const maxPositionEmbeddings = posInt("max_position_embeddings", d.maxPositionEmbeddings);
  const scalings: { key: string; scaling: RopeScaling | undefined }[] = [];
  for (const k of ["rope_parameters", "rope_scaling"]) {
    if (!has(k)) continue;
    const rp = j[k];
    if (typeof rp !== "object" || Array.isArray(rp)) fail(k, `must be an object (got ${JSON.stringify(rp)})`);
    const r = rp as Record<string, unknown>;
    if (r["rope_theta"] !== undefined && r["rope_theta"] !== null) j["rope_theta"] = r["rope_theta"]; // wins over a top-level rope_theta
    scalings.push({ key: k, scaling: parseRopeScaling(r, k, j, maxPositionEmbeddings, fail) });
  }
  if (scalings.length === 2 && JSON.stringify(scalings[0]!.scaling) !== JSON.stringify(scalings[1]!.scaling)) {
    fail("rope_scaling", `${JSON.stringify(j["rope_scaling"])} disagrees with rope_parameters ${JSON.stringify(j["rope_parameters"])}`);
  }
  const ropeScaling = scalings.length > 0 ? scalings[scalings.length - 1]!.scaling : undefined;
  if (has("partial_rotary_factor") && j["partial_rotary_factor"] !== 1) {
    fail("partial_rotary_factor", `${JSON.stringify(j["partial_rotary_factor"])} is not supported (rotary embeddings on the whole head only)`);
  }
  if (has("hidden_act") && j["hidden_act"] !== "silu") fail("hidden_act", `${JSON.stringify(j["hidden_act"])} is not supported (only "silu")`);
  if (modelType === "llama" && bool("mlp_bias", false)) fail("mlp_bias", "true is not supported");
  if (modelType === "qwen2" && bool("use_sliding_window", false)) fail("use_sliding_window", "true is not supported (sliding-window attention)");

  const hiddenSize = posInt("hidden_size");
  const numAttentionHeads = posInt("num_attention_heads");
  const numKeyValueHeads = posInt("num_key_value_heads", numAttentionHeads);
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    fail("num_key_value_heads", `(${numKeyValueHeads}) must divide num_attention_heads (${numAttentionHeads})`);
  }
  if (!has("head_dim") && hiddenSize % numAttentionHeads !== 0) {
    fail("hidden_size", `(${hiddenSize}) must be divisible by num_attention_heads (${numAttentionHeads}) when head_dim is absent`);
  }
  const headDim = posInt("head_dim", hiddenSize / numAttentionHeads);
  if (headDim % 2 !== 0) fail("head_dim", `(${headDim}) must be even for rotary embeddings`);

  let eosTokenId: number[] = [];
  const eos = j["eos_token_id"];
  if (Array.isArray(eos)) {
    if (!eos.every((x) => Number.isSafeInteger(x) && x >= 0)) fail("eos_token_id", `must be token ids (got ${JSON.stringify(eos)})`);
    eosTokenId = eos as number[];
  } else if (has("eos_token_id")) {
    eosTokenId = [tokenId("eos_token_id")!];
  }

  const dtype = j["torch_dtype"] ?? j["dtype"]; // newer transformers write `dtype`
  const cfg: ModelConfig = {
    modelType,
    vocabSize: posInt("vocab_size"),
    hiddenSize,
    intermediateSize: posInt("intermediate_size"),
    numHiddenLayers: posInt("num_hidden_layers"),
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps: posNum("rms_norm_eps", d.rmsNormEps),
    ropeTheta: posNum("rope_theta", d.ropeTheta),
    maxPositionEmbeddings,
    tieWordEmbeddings: bool("tie_word_embeddings", d.tieWordEmbeddings),
    attentionBias: modelType === "qwen2" ? true : bool("attention_bias", false),
    bosTokenId: tokenId("bos_token_id"),
    eosTokenId,
    padTokenId: tokenId("pad_token_id"),
  };
  if (typeof dtype === "string") cfg.torchDtype = dtype;
  if (ropeScaling) cfg.ropeScaling = ropeScaling;
  return cfg;
}

/**
 * One `rope_scaling` / `rope_parameters` object → `RopeScaling` (undefined for "default"), with transformers 5's
 * defaults (`RotaryEmbeddingConfigMixin.standardize_rope_params` and the `_compute_*_parameters` functions):
 * `original_max_position_embeddings` of llama3/yarn comes from a top-level `original_max_position_embeddings`
 * first (HF gives that priority), then the object, then `max_position_embeddings`.
 */
function parseRopeScaling(
  r: Record<string, unknown>,
  key: string,
  top: Record<string, unknown>,
  maxPositionEmbeddings: number,
  fail: (field: string, msg: string) => never,
): RopeScaling | undefined {
  const type = r["rope_type"] ?? r["type"] ?? "default";
  const typeField = `${key}.${r["rope_type"] !== undefined ? "rope_type" : "type"}`;
  if (typeof type !== "string" || !SUPPORTED_ROPE_TYPES.includes(type as RopeType)) {
    fail(typeField, `${JSON.stringify(type)} is not supported (supported: ${SUPPORTED_ROPE_TYPES.join(", ")})`);
  }
  const prf = r["partial_rotary_factor"];
  if (prf !== undefined && prf !== null && prf !== 1) {
    fail(`${key}.partial_rotary_factor`, `${JSON.stringify(prf)} is not supported (rotary embeddings on the whole head only)`);
  }
  const set = (k: string): boolean => r[k] !== undefined && r[k] !== null;
  const num = (k: string, check: (v: number) => boolean, what: string): number => {
    if (!set(k)) fail(`${key}.${k}`, `is missing (required for rope_type ${JSON.stringify(type)})`);
    const v = r[k];
    if (typeof v !== "number" || !Number.isFinite(v) || !check(v)) fail(`${key}.${k}`, `must be ${what} (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const optNum = (k: string, check: (v: number) => boolean, what: string): number | undefined => (set(k) ? num(k, check, what) : undefined);
  const positive = (v: number): boolean => v > 0;
  const originalMax = (): number => {
    const k = "original_max_position_embeddings";
    const v = top[k] ?? r[k] ?? maxPositionEmbeddings;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) {
      fail(top[k] !== undefined ? k : `${key}.${k}`, `must be a positive integer (got ${JSON.stringify(v)})`);
    }
    return v as number;
  };
  switch (type as RopeType) {
    case "default":
      return undefined;
    case "linear":
    case "dynamic":
      return { type: type as "linear" | "dynamic", factor: num("factor", (v) => v >= 1, "a number ≥ 1") };
    case "llama3": {
      const factor = num("factor", (v) => v >= 1, "a number ≥ 1");
      const lowFreqFactor = num("low_freq_factor", positive, "a positive number");
      const highFreqFactor = num("high_freq_factor", (v) => v > lowFreqFactor, `a number > low_freq_factor (${lowFreqFactor})`);
      return { type: "llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: originalMax() };
    }
    case "yarn": {
      const factor = num("factor", (v) => v >= 1, "a number ≥ 1");
      // HF: `get("beta_fast") or 32`, so 0 means the default too.
      const betaFast = optNum("beta_fast", Number.isFinite, "a number") || 32;
      const betaSlow = optNum("beta_slow", Number.isFinite, "a number") || 1;
      const mscale = optNum("mscale", Number.isFinite, "a number");
      const mscaleAllDim = optNum("mscale_all_dim", Number.isFinite, "a number");
      if (set("truncate") && typeof r["truncate"] !== "boolean") fail(`${key}.truncate`, `must be true or false (got ${JSON.stringify(r["truncate"])})`);
      // YaRN §3.4 (HF `get_mscale`): √(1/t) = 0.1·ln(s) + 1; DeepSeek-V3 divides two such terms (mscale, mscale_all_dim).
      const getMscale = (scale: number, m = 1): number => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
      const attentionFactor =
        optNum("attention_factor", positive, "a positive number") ??
        (mscale && mscaleAllDim ? getMscale(factor, mscale) / getMscale(factor, mscaleAllDim) : getMscale(factor));
      const truncate = set("truncate") ? (r["truncate"] as boolean) : true;
      return { type: "yarn", factor, originalMaxPositionEmbeddings: originalMax(), attentionFactor, betaFast, betaSlow, truncate };
    }
  }
}

/** `ModelConfig.ropeScaling` → the HF fields of one rope object (without `rope_theta`); `{}` for plain RoPE. */
function ropeScalingToHf(s: RopeScaling | undefined): Record<string, unknown> {
  if (!s) return {};
  switch (s.type) {
    case "linear":
    case "dynamic":
      return { rope_type: s.type, factor: s.factor };
    case "llama3":
      return {
        rope_type: "llama3",
        factor: s.factor,
        low_freq_factor: s.lowFreqFactor,
        high_freq_factor: s.highFreqFactor,
        original_max_position_embeddings: s.originalMaxPositionEmbeddings,
      };
    case "yarn":
      return {
        rope_type: "yarn",
        factor: s.factor,
        original_max_position_embeddings: s.originalMaxPositionEmbeddings,
        attention_factor: s.attentionFactor,
        beta_fast: s.betaFast,
        beta_slow: s.betaSlow,
        truncate: s.truncate,
      };
  }
}

/**
 * Writes a `config.json` object that `transformers` loads as LlamaForCausalLM / Qwen2ForCausalLM.
 * RoPE scaling goes into both layouts: `rope_scaling` (transformers 4; null for plain RoPE) and `rope_parameters`
 * (transformers 5), with every default written out (yarn's attention factor included). Caveat: transformers 4.4x's
 * yarn replaced `factor` by max_position_embeddings / original_max_position_embeddings whenever the latter is set,
 * and ignored `truncate`; transformers 5 uses the explicit `factor`, as we do.
 * @throws CheckpointError for a qwen2 config without attention bias (Qwen2 always has q/k/v bias).
 */
export function toHfConfig(c: ModelConfig): Record<string, unknown> {
  if (c.modelType === "qwen2" && !c.attentionBias) {
    throw new CheckpointError("toHfConfig: qwen2 always has q/k/v bias; attentionBias=false cannot be expressed");
  }
  const out: Record<string, unknown> = {
    architectures: [ARCHITECTURES[c.modelType]],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    num_key_value_heads: c.numKeyValueHeads,
    head_dim: c.headDim,
    hidden_act: "silu",
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: c.ropeScaling ? ropeScalingToHf(c.ropeScaling) : null,
    rope_parameters: { rope_type: "default", rope_theta: c.ropeTheta, ...ropeScalingToHf(c.ropeScaling) }, // transformers ≥ 5 reads this
    max_position_embeddings: c.maxPositionEmbeddings,
    tie_word_embeddings: c.tieWordEmbeddings,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId.length === 0 ? null : c.eosTokenId.length === 1 ? c.eosTokenId[0] : [...c.eosTokenId],
    pad_token_id: c.padTokenId,
    torch_dtype: c.torchDtype ?? "float32",
    dtype: c.torchDtype ?? "float32", // transformers ≥ 4.56 name for torch_dtype
    use_cache: true,
  };
  if (c.modelType === "llama") {
    out["attention_bias"] = c.attentionBias;
    out["mlp_bias"] = false;
  } else {
    out["use_sliding_window"] = false;
  }
  return out;
}
