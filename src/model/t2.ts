/**
 * The Transformer² model (issue 18): a second embedded Llama-architecture decoder whose character vocabulary reads
 * natural text — printable ASCII (space … `~`), newline, and the special tokens of the compact completion format
 * (BOS/EOS/pad and the four reasoning tags as single tokens). Small enough to cold-start on two CPU cores
 * (`scripts/make-t2-model.ts`), it answers the `t2-*` word tasks (`data/tasks/t2-*.ts`) and can read the
 * classification prompt of self-adaptation (`adapt/classify.ts`). Saved and loaded as an ordinary Hugging Face
 * checkpoint (`config.json`, `model.safetensors`, `tokenizer.json`) in `assets/t2-model/`.
 *
 * Shape: d128, 4 layers, 4 query / 2 key-value heads (grouped-query attention, Llama 3 / Qwen2), SwiGLU 384,
 * 256 positions (a classification prompt is ~170 characters). Prompt format: compact (BOS + question; completion
 * `<think>…</think><answer>…</answer>` + EOS).
 */
import type { ModelConfig } from "./config.js";
import { DEFAULT_SPECIAL_TOKENS, defaultModelConfig } from "./default.js";
import { buildCharTokenizerJson } from "./tokenizer.js";

/** Special tokens, ids 0..6 (the embedded default model's, so the compact format works unchanged). */
export const T2_SPECIAL_TOKENS = DEFAULT_SPECIAL_TOKENS;

/** Printable ASCII (0x20 space … 0x7e `~`) then newline: every character a `t2-*` prompt or completion uses. */
export const T2_CHARS: readonly string[] = [...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)), "\n"];

/** The T2 model's config (vocabulary 7 special + 96 characters = 103). */
export function t2ModelConfig(): ModelConfig {
  return { ...defaultModelConfig(), vocabSize: T2_SPECIAL_TOKENS.length + T2_CHARS.length, intermediateSize: 384, maxPositionEmbeddings: 256 };
}

/** Hugging Face `tokenizer.json` of the T2 model (`buildCharTokenizerJson` over `T2_CHARS`). */
export function t2TokenizerJson(): unknown {
  return buildCharTokenizerJson([...T2_CHARS], T2_SPECIAL_TOKENS);
}
