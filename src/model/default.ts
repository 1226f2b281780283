/**
 * The embedded default model: a 0.72M-parameter Llama-architecture decoder with a 26-token character vocabulary
 * (the four reasoning tags and BOS/EOS/pad are single tokens). It is built from code — no download — and is
 * saved and loaded as an ordinary Hugging Face checkpoint (`config.json`, `model.safetensors`, `tokenizer.json`).
 *
 * Its prompt format is the compact rendering of the R1-Zero template (`data/template.ts`): BOS + question, and the
 * completion `<think>…</think><answer>…</answer>` + EOS. Shape as the reference experiment in DESIGN.md
 * (d128, 4 layers, 4 heads, SwiGLU 336), with grouped-query attention (2 key/value heads) as in Llama 3 / Qwen2.
 */
import type { ModelConfig } from "./config.js";
import { buildCharTokenizerJson } from "./tokenizer.js";

export const DEFAULT_SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>", "<think>", "</think>", "<answer>", "</answer>"];
export const DEFAULT_CHARS = [..."0123456789+-*/()=,:"];

export function defaultModelConfig(): ModelConfig {
  return {
    modelType: "llama",
    vocabSize: DEFAULT_SPECIAL_TOKENS.length + DEFAULT_CHARS.length,
    hiddenSize: 128,
    intermediateSize: 336,
    numHiddenLayers: 4,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
    headDim: 32,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    maxPositionEmbeddings: 128,
    tieWordEmbeddings: false,
    attentionBias: false,
    bosTokenId: 1,
    eosTokenId: [2],
    padTokenId: 0,
  };
}

export function defaultTokenizerJson(): unknown {
  return buildCharTokenizerJson(DEFAULT_CHARS, DEFAULT_SPECIAL_TOKENS);
}
