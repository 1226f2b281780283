/**
 * Groups of completions on a local model — prompt → G completions → the text rewards read — the one place GRPO
 * rollouts, held-out evaluation and the local `Sampler` turn questions into completions.
 */
import type { Rng } from "../core/rng.js";
import type { PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import { generate, type Completion, type GenerateOptions } from "./generate.js";
import { preparePrompt, stopStringsFor, type ChatPromptOptions, type EncodedPrompt } from "./prompt.js";

export interface RolloutGroups {
  /** One encoded prompt per question (rendered and tokenized once, shared by its G completions). */
  prompts: EncodedPrompt[];
  /** `[P · G]` completions, question-major (completion g of question p at `p · G + g`), as the model wrote them. */
  completions: Completion[];
  /**
   * `[P · G]` completion texts as rewards must read them: the prompt's `completionPrefix` (e.g. a `<think>\n` the
   * chat template opened) + the completion text.
   */
  texts: string[];
}

/** Generation options of a group rollout: the format's stop strings are added to `stopStrings`. */
export type GroupOptions = Omit<GenerateOptions, "stopStrings"> & { stopStrings?: string[]; chat?: ChatPromptOptions };

/**
 * Samples G completions for each question from `model` in one batched `generate` call.
 * @param questions P questions (before any prompt template)
 * @param G completions per question (the GRPO group size)
 * @param rng advanced in place (all randomness of the call)
 * @throws as `preparePrompt` (unencodable question, chat format without a template) and `generate`
 */
export async function rolloutGroups(model: CausalLM, format: PromptFormat, questions: readonly string[], G: number, opts: GroupOptions, rng: Rng): Promise<RolloutGroups> {
  const { chat, stopStrings = [], ...gen } = opts;
  const prompts = questions.map((q) => preparePrompt(model, format, q, chat));
  const ids = prompts.flatMap((e) => Array.from({ length: G }, () => e.ids));
  const completions = await generate(model, ids, { ...gen, stopStrings: [...stopStringsFor(format), ...stopStrings] }, rng);
  const texts = completions.map((c, i) => prompts[Math.floor(i / G)]!.completionPrefix + c.text);
  return { prompts, completions, texts };
}
