/**
 * Model architecture config: parsed from a Hugging Face `config.json` (LlamaConfig / Qwen2Config field names)
 * and written back in the same shape, so checkpoints we save load in `transformers`.
 */
import { CheckpointError } from "../errors.js";

export type ModelType = "llama" | "qwen2";
export const SUPPORTED_MODEL_TYPES: readonly ModelType[] = ["llama", "qwen2"];

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
 * @throws CheckpointError naming the file and field for missing/invalid fields, an unsupported `model_type`,
 *   `rope_scaling` (other than type "default"), sliding-window attention, a non-SiLU activation or an MLP bias.
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
  // RoPE: transformers < 5 writes `rope_theta` (+ `rope_scaling`); transformers 5 writes
  // `rope_parameters: { rope_type, rope_theta, ... }` instead. Only plain RoPE (type "default") is implemented.
  for (const k of ["rope_scaling", "rope_parameters"]) {
    if (!has(k)) continue;
    const rp = j[k];
    const type = typeof rp === "object" && !Array.isArray(rp) ? ((rp as Record<string, unknown>)["rope_type"] ?? (rp as Record<string, unknown>)["type"]) : undefined;
    if (type !== "default") fail(k, `${JSON.stringify(rp)} is not supported yet (only plain RoPE, rope_type "default")`);
  }
  const ropeParams = has("rope_parameters") ? (j["rope_parameters"] as Record<string, unknown>) : {};
  if (ropeParams["rope_theta"] !== undefined) j["rope_theta"] = ropeParams["rope_theta"]; // wins over a top-level rope_theta
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
    maxPositionEmbeddings: posInt("max_position_embeddings", d.maxPositionEmbeddings),
    tieWordEmbeddings: bool("tie_word_embeddings", d.tieWordEmbeddings),
    attentionBias: modelType === "qwen2" ? true : bool("attention_bias", false),
    bosTokenId: tokenId("bos_token_id"),
    eosTokenId,
    padTokenId: tokenId("pad_token_id"),
  };
  if (typeof dtype === "string") cfg.torchDtype = dtype;
  return cfg;
}

/**
 * Writes a `config.json` object that `transformers` loads as LlamaForCausalLM / Qwen2ForCausalLM.
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
    rope_scaling: null,
    rope_parameters: { rope_type: "default", rope_theta: c.ropeTheta }, // transformers ≥ 5 reads this
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
