/**
 * GRPO trainer (DeepSeekMath §4.1 / DeepSeek-R1 §2.2.1): for each step, sample G completions per prompt from the
 * current policy, score them with rule rewards, turn rewards into advantages, and take μ passes of gradient steps
 * on the objective (`objective`: the GRPO clipped surrogate by default, or REINFORCE). One step reads as the
 * algorithm: rollouts → rewards → advantages → log-probs → update; each phase is timed, and the metrics row is
 * assembled in `step-metrics.ts`.
 */
import type { Rng } from "../core/rng.js";
import type { PromptItem, PromptSource } from "../data/source.js";
import type { PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import { tokenWeights } from "../rl/aggregate.js";
import { getObjective, type Objective } from "../rl/losses/index.js";
import { rewardBatch } from "../reward/batch.js";
import { combineRewards, type WeightedReward } from "../reward/index.js";
import type { Completion } from "../rollout/generate.js";
import { rolloutGroups } from "../rollout/groups.js";
import { PartialRollouts, segmentAges, type PartialRolloutState } from "../rollout/partial.js";
import { RepetitionDetector } from "../rollout/repetition.js";
import { lengthBucketFor, packSequences, sliceRows, TRAIN_ROW_BUCKET } from "./batch.js";
import { learningRateAt, type TrainConfig } from "./config.js";
import { Learner, type MicroMetrics, type TrainableBinding } from "./learner.js";
import { FrozenPolicy, sequenceLogprobs } from "./logprobs.js";
import { rlStepMetrics, type StepMetrics } from "./step-metrics.js";

export interface CompletionSample {
  prompt: string;
  completion: string;
  /** Gold answer of the problem (its `answer` / `target` column), when it has one. */
  gold: string | null;
  reward: number | null;
  /** Each reward function's score (weighted sum = `reward`). */
  rewards: Record<string, number | null>;
  advantage: number;
  /** Why sampling stopped (`length`: truncated at maxCompletionLength). */
  finishReason?: string;
}

export interface GrpoStepResult {
  metrics: StepMetrics;
  /** The first two groups' completions, for `completions.jsonl`. */
  samples: CompletionSample[];
}

export interface GrpoTrainerDeps {
  model: CausalLM;
  source: PromptSource;
  rewards: WeightedReward[];
  rng: Rng;
  format: PromptFormat;
  config: Readonly<TrainConfig>;
  onWarning?: (msg: string) => void;
  /** What trains (default: all of `model`'s weights). With an adapter, `model` is the adapted policy rollouts sample from. */
  binding?: TrainableBinding;
  /** π_ref of the KL term (default: `model` at the start). Adapters pass the base model (Transformer² §3.1: KL to π_W). */
  reference?: CausalLM;
}

/** Wall-clock seconds of `fn`, added to `times[name]`. */
async function timed<T>(times: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    times[name] = (times[name] ?? 0) + (performance.now() - t0) / 1000;
  }
}

/** Rewards that judge correctness, in the order a run's success signal is looked for (`successReward`). */
export const CORRECTNESS_REWARDS = ["accuracy", "math_accuracy", "code", "judge"] as const;

/** The reward a run's per-problem success is read from: `successReward`, else the first correctness reward; null if none. */
export function successRewardOf(c: Pick<TrainConfig, "successReward">, rewards: readonly { name: string }[]): string | null {
  if (c.successReward) return c.successReward;
  return CORRECTNESS_REWARDS.find((n) => rewards.some((r) => r.name === n)) ?? null;
}

/** The rows one iteration scores and trains on: whole groups of G, contiguous (row i of group ⌊i/G⌋). */
interface RolloutRows {
  /** `[k]` the groups' problems. */
  problems: PromptItem[];
  /** `[k·G]` per row: problem, prompt ids, completion, the text rewards read, the group id rewards see. */
  items: PromptItem[];
  promptIds: number[][];
  completions: Completion[];
  texts: string[];
  groupIds: number[];
  /** `[k·G][completion length]` the iteration that sampled each token (partial rollouts only). */
  versions?: number[][];
  /** Metrics of the rollout phase (`partial/*`). */
  metrics: Record<string, number>;
  /** Tokens generated this iteration (all segments of every slot). */
  generated: number;
}

