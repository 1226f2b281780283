import { describe, expect, test } from "vitest";
import { CheckpointError } from "../../src/errors.js";
import { parseHfConfig, toHfConfig } from "../../src/model/config.js";

/** Fields as in Qwen/Qwen2.5-0.5B config.json. */
const QWEN25_05B = {
  architectures: ["Qwen2ForCausalLM"],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: "silu",
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 24,
  model_type: "qwen2",
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.40.1",
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

/** Fields as in meta-llama/Llama-3.2-1B-Instruct config.json. */
const LLAMA32_1B = {
  architectures: ["LlamaForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  head_dim: 64,
  hidden_act: "silu",
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: "llama",
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: "llama3" },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.45.0.dev0",
  use_cache: true,
  vocab_size: 128256,
};

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return e as Error;
  }
  throw new Error("expected a CheckpointError");
}

describe("parseHfConfig", () => {
  test("Qwen2.5-0.5B: bias on, tied, head_dim derived, single eos id becomes a list", () => {
    expect(parseHfConfig(QWEN25_05B)).toEqual({
      modelType: "qwen2",
      vocabSize: 151936,
      hiddenSize: 896,
      intermediateSize: 4864,
      numHiddenLayers: 24,
      numAttentionHeads: 14,
      numKeyValueHeads: 2,
      headDim: 64,
      rmsNormEps: 1e-6,
      ropeTheta: 1e6,
      maxPositionEmbeddings: 32768,
      tieWordEmbeddings: true,
      attentionBias: true,
      bosTokenId: 151643,
      eosTokenId: [151643],
      padTokenId: null,
      torchDtype: "bfloat16",
    });
  });

  test("Llama-3.2-1B without rope_scaling: eos list, explicit head_dim, no bias", () => {
    const c = parseHfConfig({ ...LLAMA32_1B, rope_scaling: null });
    expect(c).toMatchObject({
      modelType: "llama",
      headDim: 64,
      numKeyValueHeads: 8,
      attentionBias: false,
      eosTokenId: [128001, 128008, 128009],
      bosTokenId: 128000,
      ropeTheta: 500000,
      rmsNormEps: 1e-5,
      tieWordEmbeddings: true,
    });
  });

  test("llama3 rope_scaling is refused; rope_type default is accepted", () => {
    expect(errorOf(() => parseHfConfig(LLAMA32_1B, "m/config.json")).message).toMatch(/^m\/config\.json: rope_scaling .* not supported yet/);
    expect(parseHfConfig({ ...LLAMA32_1B, rope_scaling: { rope_type: "default" } }).modelType).toBe("llama");
  });

  test("transformers 5 layout: rope_parameters and dtype", () => {
    const { rope_theta: _, torch_dtype: __, ...rest } = QWEN25_05B;
    const c = parseHfConfig({ ...rest, dtype: "float32", rope_parameters: { rope_theta: 1000000.0, rope_type: "default" } });
    expect(c.ropeTheta).toBe(1e6);
    expect(c.torchDtype).toBe("float32");
    expect(errorOf(() => parseHfConfig({ ...rest, rope_parameters: { rope_theta: 1e6, rope_type: "yarn", factor: 4 } })).message).toMatch(
      /rope_parameters .* not supported yet/,
    );
  });

  test("absent optional fields take the transformers defaults", () => {
    const c = parseHfConfig({ model_type: "llama", vocab_size: 64, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4 });
    expect(c).toMatchObject({ numKeyValueHeads: 4, headDim: 8, ropeTheta: 10000, rmsNormEps: 1e-6, tieWordEmbeddings: false, attentionBias: false, eosTokenId: [] });
  });

  test("unsupported model_type names the file and lists the supported ones", () => {
    const msg = errorOf(() => parseHfConfig({ ...QWEN25_05B, model_type: "mistral" }, "ckpt/config.json")).message;
    expect(msg).toBe('ckpt/config.json: model_type "mistral" is not supported (supported: llama, qwen2)');
  });

  test("missing and invalid fields name the file and field", () => {
    const { hidden_size: _, ...noHidden } = QWEN25_05B;
    expect(errorOf(() => parseHfConfig(noHidden, "a/config.json")).message).toBe("a/config.json: hidden_size is missing");
    expect(errorOf(() => parseHfConfig({ ...QWEN25_05B, vocab_size: "big" })).message).toMatch(/config\.json: vocab_size must be a positive integer/);
    expect(errorOf(() => parseHfConfig({ ...QWEN25_05B, num_key_value_heads: 3 })).message).toMatch(/num_key_value_heads \(3\) must divide/);
    expect(errorOf(() => parseHfConfig({ ...QWEN25_05B, use_sliding_window: true })).message).toMatch(/use_sliding_window/);
    expect(errorOf(() => parseHfConfig({ ...QWEN25_05B, hidden_act: "gelu" })).message).toMatch(/hidden_act "gelu" is not supported/);
    expect(errorOf(() => parseHfConfig([1, 2])).message).toMatch(/expected a JSON object/);
  });

  test("toHfConfig → parseHfConfig round-trips", () => {
    for (const src of [QWEN25_05B, { ...LLAMA32_1B, rope_scaling: null }]) {
      const c = parseHfConfig(src);
      const hf = toHfConfig(c);
      expect(hf["architectures"]).toEqual([src.architectures[0]]);
      expect(parseHfConfig(JSON.parse(JSON.stringify(hf)))).toEqual(c);
    }
  });
});
