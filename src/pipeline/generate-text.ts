/**
 * Completions for one question (`thinkrl generate`): the question rendered in a prompt format (or raw), sampled
 * `numSamples` times with the sampling settings given, else the model's generation_config.json's, else R1's
 * (`R1_EVAL_SAMPLING`, top-k off). The jax-js engine must be started first.
 */
import { ThinkrlError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { PromptFormat } from "../data/template.js";
import { R1_EVAL_SAMPLING } from "../eval/defaults.js";
import type { CausalLM } from "../model/causal-lm.js";
import { samplingDefaults, type GenerationConfig } from "../model/generation-config.js";
import { generate, type FinishReason } from "../rollout/generate.js";
import { preparePrompt, stopStringsFor } from "../rollout/prompt.js";
import { textStream } from "../rollout/text-stream.js";

export interface TextSampling {
  temperature: number;
  topP: number;
  topK: number;
}

/** Used when neither the caller nor generation_config.json sets a value. */
export const GENERATE_FALLBACK_SAMPLING: Readonly<TextSampling> = Object.freeze({ ...R1_EVAL_SAMPLING, topK: 0 });

/**
 * The sampling settings: each `given` one, else generation_config.json's, else `GENERATE_FALLBACK_SAMPLING`.
 * @returns the settings and which of them came from generation_config.json
 */
export function resolveTextSampling(given: Partial<TextSampling>, generationConfig: GenerationConfig | null): { sampling: TextSampling; fromGenerationConfig: (keyof TextSampling)[] } {
  const fromFile = samplingDefaults(generationConfig);
  const keys = ["temperature", "topP", "topK"] as const;
  const sampling = Object.fromEntries(keys.map((k) => [k, given[k] ?? fromFile[k] ?? GENERATE_FALLBACK_SAMPLING[k]])) as unknown as TextSampling;
  return { sampling, fromGenerationConfig: keys.filter((k) => given[k] === undefined && fromFile[k] !== undefined) };
}

/**
 * Token ids of a raw prompt, as transformers' `tokenizer(text)`: the tokenizer's own special tokens are added
 * (a Llama tokenizer puts BOS first; Qwen2's adds none). An empty prompt means "start from BOS": `[BOS]` from
 * the tokenizer, else the model's `bos_token_id` (what transformers' `generate()` starts from without input).
 * @throws ThinkrlError for an empty prompt when the model has no BOS token
 */
export function encodeRawPrompt(model: CausalLM, text: string): number[] {
  const ids = model.tokenizer.encode(text, { addSpecialTokens: true });
  if (ids.length > 0) return ids;
  const bos = model.config.bosTokenId;
  if (bos === null) throw new ThinkrlError("generate: the prompt is empty and the model has no BOS token to start from (config.json has no bos_token_id)", { hint: "give a --prompt" });
  return [bos];
}

export interface GenerateTextOptions {
  /**
   * A prompt format, or `raw`: the question's tokens as `tokenizer(text)` gives them (the tokenizer's BOS
   * included, see `encodeRawPrompt`), no stop strings. Prompt formats add no special tokens of their own
   * beyond what their text writes (a chat template writes its BOS itself).
   */
  format: PromptFormat | "raw";
  /** Chat format: a system turn, and `enable_thinking` for the template (Qwen3). */
  chat?: { systemPrompt?: string; enableThinking?: boolean };
  sampling: TextSampling;
  /** Completion budget in tokens. */
  maxCompletionLength: number;
  numSamples: number;
  seed: number;
  /** Streams sample 0's text as it is generated (the completion prefix first); for `numSamples` 1. */
  onText?: (text: string) => void;
}

export interface GeneratedSample {
  /** The completion prefix the prompt opened (e.g. `<think>\n`) + the generated text. */
  text: string;
  tokens: number;
  finishReason: FinishReason;
  /** Mean log-probability of the sampled tokens (nats). */
  meanLogprob: number;
}

/** @throws as `preparePrompt` (a question the vocabulary cannot spell, chat without a template) and `generate` */
export async function generateText(model: CausalLM, question: string, o: GenerateTextOptions): Promise<GeneratedSample[]> {
  const prompt = o.format === "raw" ? { ids: encodeRawPrompt(model, question), completionPrefix: "" } : preparePrompt(model, o.format, question, o.chat ?? {});
  const stream = o.onText ? textStream(model.tokenizer, o.onText, model.config.eosTokenId) : null;
  if (stream && prompt.completionPrefix) o.onText!(prompt.completionPrefix);
  const outs = await generate(
    model,
    Array.from({ length: o.numSamples }, () => prompt.ids),
    {
      maxNewTokens: o.maxCompletionLength,
      ...o.sampling,
      stopStrings: o.format === "raw" ? [] : stopStringsFor(o.format),
      onToken: stream ? (row, id) => row === 0 && stream.push(id) : undefined,
    },
    new Rng(o.seed),
  );
  stream?.end(outs[0]!.text);
  return outs.map((c) => ({
    text: prompt.completionPrefix + c.text,
    tokens: c.ids.length,
    finishReason: c.finishReason,
    meanLogprob: c.logprobs.reduce((a, b) => a + b, 0) / Math.max(1, c.logprobs.length),
  }));
}