export class GrpoTrainer {
  readonly learner: Learner;
  /** The partial-rollout buffer (Kimi k1.5 §2.6.2), when `rolloutTokenBudget` > 0. */
  readonly partial: PartialRollouts | null;
  readonly objective: Objective;
  /** Optimizer steps of one iteration (μ × mini-batches): the learning-rate schedule runs over all of them. */
  readonly stepsPerIteration: number;
  readonly #success: string | null;
  /** The frozen reference policy π_ref of the KL term: the weights at the start of training (only when needed). */
  readonly #reference: FrozenPolicy | null;

  constructor(readonly d: GrpoTrainerDeps) {
    const c = d.config;
    this.objective = getObjective(c.objective);
    this.#reference = this.objective.needs(c).refLogp ? new FrozenPolicy(d.reference ?? d.model) : null;
    this.learner = new Learner(
      d.model,
      this.objective,
      { beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEpsilon, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm },
      { objectiveConfig: c, temperature: c.temperature, binding: d.binding },
    );
    this.stepsPerIteration = c.numIterations * c.stepsPerGeneration;
    this.#success = successRewardOf(c, d.rewards);
    const repetition = c.repetitionStopCount > 0 ? { ngramSize: c.repetitionStopNgram, maxCount: c.repetitionStopCount } : null;
    this.partial = c.rolloutTokenBudget > 0
      ? new PartialRollouts({ groupSize: c.numGenerations, slots: c.promptsPerStep * c.numGenerations, budget: c.rolloutTokenBudget, maxCompletionLength: c.maxCompletionLength, repetition, prefixBucket: c.rolloutPrefixBucket }, c.seed + 7)
      : null;
  }

  /** The partial-rollout buffer's JSON (`trainer_state.json`), or null without partial rollouts. */
  partialState(): PartialRolloutState | null {
    return this.partial?.state() ?? null;
  }

  /**
   * Learning rate of the k-th optimizer step (0-based) of iteration `step`: the schedule over all
   * maxSteps × stepsPerIteration optimizer steps, its warm-up counted in iterations (TRL schedules optimizer steps).
   */
  learningRate(step: number, k = 0): number {
    const c = this.d.config;
    const K = this.stepsPerIteration;
    return learningRateAt({ ...c, maxSteps: c.maxSteps * K, warmupSteps: c.warmupSteps * K }, (step - 1) * K + k + 1);
  }

