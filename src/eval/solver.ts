/**
 * What `thinkrl eval` asks for answers: an `EvalSampler` maps questions to n sampled completions each. The local
 * model is one (`localSampler`); an OpenAI-compatible endpoint is another (wired in `cli/commands/eval.ts`), and
 * tests use a deterministic fake, so the scoring is tested apart from any model.
 */
import type { Rng } from "../core/rng.js";
import type { PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import { generate } from "../rollout/generate.js";
import { preparePrompt, stopStringsFor } from "../rollout/prompt.js";

/**
 * @param questions question texts (before any prompt template: the sampler renders its own)
 * @param n samples per question
 * @returns `out[q][i]` = completion text i of question q
 */
export type EvalSampler = (questions: string[], n: number) => Promise<string[][]>;

export interface LocalSamplerOptions {
  format: PromptFormat;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** Sequences per generate call. */
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Samples from a local model: each question rendered with `format`, n copies in a row, `batchSize` at a time, all
 * drawing from `rng` (so a seed fixes every sample).
 */
export function localSampler(model: CausalLM, o: LocalSamplerOptions, rng: Rng): EvalSampler {
  return async (questions, n) => {
    const encoded = questions.flatMap((q) => {
      const e = preparePrompt(model, o.format, q);
      return Array.from({ length: n }, () => e);
    });
    const prompts = encoded.map((e) => e.ids);
    const texts: string[] = [];
    for (let s = 0; s < prompts.length; s += o.batchSize) {
      const part = await generate(
        model,
        prompts.slice(s, s + o.batchSize),
        { temperature: o.temperature, topP: o.topP, topK: 0, maxNewTokens: o.maxNewTokens, stopStrings: stopStringsFor(o.format) },
        rng,
      );
      // Texts as the model wrote them, including a `<think>` the chat template opened.
      texts.push(...part.map((c, i) => encoded[s + i]!.completionPrefix + c.text));
      o.onProgress?.(texts.length, prompts.length);
    }
    return questions.map((_, q) => texts.slice(q * n, (q + 1) * n));
  };
}
