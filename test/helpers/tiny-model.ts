/**
 * Test helper: the embedded model's vocabulary and layout shrunk to d32, one layer, GQA 4 query / 2 key-value heads —
 * fast to compile and train on 2 cores. Call after `initEngine` (the model modules load jax-js).
 */
import type { ModelConfig } from "../../src/model/config.js";
import type { CausalLM } from "../../src/model/causal-lm.js";

export async function tinyConfig(): Promise<ModelConfig> {
  const { defaultModelConfig } = await import("../../src/model/default.js");
  return { ...defaultModelConfig(), hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8 };
}

/** A randomly initialised tiny model with the embedded tokenizer. @param scale init scale (`initTensors`) */
export async function tinyModel(seed: number, scale?: number): Promise<CausalLM> {
  const { defaultTokenizerJson } = await import("../../src/model/default.js");
  const { initTensors, paramsFromTensors } = await import("../../src/model/params.js");
  const { loadTokenizer } = await import("../../src/model/tokenizer.js");
  const { CausalLM } = await import("../../src/model/causal-lm.js");
  const { Rng } = await import("../../src/core/rng.js");
  const cfg = await tinyConfig();
  return new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(seed), scale)), loadTokenizer(defaultTokenizerJson()));
}