  /** One RL step (1-based `step`). */
  async step(step: number): Promise<GrpoStepResult> {
    const { model, config: c } = this.d;
    const G = c.numGenerations;
    const times: Record<string, number> = {};
    const t0 = performance.now();

    // 1. Rollouts from π_old (= the current policy): G completions for each of P prompts, or with partial rollouts
    // the groups that completed this iteration.
    this.d.source.beginStep?.(step);
    const roll = await timed(times, "generate", () => (this.partial ? this.#partialRollout(step) : this.#rollout()));
    const { items, completions: comps, problems } = roll;
    const n = items.length;

    // 2. Rewards (rule-based, R1 §2.2.2) on the completion as the model wrote it (with a `<think>` the chat template
    // opened), minus the repetition stop's penalty; 3. advantages (group-relative for GRPO).
    const scored = comps.map((x, i) => ({ ...x, text: roll.texts[i]! }));
    const ctx = { step, groupSize: G, maxCompletionLength: c.maxCompletionLength, groupIds: roll.groupIds };
    const rewardOut = n === 0 ? { total: [], perFn: {} } : await timed(times, "reward", () => combineRewards(this.d.rewards, rewardBatch(items, scored), ctx, this.d.onWarning));
    const total = rewardOut.total.map((r, i) => (r !== null && comps[i]!.finishReason === "repetition" ? r - c.repetitionStopPenalty : r));
    const adv = this.objective.advantages!(total, G, c);
    this.#observe(problems, rewardOut.perFn, G);

    // Rows that enter the loss: groups without signal (all-zero advantages) can be dropped; truncated completions stay
    // in the mean over sequences but, with maskTruncatedCompletions, contribute no tokens (as TRL). With partial
    // rollouts and maskEarlierSegments, tokens of earlier policy versions contribute none either (the row still
    // counts in its group's baseline and in the mean over sequences).
    const groupHasSignal = (g: number) => adv.advantages.slice(g * G, (g + 1) * G).some((a) => a !== 0);
    const rows = items.map((_, i) => i).filter((i) => !c.dropZeroStdGroups || groupHasSignal(Math.floor(i / G)));
    const keep = rows.map((i) => !(c.maskTruncatedCompletions && comps[i]!.finishReason === "length"));
    const current = roll.versions && c.maskEarlierSegments ? rows.map((i) => roll.versions![i]!.map((v) => Number(v === step))) : undefined;
    if (roll.versions) {
      const all = rows.reduce((a, i) => a + comps[i]!.ids.length, 0);
      const old = rows.reduce((a, i) => a + roll.versions![i]!.filter((v) => v !== step).length, 0);
      roll.metrics["partial/masked_token_share"] = current && all > 0 ? old / all : 0;
      roll.metrics["partial/earlier_token_share"] = all > 0 ? old / all : 0;
    }

    // 4.–5. π_old / π_ref log-probs from the trainer's own forward pass, then μ passes of optimizer steps.
    let upd: { sums: MicroMetrics; gradNorm: number; steps: number } = { sums: { loss: 0, entropySum: 0 }, gradNorm: 0, steps: 0 };
    let tokens = 0;
    if (rows.length > 0) {
      const lengthBucket = lengthBucketFor(Math.max(...rows.map((i) => roll.promptIds[i]!.length)) + c.maxCompletionLength);
      const packed = packSequences(rows.map((i) => roll.promptIds[i]!), rows.map((i) => comps[i]!.ids), model.padId, keep, TRAIN_ROW_BUCKET, lengthBucket, current);
      tokens = packed.mask.reduce((a, b) => a + b, 0);
      const needs = this.objective.needs(c);
      const advantages = new Float32Array(packed.B);
      rows.forEach((i, r) => (advantages[r] = adv.advantages[i]!));
      const lp = { temperature: c.temperature, microBatchSize: c.microBatchSize };
      const oldLogp = needs.oldLogp ? await timed(times, "old_logprobs", () => sequenceLogprobs(model, packed, lp)) : undefined;
      const refLogp = needs.refLogp ? await timed(times, "ref_logprobs", () => this.#reference!.logprobs(packed, lp)) : undefined;
      const nr = rows.length;
      const weights = (s: number, e: number) =>
        tokenWeights(c.lossType, sliceRows(packed.mask, packed.T, s, e), e - s, packed.T, c.maxCompletionLength, Math.max(0, Math.min(e, nr) - s));
      // Sequence-level terms (Kimi OMD): 1/(k·P) per row = 1/(rows of the mini-batch), 0 on shape padding.
      const rowWeights = needs.rowWeights ? (s: number, e: number) => Float32Array.from({ length: e - s }, (_, r) => (s + r < nr ? 1 / (Math.min(e, nr) - s) : 0)) : undefined;
      const opts = {
        microBatchSize: c.microBatchSize, miniBatches: c.stepsPerGeneration, epochs: c.numIterations, weights, rowWeights, rows: nr,
        lr: (k: number) => this.learningRate(step, k),
      };
      // Kimi k1.5 §2.3.2: each iteration is a fresh mirror-descent problem, its AdamW state reset.
      if (c.resetOptimizer) this.learner.resetOptimizer();
      upd = await timed(times, "update", () => this.learner.update({ ...packed, advantages, oldLogp, refLogp }, opts));
    }

    const metrics = rlStepMetrics({
      step, completions: comps, adv, perFn: rewardOut.perFn, sums: upd.sums, tokens, gradNorm: upd.gradNorm, optimizerSteps: upd.steps,
      learningRate: this.learningRate(step), lossRows: rows.length, times, seconds: (performance.now() - t0) / 1000,
      reflectionPhrases: c.reflectionPhrases,
    });
    // Generation speed counts every token sampled this iteration (with partial rollouts: all segments of every slot).
    metrics.tokens_per_second = roll.generated / Math.max(1e-9, times.generate ?? 0);
    metrics["repetition/stops"] = comps.filter((x) => x.finishReason === "repetition").length;
    Object.assign(metrics, roll.metrics, this.d.source.metrics?.());
    const samples = scored.slice(0, 2 * G).map((x, i): CompletionSample => ({
      prompt: items[i]!.question, completion: x.text, gold: goldOf(items[i]!), reward: total[i] ?? null,
      rewards: Object.fromEntries(Object.entries(rewardOut.perFn).map(([k, v]) => [k, v[i] ?? null])), advantage: adv.advantages[i]!,
      finishReason: x.finishReason,
    }));
    return { metrics, samples };
  }

  /** All rollouts in one go: G completions for each of P new prompts. */
  async #rollout(): Promise<RolloutRows> {
    const { config: c } = this.d;
    const G = c.numGenerations;
    const problems: PromptItem[] = Array.from({ length: c.promptsPerStep }, () => this.d.source.next());
    const detectors = c.repetitionStopCount > 0 ? problems.flatMap(() => Array.from({ length: G }, () => new RepetitionDetector({ ngramSize: c.repetitionStopNgram, maxCount: c.repetitionStopCount }))) : null;
    const sampling = {
      maxNewTokens: c.maxCompletionLength, temperature: c.temperature, topP: c.topP, topK: c.topK,
      ...(detectors ? { stopAfter: (row: number, id: number) => detectors[row]!.push(id) } : {}),
    };
    const roll = await rolloutGroups(this.d.model, this.d.format, problems.map((p) => p.question), G, sampling, this.d.rng);
    const rowsOf = <T>(f: (g: number) => T) => problems.flatMap((_, g) => Array.from({ length: G }, () => f(g)));
    return {
      problems, items: rowsOf((g) => problems[g]!), promptIds: rowsOf((g) => roll.prompts[g]!.ids), completions: roll.completions, texts: roll.texts,
      groupIds: rowsOf((g) => g), metrics: {}, generated: roll.completions.reduce((a, x) => a + x.ids.length, 0),
    };
  }

  /**
   * Partial rollouts (Kimi k1.5 §2.6.2): continue the buffer's unfinished trajectories, start new groups in the free
   * slots, generate one segment of at most `rolloutTokenBudget` tokens each, and return the groups whose G members
   * have all ended.
   */
  async #partialRollout(step: number): Promise<RolloutRows> {
    const { model, config: c, format } = this.d;
    const buf = this.partial!;
    const fresh = buf.freeGroups();
    for (let k = 0; k < fresh; k++) buf.addGroup(this.d.source.next(), step);
    const stats = await buf.generate(model, format, { temperature: c.temperature, topP: c.topP, topK: c.topK }, step);
    const done = buf.takeComplete(model, format);
    const trajectories = done.flatMap((d) => d.versions);
    const ages = trajectories.flatMap((v) => segmentAges(v, step));
    const rowsOf = <T>(f: (d: (typeof done)[number], m: number) => T) => done.flatMap((d) => d.completions.map((_, m) => f(d, m)));
    return {
      problems: done.map((d) => d.group.item),
      items: rowsOf((d) => d.group.item),
      promptIds: rowsOf((d) => d.prompt.ids),
      completions: rowsOf((d, m) => d.completions[m]!),
      texts: rowsOf((d, m) => d.prompt.completionPrefix + d.completions[m]!.text),
      groupIds: rowsOf((d) => d.group.id),
      versions: trajectories,
      generated: stats.tokens,
      metrics: {
        "partial/buffer_size": buf.size(),
        "partial/continued_slots": stats.continued,
        "partial/new_slots": stats.started,
        "partial/tokens_generated": stats.tokens,
        "partial/groups_scored": done.length,
        "partial/segments_per_trajectory": trajectories.length ? trajectories.reduce((a, v) => a + segmentAges(v, step).length, 0) / trajectories.length : 0,
        "partial/segment_age_mean": ages.length ? ages.reduce((a, b) => a + b, 0) / ages.length : 0,
        "partial/segment_age_max": ages.length ? Math.max(...ages) : 0,
      },
    };
  }

  /** Tells the source each problem's success this step (the success reward's score clipped to [0, 1], mean over G). */
  #observe(problems: readonly PromptItem[], perFn: Readonly<Record<string, readonly (number | null)[]>>, G: number): void {
    const scores = this.#success === null ? undefined : perFn[this.#success];
    if (!this.d.source.observe || scores === undefined) return;
    this.d.source.observe(
      problems.map((p, g) => {
        const mine = scores.slice(g * G, (g + 1) * G).filter((v): v is number => v !== null);
        return { key: p.key, tries: mine.length, successes: mine.reduce((a, v) => a + Math.min(1, Math.max(0, v)), 0) };
      }),
    );
  }

  /** Frees the learner's state and the reference policy. */
  dispose(): void {
    this.learner.dispose();
    this.#reference?.dispose();
  }
}

/**
 * The gold answer a problem's rewards are judged against, for logs: its `answer`, `target` or `solution` column, else
 * (classification tasks such as `t2-classify`) its `category`; null when it has none.
 */
export function goldOf(p: PromptItem): string | null {
  const g = p.columns.answer ?? p.columns.target ?? p.columns.solution ?? p.columns.category;
  return g === undefined || g === null ? null : typeof g === "string" ? g : JSON.stringify(g);
}
