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
import { SILENT_LOG } from "../core/log.js";
import { forwardBackwardCheck, type ForwardBackwardResult } from "../train/forward-backward.js";

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
   * One forward and one backward pass of the GRPO learner path on fixed sequences (`forwardBackwardCheck` on the
   * first `rows` held-out problems with this session's config): the WebGPU smoke test compares it across engines.
   */
  forwardBackward(rows = 2): Promise<ForwardBackwardResult> {
    return forwardBackwardCheck(this.model, this.source.heldOut.slice(0, rows), this.config);
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
