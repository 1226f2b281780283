import { describe, expect, test } from "vitest";
import { CheckpointError } from "../../src/core/errors.js";
import { parseHfConfig, toHfConfig, type RopeScaling } from "../../src/model/config.js";

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

  test("Llama-3.2-1B llama3 rope_scaling (transformers 4 layout, rope_type key) parses; rope_type default is plain RoPE", () => {
    const c = parseHfConfig(LLAMA32_1B, "m/config.json");
    expect(c.ropeTheta).toBe(500000);
    expect(c.ropeScaling).toEqual({ type: "llama3", factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    expect(parseHfConfig({ ...LLAMA32_1B, rope_scaling: { rope_type: "default" } }).ropeScaling).toBeUndefined();
  });

  test("transformers 5 layout: rope_parameters and dtype", () => {
    const { rope_theta: _, torch_dtype: __, ...rest } = QWEN25_05B;
    const c = parseHfConfig({ ...rest, dtype: "float32", rope_parameters: { rope_theta: 1000000.0, rope_type: "default" } });
    expect(c.ropeTheta).toBe(1e6);
    expect(c.torchDtype).toBe("float32");
    expect(c.ropeScaling).toBeUndefined();
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
    for (const src of [QWEN25_05B, { ...LLAMA32_1B, rope_scaling: null }, LLAMA32_1B]) {
      const c = parseHfConfig(src);
      const hf = toHfConfig(c);
      expect(hf["architectures"]).toEqual([src.architectures[0]]);
      expect(parseHfConfig(JSON.parse(JSON.stringify(hf)))).toEqual(c);
    }
  });
});

