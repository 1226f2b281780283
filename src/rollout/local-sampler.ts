/**
 * `Sampler` over a local `CausalLM`: the prompt template (`rollout/prompt.ts`) then batched KV-cache
 * `generate`. Chat `messages` are not used: the question is rendered with the prompt format. Output texts start
 * with the completion prefix the prompt opened (`<think>\n` after an R1-Distill chat template), as endpoint
 * samplers return `"<think>" + reasoning + "</think>" + content`.
 */
import { Rng } from "../core/rng.js";
import type { PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import { rolloutGroups } from "./groups.js";
import type { SampleCallOptions, SampleOutput, SampleParams, SamplePrompt, Sampler } from "./sampler.js";

export interface LocalSamplerOptions {
  model: CausalLM;
  format: PromptFormat;
  /** Generator used when a call's params have no `seed` (advanced in place); see `sample` for seeded calls. */
  rng: Rng;
  /** Sequences per `generate` call (memory); prompts are never split across calls. Default 256. */
  batchSize?: number;
  /** Written into provenance, e.g. the checkpoint directory or `"embedded"`. */
  modelName: string;
}

/** FNV-1a 32-bit hash. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class LocalSampler implements Sampler {
  readonly provenance: Readonly<Record<string, unknown>>;
  private readonly o: Required<LocalSamplerOptions>;

  constructor(opts: LocalSamplerOptions) {
    this.o = { batchSize: 256, ...opts };
    this.provenance = { sampler: "local", model: opts.modelName, prompt_format: opts.format };
  }

  async sample(prompts: readonly SamplePrompt[], n: number, params: SampleParams, opts: SampleCallOptions = {}): Promise<SampleOutput[][]> {
    const { model, format } = this.o;
    // With a seed, the call's generator depends on the seed and the questions: the same call reproduces, and two
    // calls with different prompts do not share a noise stream.
    const rng = params.seed === undefined ? this.o.rng : new Rng(params.seed + hash32(prompts.map((p) => p.question).join("\n")));
    const perCall = Math.max(1, Math.floor(this.o.batchSize / n));
    const out: SampleOutput[][] = [];
    for (let s = 0; s < prompts.length; s += perCall) {
      opts.signal?.throwIfAborted();
      const chunk = prompts.slice(s, s + perCall);
      const g = await rolloutGroups(model, format, chunk.map((p) => p.question), n, { maxNewTokens: params.maxTokens, temperature: params.temperature, topP: params.topP, topK: 0, stopStrings: params.stop }, rng);
      for (let p = 0; p < chunk.length; p++) {
        const outs = g.completions.slice(p * n, (p + 1) * n).map((c, i): SampleOutput => ({ text: g.texts[p * n + i]!, finishReason: c.finishReason === "repetition" ? "other" : c.finishReason, tokens: c.ids.length }));
        out.push(outs);
        await opts.onPrompt?.(s + p, outs);
      }
    }
    return out;
  }
}
