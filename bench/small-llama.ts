/**
 * The stories260K-shaped Llama used by the memory bench and `scripts/make-small-llama.ts`: llama2.c's stories260K
 * sizes (d64, 5 layers, 8 query / 4 key-value heads of 8, SwiGLU 172, vocabulary 512, untied head) with thinkrl's
 * character tokenizer over printable ASCII + newline.
 */
import type { ModelConfig } from "../src/model/config.js";

/** Special tokens (ids 0, 1, 2 as stories260K's pad/bos/eos). */
export const CHAR_SPECIALS = ["<pad>", "<s>", "</s>"];

/** Newline and the 95 printable ASCII characters. */
export function printableChars(): string[] {
  const out = ["\n"];
  for (let c = 32; c < 127; c++) out.push(String.fromCharCode(c));
  return out;
}

export function stories260kShapedConfig(): ModelConfig {
  return {
    modelType: "llama",
    vocabSize: 512,
    hiddenSize: 64,
    intermediateSize: 172,
    numHiddenLayers: 5,
    numAttentionHeads: 8,
    numKeyValueHeads: 4,
    headDim: 8,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    maxPositionEmbeddings: 2048,
    tieWordEmbeddings: false,
    attentionBias: false,
    bosTokenId: 1,
    eosTokenId: [2],
    padTokenId: 0,
  };
}
