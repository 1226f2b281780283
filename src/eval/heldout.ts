/**
 * Held-out evaluation with the DeepSeek-R1 protocol (R1 §3, "Evaluation Setup"): k samples per problem at
 * temperature 0.6 / top-p 0.95; pass@1 = mean correctness over the k samples and problems; pass@k by the
 * unbiased estimator 1 − C(n−c, k)/C(n, k) (Chen et al. 2021, "Codex", eq. 1) with k = n here.
 */
import type { PromptItem } from "../data/source.js";
import type { Rng } from "../core/rng.js";
import type { PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import { accuracyReward, formatReward } from "../reward/index.js";
import { rewardBatch } from "../reward/batch.js";
import { generate } from "../rollout/generate.js";
import { preparePrompt, stopStringsFor, withCompletionPrefix } from "../rollout/prompt.js";

export interface EvalOptions {
  samples: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  format: PromptFormat;
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EvalResult {
  /** Mean accuracy over problems × samples (R1 "pass@1"). */
  pass1: number;
  /** Fraction of problems with at least one correct sample. */
  passAtK: number;
  /** Fraction of samples with a well-formed `<think>…</think><answer>…</answer>`. */
  formatRate: number;
  /** Mean completion length (tokens). */
  meanLength: number;
  numProblems: number;
  samples: number;
  seconds: number;
}

/** Unbiased pass@k from n samples with c correct (Codex eq. 1). */
export function passAtK(n: number, c: number, k: number): number {
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

export async function evaluate(model: CausalLM, problems: PromptItem[], opts: EvalOptions, rng: Rng): Promise<EvalResult> {
  const t0 = performance.now();
  const k = opts.samples;
  const items = problems.flatMap((p) => Array.from({ length: k }, () => p));
  const encoded = problems.flatMap((p) => {
    const e = preparePrompt(model, opts.format, p.question);
    return Array.from({ length: k }, () => e);
  });
  const prompts = encoded.map((e) => e.ids);
  const done = { n: 0 };
  const comps = [];
  for (let s = 0; s < prompts.length; s += opts.batchSize) {
    const part = await generate(model, prompts.slice(s, s + opts.batchSize), { ...opts, topK: 0, stopStrings: stopStringsFor(opts.format) }, rng);
    comps.push(...part);
    done.n += part.length;
    opts.onProgress?.(done.n, prompts.length);
  }
  const batch = rewardBatch(items, withCompletionPrefix(comps, encoded.map((e) => e.completionPrefix)));
  const ctx = { step: 0, groupSize: k, maxCompletionLength: opts.maxNewTokens };
  const acc = (await accuracyReward(batch, ctx)).map((x) => x ?? 0);
  const fmt = (await formatReward(batch, ctx)).map((x) => x ?? 0);
  let solved = 0;
  for (let i = 0; i < problems.length; i++) {
    const c = acc.slice(i * k, (i + 1) * k).filter((x) => x > 0).length;
    solved += passAtK(k, c, k);
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
  return {
    pass1: mean(acc),
    passAtK: solved / Math.max(1, problems.length),
    formatRate: mean(fmt),
    meanLength: mean(comps.map((c) => c.ids.length)),
    numProblems: problems.length,
    samples: k,
    seconds: (performance.now() - t0) / 1000,
  };
}
