/**
 * Transformer²'s two-pass self-adaptation (Sun et al. 2025, arXiv 2501.06252, §3.2): the first pass picks the expert
 * weights α for the query at hand, the second answers with the mixed weights (`SvfMixer`, m′ = Σ_k α_k·m_k over the
 * applied masks). Three first passes:
 * - **prompt** — the base model classifies the query into the experts' categories or "other" by a classification
 *   prompt (`classify.ts`), answer read from `\boxed{…}`; α is one-hot on that category's expert, all 0 for "other"
 *   (the base weights);
 * - **classifier** — the same prompt, answered by the base under a classification SVF expert (trained by RL with
 *   reward = the right category);
 * - **cem** — per task, the cross-entropy method (`cem.ts`) searches α ∈ [0, 1]^K (or K × layers) on k few-shot
 *   examples that are never evaluation items, scored by accuracy with ties broken by the mean log-likelihood of the
 *   correct answers (or by that log-likelihood alone, a cheaper option).
 * Browser-safe: no Node imports. Costs are counted in batched forward passes (a prefill or one decode step of a
 * batch; one scoring pass) and seconds.
 */
import { ThinkrlError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { PromptItem } from "../data/source.js";
import type { PromptFormat } from "../data/template.js";
import { accuracyJudge } from "../eval/judge.js";
import { fromPromptItems } from "../eval/problems.js";
import type { CausalLM } from "../model/causal-lm.js";
import { LocalSampler } from "../rollout/local-sampler.js";
import { packSequences } from "../train/batch.js";
import { encodeSftExample, sftEndTokenId } from "../train/sft-batch.js";
import { cem, type CemIteration, type CemResult, type CemScore } from "../adapt/cem.js";
import { classificationPrompt, OTHER_CATEGORY, parseCategory } from "../adapt/classify.js";
import type { ExpertWeights, SvfMixer } from "../adapt/svf.js";


/** What a pass cost: batched forward passes (prefill + decode steps of each generate call; scoring passes) and wall time. */
export interface PassCost {
  forwardPasses: number;
  seconds: number;
}

/**
 * α for a category: 1 on the expert of `category` (the k-th of `categories`), 0 elsewhere; all 0 for "other" or a
 * category no expert has (the base weights).
 */
export function alphaForCategory(category: string, categories: readonly string[]): number[] {
  return categories.map((c) => (c === category && category !== OTHER_CATEGORY ? 1 : 0));
}

/** Greedy generation of `questions` (rendered with `format`), at most `maxTokens` each; texts and the pass's cost. */
export async function greedyAnswers(model: CausalLM, questions: readonly string[], o: { format: PromptFormat; maxTokens: number; batchSize?: number }): Promise<{ texts: string[]; tokens: number[]; cost: PassCost }> {
  const t0 = performance.now();
  const batchSize = o.batchSize ?? 256;
  const sampler = new LocalSampler({ model, format: o.format, rng: new Rng(0), batchSize, modelName: "adapt" });
  const outs = await sampler.sample(questions.map((q) => ({ question: q })), 1, { temperature: 0, topP: 1, maxTokens: o.maxTokens });
  const tokens = outs.map((r) => r[0]!.tokens ?? 0);
  let forwardPasses = 0;
  for (let s = 0; s < tokens.length; s += batchSize) forwardPasses += Math.max(1, ...tokens.slice(s, s + batchSize));
  return { texts: outs.map((r) => r[0]!.text), tokens, cost: { forwardPasses, seconds: (performance.now() - t0) / 1000 } };
}

/** One query's first pass under the prompt or classifier strategy. */
export interface Classification {
  /** The category parsed from the answer's `\boxed{…}` (`OTHER_CATEGORY` when none matches). */
  category: string;
  /** The first pass's completion. */
  text: string;
  alpha: number[];
}

/**
 * The first pass of the prompt and classifier strategies: `model` (the base, or the base under the classification
 * expert) answers the classification prompt for every question, greedily.
 * @returns one classification per question, and the pass's cost
 */
export async function classifyQueries(
  model: CausalLM,
  questions: readonly string[],
  categories: readonly string[],
  o: { format: PromptFormat; maxTokens: number; batchSize?: number },
): Promise<{ classifications: Classification[]; cost: PassCost }> {
  const g = await greedyAnswers(model, questions.map((q) => classificationPrompt(q, categories)), o);
  const classifications = g.texts.map((text) => {
    const category = parseCategory(text, categories);
    return { category, text, alpha: alphaForCategory(category, categories) };
  });
  return { classifications, cost: g.cost };
}

/**
 * The first `k` problems of a training stream as CEM's few-shot examples, asserted disjoint from the evaluation
 * items (by key and by question text).
 * @throws ThinkrlError when the stream yields an evaluation item (a split that leaks)
 */
export function fewShotExamples(next: () => PromptItem, k: number, evalItems: readonly PromptItem[]): PromptItem[] {
  const out: PromptItem[] = [];
  for (let i = 0; i < k; i++) out.push(next());
  assertDisjoint(out, evalItems);
  return out;
}

/** @throws ThinkrlError naming the first few-shot example that is also an evaluation item */
export function assertDisjoint(fewShot: readonly PromptItem[], evalItems: readonly PromptItem[]): void {
  const keys = new Set(evalItems.map((p) => p.key));
  const questions = new Set(evalItems.map((p) => p.question));
  const bad = fewShot.find((p) => keys.has(p.key) || questions.has(p.question));
  if (bad !== undefined) throw new ThinkrlError(`few-shot example ${JSON.stringify(bad.question)} is also an evaluation item: few-shot examples must come from the training data`);
}

/** α as the mixer takes it: K numbers, or (per layer) K rows of `layers` numbers from a flat K·layers vector. */
export function toExpertWeights(x: readonly number[], experts: number, layers: number | null): ExpertWeights {
  if (layers === null) return x.slice(0, experts);
  return Array.from({ length: experts }, (_, k) => x.slice(k * layers, (k + 1) * layers));
}

export interface FewShotOptions {
  format: PromptFormat;
  /** `accuracy` (greedy answers judged by the task's reward; ties by log-likelihood) or `loglik` (log-likelihood only). */
  score: "accuracy" | "loglik";
  /** Completion budget of the greedy answers. */
  maxTokens: number;
  batchSize?: number;
}

/**
 * Mean per-token log-likelihood (temperature 1) of each example's worked solution (`solution`) under `model`, in
 * one scoring pass per batch. Examples without a solution are left out (NaN when none has one).
 */
export async function solutionLogLikelihood(model: CausalLM, examples: readonly PromptItem[], format: PromptFormat): Promise<{ value: number; passes: number }> {
  const withSolution = examples.filter((e) => typeof e.solution === "string" && e.solution !== "");
  if (withSolution.length === 0) return { value: NaN, passes: 0 };
  const end = sftEndTokenId(model, format);
  const rows = withSolution.map((e) => encodeSftExample(model, format, e.question, e.solution!, end));
  const b = packSequences(rows.map((r) => r.prompt), rows.map((r) => r.completion), model.padId);
  const { logp } = await model.sequenceLogprobs(b);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < b.mask.length; i++) if (b.mask[i]! > 0) {
    sum += logp[i]!;
    n++;
  }
  return { value: sum / Math.max(1, n), passes: 1 };
}

