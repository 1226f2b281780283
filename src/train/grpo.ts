/**
 * GRPO trainer (DeepSeekMath §4.1 / DeepSeek-R1 §2.2.1): for each step, sample G completions per prompt from the
 * current policy, score them with rule rewards, turn rewards into group-relative advantages, and take μ passes of
 * clipped-surrogate gradient steps. One step reads as the algorithm: generate → reward → advantages → logprobs →
 * update; each phase is timed.
 */
import type { PromptItem, PromptSource } from "../data/source.js";
import type { Rng } from "../core/rng.js";
import type { PromptFormat } from "../data/template.js";
import { EngineError } from "../core/errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { LlamaParams } from "../model/llama.js";
import { groupAdvantages } from "../rl/advantages.js";
import { tokenWeights } from "../rl/aggregate.js";
import { rewardBatch } from "../reward/batch.js";
import { combineRewards, type WeightedReward } from "../reward/index.js";
import { generate } from "../rollout/generate.js";
import { preparePrompt, stopStringsFor, withCompletionPrefix } from "../rollout/prompt.js";
import { packSequences, sliceRows, TRAIN_ROW_BUCKET, type PackedBatch } from "./batch.js";
import { learningRateAt, type TrainConfig } from "./config.js";
import { PolicyUpdater, type MicroMetrics } from "./policy-update.js";

export type StepMetrics = Record<string, number>;

export interface GrpoStepResult {
  metrics: StepMetrics;
  /** A few (prompt, completion, reward) rows for `completions.jsonl`. */
  samples: { prompt: string; completion: string; reward: number | null; advantage: number }[];
}

export interface GrpoTrainerDeps {
  model: CausalLM;
  /** Frozen reference params for the KL term (only when β > 0). */
  refParams: LlamaParams | null;
  source: PromptSource;
  rewards: WeightedReward[];
  rng: Rng;
  format: PromptFormat;
  config: Readonly<TrainConfig>;
  onWarning?: (msg: string) => void;
  onProgress?: (phase: string, done: number, total: number) => void;
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

export class GrpoTrainer {
  readonly updater: PolicyUpdater;

  constructor(readonly d: GrpoTrainerDeps) {
    const c = d.config;
    this.updater = new PolicyUpdater(
      d.model,
      { kind: "grpo", loss: { epsilon: c.epsilon, epsilonHigh: c.epsilonHigh, beta: c.beta }, temperature: c.temperature },
      { beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEpsilon, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm },
    );
  }

