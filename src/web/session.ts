/**
 * An R1-Zero GRPO session for a browser tab (browser-safe; `thinkrl web`'s page runs it, and the Node test runs the
 * very same code to check the tab's metrics against Node's): the embedded model on the arithmetic task, the
 * library's `GrpoTrainer` driven by its `trainLoop`, run files kept in memory, a held-out accuracy before and after.
 */
import { Rng } from "../core/rng.js";
import { taskSource } from "../data/task-source.js";
import type { PromptSource } from "../data/source.js";
import type { CausalLM } from "../model/causal-lm.js";
import { combineRewards } from "../reward/combine.js";
import { rewardBatch } from "../reward/batch.js";
import { resolveRewards } from "../reward/registry.js";
import { rolloutGroups } from "../rollout/groups.js";
import { resolveTrainConfig, type TrainConfig } from "../train/config.js";
import { GrpoTrainer } from "../train/grpo.js";
import { trainLoop, type Metrics, type TrainerCallback } from "../train/loop.js";
import { ConfigError } from "../core/errors.js";
import { SILENT_LOG } from "../core/log.js";
import { getObjective } from "../rl/losses/index.js";
import { tokenWeights } from "../rl/aggregate.js";
import { packSequences, sliceRows } from "../train/batch.js";
import { Learner } from "../train/learner.js";
import { sequenceLogprobs } from "../train/logprobs.js";
import { encodeSftExample, sftEndTokenId } from "../train/sft-batch.js";

/** What the page lets the user set. */
export interface WebSettings {
  seed: number;
  maxSteps: number;
  promptsPerStep: number;
  numGenerations: number;
  learningRate: number;
  /** Held-out problems scored before and after training (1 sample each at T 0.6 / top-p 0.95). */
  evalProblems: number;
}

export const WEB_DEFAULTS: Readonly<WebSettings> = Object.freeze({ seed: 0, maxSteps: 20, promptsPerStep: 8, numGenerations: 4, learningRate: 1e-4, evalProblems: 64 });

/** Sampling of the held-out check (R1's evaluation temperature and top-p). */
const EVAL_SAMPLING = { temperature: 0.6, topP: 0.95, topK: 0 };

export class WebSession {
  readonly config: Readonly<TrainConfig>;
  readonly source: PromptSource;
  readonly rewards;
  readonly trainer: GrpoTrainer;
  readonly metrics: Metrics[] = [];
  #rng: Rng;