/**
 * Scores one α on the few-shot examples: [accuracy, mean log-likelihood of the solutions] (`accuracy`), or
 * [mean log-likelihood] (`loglik`).
 */
export async function scoreFewShot(model: CausalLM, examples: readonly PromptItem[], o: FewShotOptions): Promise<{ score: CemScore; forwardPasses: number }> {
  const ll = await solutionLogLikelihood(model, examples, o.format);
  if (o.score === "loglik") return { score: [ll.value], forwardPasses: ll.passes };
  const g = await greedyAnswers(model, examples.map((e) => e.question), o);
  const j = await accuracyJudge(fromPromptItems(examples), g.texts.map((t) => [t]));
  const acc = j.correct.filter((c) => c[0]).length / Math.max(1, examples.length);
  return { score: [acc, ll.value], forwardPasses: g.cost.forwardPasses + ll.passes };
}

export interface CemAdaptOptions extends FewShotOptions {
  population: number;
  eliteFraction: number;
  iterations: number;
  initStd: number;
  /** One α per expert and decoder layer instead of one per expert. */
  perLayer: boolean;
  seed: number;
  onIteration?: (it: CemIteration) => void;
}

/** CEM's outcome for one task: the chosen α, its few-shot score, and the search's cost. */
export interface CemAdaptResult {
  alpha: ExpertWeights;
  score: CemScore;
  cem: CemResult;
  cost: PassCost & { evaluations: number };
}

/**
 * Few-shot adaptation (§3.2): CEM over α ∈ [0, 1]^K (or K × layers) with μ₀ = 1/K, σ₀ = `initStd`, each sample
 * scored on `examples` with the mixed model; the best sample scored is the α used for the task.
 */
export async function cemAdapt(mixer: SvfMixer, examples: readonly PromptItem[], o: CemAdaptOptions): Promise<CemAdaptResult> {
  const t0 = performance.now();
  const K = mixer.experts.length;
  const layers = o.perLayer ? mixer.base.config.numHiddenLayers : null;
  let forwardPasses = 0;
  const result = await cem(
    async (pop) => {
      const scores: CemScore[] = [];
      for (const x of pop) {
        const m = mixer.model(toExpertWeights(x, K, layers));
        try {
          const s = await scoreFewShot(m, examples, o);
          forwardPasses += s.forwardPasses;
          scores.push(s.score);
        } finally {
          mixer.release(m);
        }
      }
      return scores;
    },
    {
      dim: K * (layers ?? 1),
      population: o.population,
      eliteFraction: o.eliteFraction,
      iterations: o.iterations,
      initMean: 1 / K,
      initStd: o.initStd,
      rng: new Rng(o.seed),
      onIteration: o.onIteration,
    },
  );
  return {
    alpha: toExpertWeights(result.best, K, layers),
    score: result.bestScore,
    cem: result,
    cost: { forwardPasses, seconds: (performance.now() - t0) / 1000, evaluations: result.evaluations },
  };
}
