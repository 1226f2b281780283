/**
 * Kimi k1.5's "easy to hack" filter (arXiv 2501.12599, §2.1 "RL Prompt Set Curation"): a problem the model answers
 * correctly *without* a chain of thought within N tries (Kimi: N = 8) rewards guessing more than reasoning, so it is
 * dropped from the RL prompt set. The answer is forced to come without reasoning by prefilling an empty think block
 * and an open answer tag:
 *
 * - `compact`: `<think></think><answer>` after the question (the embedded model's own completion format);
 * - `r1-zero`: ` <think> </think> <answer>` after `Assistant:` (the template's own spelling of the tags);
 * - `chat`: the user turn asks for the final answer only (`NO_COT_INSTRUCTION`, Qwen3's `enable_thinking` off) and
 *   the reply is prefilled with `<answer>` (closing a `<think>` the template opened first).
 *
 * Every format stops at `</answer>`. Samples are drawn at a high temperature; the `accuracy` reward judges
 * prefill + completion.
 */
import type { Rng } from "../core/rng.js";
import type { PromptItem } from "../data/source.js";
import type { PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import { accuracyReward } from "../reward/accuracy.js";
import { rewardBatch } from "../reward/batch.js";
import { generate } from "../rollout/generate.js";
import { preparePrompt } from "../rollout/prompt.js";

/** The chat format's instruction when no chain of thought is wanted. */
export const NO_COT_INSTRUCTION = "Reply with only the final answer inside <answer> </answer> tags, with no reasoning.";

export interface NoCotOptions {
  /** N, samples per problem (Kimi: 8). */
  tries: number;
  /** Sampling temperature ("high"; default 1). */
  temperature?: number;
  /** Token budget of the answer. Default 32. */
  maxNewTokens?: number;
  /** Sequences per `generate` call (memory). Default 256. */
  batchSize?: number;
  onProgress?: (doneProblems: number, total: number) => void;
}

/**
 * The text prefilled after the prompt so the model answers at once.
 * @param completionPrefix what the prompt already opened (a chat template's `<think>\n`), "" otherwise
 */
export function noCotPrefill(format: PromptFormat, completionPrefix = ""): string {
  if (format === "compact") return "<think></think><answer>";
  if (format === "r1-zero") return " <think> </think> <answer>";
  return completionPrefix ? "\n</think>\n\n<answer>" : "<answer>";
}

/**
 * For each problem, how many of `tries` answers given without a chain of thought the `accuracy` reward judges right.
 * @returns `[items.length]` counts in 0..tries
 * @throws as `preparePrompt` (unencodable question, chat format without a template) and `generate`
 */
export async function noCotSuccesses(model: CausalLM, format: PromptFormat, items: readonly PromptItem[], o: NoCotOptions, rng: Rng): Promise<number[]> {
  const N = o.tries;
  const perCall = Math.max(1, Math.floor((o.batchSize ?? 256) / N));
  const out: number[] = [];
  for (let s = 0; s < items.length; s += perCall) {
    const chunk = items.slice(s, s + perCall);
    const prompts = chunk.map((p) => {
      const e = preparePrompt(model, format, p.question, { instruction: NO_COT_INSTRUCTION, enableThinking: false });
      const prefill = noCotPrefill(format, e.completionPrefix);
      return { ids: [...e.ids, ...model.tokenizer.encode(prefill)], prefix: e.completionPrefix + prefill };
    });
    const ids = prompts.flatMap((e) => Array.from({ length: N }, () => e.ids));
    const comps = await generate(model, ids, { maxNewTokens: o.maxNewTokens ?? 32, temperature: o.temperature ?? 1, topP: 1, topK: 0, stopStrings: ["</answer>"] }, rng);
    const rows = chunk.flatMap((p) => Array.from({ length: N }, () => p));
    const texts = comps.map((c, i) => ({ text: prompts[Math.floor(i / N)]!.prefix + c.text, ids: c.ids }));
    const scores = await accuracyReward(rewardBatch(rows, texts), { step: 0, groupSize: N, maxCompletionLength: o.maxNewTokens ?? 32 });
    chunk.forEach((_, g) => out.push(scores.slice(g * N, (g + 1) * N).filter((v) => v !== null && v >= 1).length));
    o.onProgress?.(Math.min(items.length, s + perCall), items.length);
  }
  return out;
}