  /** One GRPO step (1-based `step`). */
  async step(step: number): Promise<GrpoStepResult> {
    const { model, config: c } = this.d;
    const G = c.numGenerations;
    const times: Record<string, number> = {};
    const t0 = performance.now();

    // 1. Rollouts: G completions for each of P prompts from π_old (= the current policy).
    const problems: PromptItem[] = Array.from({ length: c.promptsPerStep }, () => this.d.source.next());
    const items = problems.flatMap((p) => Array.from({ length: G }, () => p));
    // Render and tokenize each prompt once, then repeat it for its G completions.
    const encoded = problems.flatMap((p) => {
      const e = preparePrompt(model, this.d.format, p.question);
      return Array.from({ length: G }, () => e);
    });
    const promptIds = encoded.map((e) => e.ids);
    const comps = await timed(times, "generate", () =>
      generate(
        model,
        promptIds,
        {
          maxNewTokens: c.maxCompletionLength,
          temperature: c.temperature,
          topP: c.topP,
          topK: c.topK,
          stopStrings: stopStringsFor(this.d.format),
          onStep: () => undefined,
        },
        this.d.rng,
      ),
    );

    // 2. Rewards (rule-based, R1 §2.2.2) on the completion as the model wrote it, including a `<think>` the chat
    // template opened in the prompt; 3. group-relative advantages.
    const scored = withCompletionPrefix(comps, encoded.map((e) => e.completionPrefix));
    const rewardOut = await timed(times, "reward", () =>
      combineRewards(this.d.rewards, rewardBatch(items, scored), { step, groupSize: G, maxCompletionLength: c.maxCompletionLength }, this.d.onWarning),
    );
    const adv = groupAdvantages(rewardOut.total, G, c.scaleRewards);

    // Which completions enter the loss: all-equal groups (zero advantage) can be dropped; truncated completions
    // stay in the mean over sequences but, with maskTruncatedCompletions, contribute no tokens (as TRL).
    const truncated = comps.map((x) => x.finishReason === "length");
    const rows = items.map((_, i) => i).filter((i) => !(c.dropZeroStdGroups && adv.groupStd[Math.floor(i / G)] === 0));
    const keep = rows.map((i) => !(c.maskTruncatedCompletions && truncated[i]));

    // 4.–5. Log-probs of π_old / π_ref from the trainer's own forward pass, then μ passes of updates.
    let lossSum = 0;
    let gradNorm = 0;
    const sums: MicroMetrics = { loss: 0, entropySum: 0, klSum: 0, clipLowSum: 0, clipHighSum: 0, clipRegionSum: 0 };
    let tokens = 0;
    if (rows.length > 0) {
      const packed = packSequences(rows.map((i) => promptIds[i]!), rows.map((i) => comps[i]!.ids), model.padId, keep, TRAIN_ROW_BUCKET);
      tokens = packed.mask.reduce((a, b) => a + b, 0);
      const weights = tokenWeights(c.lossType, packed.mask, packed.B, packed.T, c.maxCompletionLength, rows.length);
      const advantages = new Float32Array(packed.B);
      rows.forEach((i, r) => (advantages[r] = adv.advantages[i]!));
      const oldLogp = c.numIterations > 1 ? await timed(times, "old_logprobs", () => this.#logprobs(packed, model.params)) : undefined;
      const refLogp = c.beta > 0 ? await timed(times, "ref_logprobs", () => this.#logprobs(packed, this.d.refParams!)) : undefined;
      const lr = learningRateAt(c, step);
      await timed(times, "update", async () => {
        for (let it = 0; it < c.numIterations; it++) {
          for (let s = 0; s < packed.B; s += c.microBatchSize) {
            const e = Math.min(packed.B, s + c.microBatchSize);
            const T = packed.T;
            const m = await this.updater.accumulate({
              B: e - s,
              T,
              tokens: sliceRows(packed.tokens, T, s, e),
              targets: sliceRows(packed.targets, T, s, e),
              weights: sliceRows(weights, T, s, e),
              mask: sliceRows(packed.mask, T, s, e),
              advantages: advantages.slice(s, e),
              oldLogp: oldLogp && sliceRows(oldLogp, T, s, e),
              refLogp: refLogp && sliceRows(refLogp, T, s, e),
            });
            // Metrics describe the first pass (the policy that generated the batch).
            if (it === 0) for (const k of Object.keys(sums) as (keyof MicroMetrics)[]) sums[k] += m[k];
          }
          gradNorm = (await this.updater.apply(lr)).gradNorm;
        }
      });
      lossSum = sums.loss;
    }

    const seconds = (performance.now() - t0) / 1000;
    const genTokens = comps.reduce((n, x) => n + x.ids.length, 0);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
    const metrics: StepMetrics = {
      step,
      loss: lossSum,
      reward: mean(adv.rewards),
      reward_std: mean(adv.groupStd),
      frac_reward_zero_std: adv.fracZeroStd,
      num_null_rewards: adv.numNull,
      kl: tokens ? sums.klSum / tokens : 0,
      entropy: tokens ? sums.entropySum / tokens : 0,
      "clip_ratio/low_mean": tokens ? sums.clipLowSum / tokens : 0,
      "clip_ratio/high_mean": tokens ? sums.clipHighSum / tokens : 0,
      "clip_ratio/region_mean": tokens ? sums.clipRegionSum / tokens : 0,
      "completions/mean_length": mean(comps.map((x) => x.ids.length)),
      "completions/clipped_ratio": mean(truncated.map(Number)),
      grad_norm: gradNorm,
      learning_rate: learningRateAt(c, step),
      num_loss_sequences: rows.length,
      tokens_per_second: genTokens / Math.max(1e-9, times.generate ?? 0),
      step_seconds: seconds,
    };
    for (const [name, vals] of Object.entries(rewardOut.perFn)) {
      metrics[`rewards/${name}/mean`] = mean(vals.filter((v): v is number => v !== null));
    }
    if (rewardOut.perFn.accuracy) metrics.accuracy = metrics["rewards/accuracy/mean"]!;
    for (const [k, v] of Object.entries(times)) metrics[`time/${k}`] = v;
    for (const [k, v] of Object.entries(metrics)) {
      if (!Number.isFinite(v)) throw new EngineError(`step ${step}: metric ${k} is ${v}`);
    }
    const samples = scored.slice(0, 2 * G).map((x, i) => ({
      prompt: items[i]!.question,
      completion: x.text,
      reward: rewardOut.total[i] ?? null,
      advantage: adv.advantages[i]!,
    }));
    return { metrics, samples };
  }

  async #logprobs(b: PackedBatch, params: LlamaParams): Promise<Float32Array> {
    const out = new Float32Array(b.B * b.T);
    const mb = this.d.config.microBatchSize;
    for (let s = 0; s < b.B; s += mb) {
      const e = Math.min(b.B, s + mb);
      const { logp } = await this.d.model.sequenceLogprobs(
        { B: e - s, T: b.T, tokens: sliceRows(b.tokens, b.T, s, e), targets: sliceRows(b.targets, b.T, s, e) },
        this.d.config.temperature,
        params,
      );
      for (let i = 0; i < logp.length; i++) if (!Number.isFinite(logp[i]!)) throw new EngineError("non-finite log-prob in the policy's forward pass");
      out.set(logp, s * b.T);
    }
    return out;
  }
}
