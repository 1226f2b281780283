/**
 * Prompt text → token ids for a model: the prompt template (`data/template.ts`), then the tokenizer, with BOS
 * prepended for models that expect it (Llama family; Qwen2 has none — its tokenizer adds no BOS).
 */
import { r1ZeroPrompt, renderPrompt, type PromptFormat } from "../data/template.js";
import { DatasetError } from "../errors.js";
import type { CausalLM } from "../model/causal-lm.js";

export function encodePrompt(model: CausalLM, format: PromptFormat, question: string): number[] {
  const text = renderPrompt(format, question);
  const ids = model.tokenizer.encode(text);
  // Small vocabularies (the embedded model's) silently drop characters they lack: refuse instead of training on
  // a different prompt than the data says.
  if (format === "compact" && model.tokenizer.decode(ids) !== text) {
    throw new DatasetError(`prompt ${JSON.stringify(question.slice(0, 60))} has characters the model's vocabulary cannot encode`, {
      hint: "the embedded model reads digits, + - * / ( ) = , : only; use --model with a real tokenizer for text",
    });
  }
  const bos = model.config.bosTokenId;
  return model.config.modelType === "llama" && bos !== null && ids[0] !== bos ? [bos, ...ids] : ids;
}

/**
 * Stop strings for a prompt format: the R1-Zero template ends the answer with `</answer>` (real models may go on
 * after it); the compact format's model ends with EOS by itself.
 */
export function stopStringsFor(format: PromptFormat): string[] {
  return format === "r1-zero" ? ["</answer>"] : [];
}

/**
 * The prompt format a model can read when none is given: the R1-Zero template if its tokenizer encodes the
 * template text faithfully (any real BPE tokenizer), else `compact` (e.g. the embedded model's 26-token
 * vocabulary, which cannot spell the template's words).
 */
export function defaultPromptFormat(model: CausalLM): PromptFormat {
  const probe = r1ZeroPrompt("12+34");
  return model.tokenizer.decode(model.tokenizer.encode(probe)) === probe ? "r1-zero" : "compact";
}