  /** @param model the embedded model, loaded (its weights are trained in place) */
  constructor(
    readonly model: CausalLM,
    readonly settings: Readonly<WebSettings>,
  ) {
    const s = settings;
    this.config = resolveTrainConfig({
      seed: s.seed, maxSteps: s.maxSteps, promptsPerStep: s.promptsPerStep, numGenerations: s.numGenerations, learningRate: s.learningRate,
      numEvalProblems: s.evalProblems, promptFormat: "compact", outputDir: "(memory)",
    });
    const c = this.config;
    this.source = taskSource("arithmetic", c.numEvalProblems, c.seed);
    this.rewards = resolveRewards(c.rewardFuncs, c.rewardWeights, c.rewardKwargs);
    // The same generator seeds as `thinkrl train` (runTrain): training sampling from seed + 1.
    this.#rng = new Rng(c.seed + 1);
    this.trainer = new GrpoTrainer({ model, source: this.source, rewards: this.rewards, rng: this.#rng, format: "compact", config: c });
  }

  /** Held-out accuracy: one sample per held-out problem, the share answered correctly. */
  async heldOutAccuracy(): Promise<number> {
    const items = this.source.heldOut;
    const roll = await rolloutGroups(this.model, "compact", items.map((p) => p.question), 1, { maxNewTokens: this.config.maxCompletionLength, ...EVAL_SAMPLING }, new Rng(this.config.seed + 20_000));
    const scored = roll.completions.map((x, i) => ({ ...x, text: roll.texts[i]! }));
    const r = await combineRewards(resolveRewards(["accuracy"], [1]), rewardBatch([...items], scored), { step: 0, groupSize: 1, maxCompletionLength: this.config.maxCompletionLength });
    return r.total.reduce<number>((a, b) => a + (b ?? 0), 0) / Math.max(1, items.length);
  }

  /**
   * One forward and one backward pass of the GRPO step's learner path on fixed sequences, without sampling — the
   * WebGPU smoke test compares it across engines (sampling on SwiftShader's emulated GPU is far too slow for a
   * test; there the time goes to compiling shaders, not to the rows). Rows: the first `rows` held-out problems,
   * each with its worked reference solution (+ EOS) as the completion, advantages +1, −1, +1, …, all rows in one
   * micro-batch; forward: π_old log-probs by `sequenceLogprobs` (as `GrpoTrainer.step`);
   * backward: a fresh `Learner` with the run's objective takes one `update` at learning rate 0 (the weights stay
   * bit-for-bit the same: AdamW's step is multiplied by 0), giving the loss, entropy and pre-clip gradient norm.
   * @returns `logpSum`: Σ over completion tokens of log π(y_t) (nats); `loss`, `entropy` (per token) and `gradNorm`
   *   as in the metrics row; `tokens`: completion tokens
   * @throws ConfigError when the session has no held-out problem
   */
  async forwardBackward(rows = 2): Promise<{ logpSum: number; loss: number; entropy: number; gradNorm: number; tokens: number }> {
    const c = this.config;
    const model = this.model;
    const items = this.source.heldOut.slice(0, rows);
    if (items.length === 0) throw new ConfigError("forwardBackward needs at least one held-out problem");
    const end = sftEndTokenId(model, "compact");
    const ex = items.map((p) => encodeSftExample(model, "compact", p.question, p.solution ?? "", end));
    const packed = packSequences(ex.map((x) => x.prompt), ex.map((x) => x.completion), model.padId);
    const n = items.length;
    const advantages = Float32Array.from({ length: packed.B }, (_, r) => (r < n ? (r % 2 === 0 ? 1 : -1) : 0));
    const oldLogp = await sequenceLogprobs(model, packed, { temperature: c.temperature, microBatchSize: n });
    let logpSum = 0;
    for (let i = 0; i < oldLogp.length; i++) logpSum += packed.mask[i]! * oldLogp[i]!;
    const learner = new Learner(model, getObjective(c.objective), { beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEpsilon, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm }, { objectiveConfig: c, temperature: c.temperature });
    try {
      const weights = (s: number, e: number) => tokenWeights(c.lossType, sliceRows(packed.mask, packed.T, s, e), e - s, packed.T, c.maxCompletionLength, Math.max(0, Math.min(e, n) - s));
      const u = await learner.update({ ...packed, advantages, oldLogp }, { microBatchSize: n, miniBatches: 1, epochs: 1, weights, rows: n, lr: 0 });
      const tokens = packed.mask.reduce((a, b) => a + b, 0);
      return { logpSum, loss: u.sums.loss, entropy: u.sums.entropySum / tokens, gradNorm: u.gradNorm, tokens };
    } finally {
      learner.dispose();
    }
  }

  /**
   * Runs the steps (all of them, or until `signal` aborts: the current step finishes first).
   * @param onStep called after each step with its metrics row
   */
  async train(onStep: (m: Metrics) => void, signal?: AbortSignal): Promise<{ steps: number; interrupted: boolean }> {
    const cb: TrainerCallback = { onStepEnd: ({ metrics }) => void (this.metrics.push({ ...metrics }), onStep(metrics)) };
    const r = await trainLoop({
      trainer: { step: (s) => this.trainer.step(s), state: () => ({}) },
      files: { append: async () => {}, write: async () => {} },
      log: SILENT_LOG,
      maxSteps: this.config.maxSteps,
      startStep: this.metrics.length,
      saveSteps: 0,
      save: async () => "(memory)",
      describe: () => "",
      callbacks: [cb],
      signal,
    });
    return { steps: r.step, interrupted: r.interrupted };
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