describe("RoPE scaling", () => {
  const { rope_theta: _t, rope_scaling: _s, ...LLAMA_BASE } = LLAMA32_1B;
  /** Same scaling in the transformers 4 layout (top-level rope_theta + rope_scaling with `type` or `rope_type`)
   *  and the transformers 5 layout (rope_parameters with rope_theta). */
  const layouts = (rope: Record<string, unknown>, theta = 10000) => ({
    v4type: { ...LLAMA_BASE, rope_theta: theta, rope_scaling: { ...rope, type: rope["rope_type"], rope_type: undefined } },
    v4: { ...LLAMA_BASE, rope_theta: theta, rope_scaling: rope },
    v5: { ...LLAMA_BASE, rope_parameters: { ...rope, rope_theta: theta } },
  });
  const cases: [string, Record<string, unknown>, RopeScaling][] = [
    ["linear", { rope_type: "linear", factor: 4 }, { type: "linear", factor: 4 }],
    ["dynamic", { rope_type: "dynamic", factor: 2 }, { type: "dynamic", factor: 2 }],
    [
      "llama3",
      { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
      { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
    ],
    [
      "yarn (Qwen2.5 long-context: defaults resolved, attention factor 0.1 ln 4 + 1)",
      { rope_type: "yarn", factor: 4, original_max_position_embeddings: 32768 },
      { type: "yarn", factor: 4, originalMaxPositionEmbeddings: 32768, attentionFactor: 0.1 * Math.log(4) + 1, betaFast: 32, betaSlow: 1, truncate: true },
    ],
    [
      "yarn with explicit attention_factor, betas, truncate false",
      { rope_type: "yarn", factor: 8, original_max_position_embeddings: 4096, attention_factor: 1.5, beta_fast: 16, beta_slow: 2, truncate: false },
      { type: "yarn", factor: 8, originalMaxPositionEmbeddings: 4096, attentionFactor: 1.5, betaFast: 16, betaSlow: 2, truncate: false },
    ],
    [
      "yarn with DeepSeek mscale / mscale_all_dim",
      { rope_type: "yarn", factor: 40, original_max_position_embeddings: 4096, mscale: 1, mscale_all_dim: 0.707 },
      {
        type: "yarn",
        factor: 40,
        originalMaxPositionEmbeddings: 4096,
        attentionFactor: (0.1 * Math.log(40) + 1) / (0.1 * 0.707 * Math.log(40) + 1),
        betaFast: 32,
        betaSlow: 1,
        truncate: true,
      },
    ],
  ];
  describe.each(cases)("%s", (_name, rope, want) => {
    test("parses from both layouts (rope_type or type) and round-trips through toHfConfig", () => {
      for (const src of Object.values(layouts(rope, 500000))) {
        const c = parseHfConfig(JSON.parse(JSON.stringify(src)));
        expect(c.ropeScaling).toEqual(want);
        expect(c.ropeTheta).toBe(500000);
        const hf = JSON.parse(JSON.stringify(toHfConfig(c))) as Record<string, Record<string, unknown>>;
        // Both layouts are written: transformers 4 reads rope_scaling + rope_theta, transformers 5 rope_parameters.
        expect(hf["rope_scaling"]!["rope_type"]).toBe(want.type);
        expect(hf["rope_parameters"]).toEqual({ ...hf["rope_scaling"], rope_theta: 500000 });
        expect(parseHfConfig(hf)).toEqual(c);
        const { rope_scaling: _, ...v5only } = hf;
        expect(parseHfConfig(v5only)).toEqual(c);
        const { rope_parameters: __, ...v4only } = hf;
        expect(parseHfConfig(v4only)).toEqual(c);
      }
    });
  });

  test("llama3/yarn original_max_position_embeddings: top-level field first (as transformers 5), else max_position_embeddings", () => {
    const yarn = { rope_type: "yarn", factor: 4 };
    expect(parseHfConfig({ ...LLAMA_BASE, max_position_embeddings: 2048, rope_scaling: yarn }).ropeScaling).toMatchObject({ originalMaxPositionEmbeddings: 2048 });
    const top = parseHfConfig({ ...LLAMA_BASE, original_max_position_embeddings: 1024, rope_scaling: { ...yarn, original_max_position_embeddings: 512 } });
    expect(top.ropeScaling).toMatchObject({ originalMaxPositionEmbeddings: 1024 });
  });

  test("unknown types and bad fields are CheckpointErrors naming the field", () => {
    const bad = (rope: unknown, key = "rope_scaling") => errorOf(() => parseHfConfig({ ...LLAMA_BASE, [key]: rope }, "m/config.json")).message;
    expect(bad({ rope_type: "longrope", short_factor: [1], long_factor: [1] })).toBe(
      'm/config.json: rope_scaling.rope_type "longrope" is not supported (supported: default, linear, dynamic, llama3, yarn)',
    );
    expect(bad({ type: "ntk", factor: 2 }, "rope_parameters")).toMatch(/^m\/config\.json: rope_parameters\.type "ntk" is not supported/);
    expect(bad({ rope_type: "linear" })).toBe('m/config.json: rope_scaling.factor is missing (required for rope_type "linear")');
    expect(bad({ rope_type: "dynamic", factor: 0.5 })).toBe("m/config.json: rope_scaling.factor must be a number ≥ 1 (got 0.5)");
    expect(bad({ rope_type: "linear", factor: "4" })).toMatch(/rope_scaling\.factor must be a number ≥ 1 \(got "4"\)/);
    expect(bad({ rope_type: "llama3", factor: 8, low_freq_factor: 1, original_max_position_embeddings: 8192 })).toMatch(/rope_scaling\.high_freq_factor is missing/);
    expect(bad({ rope_type: "llama3", factor: 8, low_freq_factor: 4, high_freq_factor: 1 })).toMatch(/rope_scaling\.high_freq_factor must be a number > low_freq_factor/);
    expect(bad({ rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 1.5 })).toMatch(
      /rope_scaling\.original_max_position_embeddings must be a positive integer/,
    );
    expect(bad({ rope_type: "yarn", factor: 4, attention_factor: -1 })).toMatch(/rope_scaling\.attention_factor must be a positive number/);
    expect(bad({ rope_type: "yarn", factor: 4, truncate: "no" })).toMatch(/rope_scaling\.truncate must be true or false/);
    expect(bad({ rope_type: "linear", factor: 2, partial_rotary_factor: 0.5 })).toMatch(/rope_scaling\.partial_rotary_factor 0\.5 is not supported/);
    expect(bad([1, 2])).toMatch(/rope_scaling must be an object/);
    expect(errorOf(() => parseHfConfig({ ...LLAMA_BASE, partial_rotary_factor: 0.5 })).message).toMatch(/partial_rotary_factor 0\.5 is not supported/);
    const msg = errorOf(() =>
      parseHfConfig({ ...LLAMA_BASE, rope_scaling: { rope_type: "linear", factor: 2 }, rope_parameters: { rope_type: "linear", factor: 4, rope_theta: 1e4 } }),
    ).message;
    expect(msg).toMatch(/rope_scaling .* disagrees with rope_parameters/);
  });
});
