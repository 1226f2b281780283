/**
 * Supervised fine-tuning on (prompt, completion) pairs with the loss on completion tokens only — the R1 "cold
 * start" (DeepSeek-R1 §2.3.1): a little worked-solution data so RL starts from a model that can sometimes solve the
 * task and already uses the output format. Batches come from a built-in task's generator; `thinkrl sft`
 * (`sft.ts`) is the same step on a dataset file.
 */
import type { PromptSource } from "../data/source.js";
import type { PromptFormat } from "../data/template.js";
import { ConfigError } from "../core/errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import { Learner, type TrainableBinding } from "./learner.js";
import { nll } from "../rl/losses/nll.js";
import { encodeSftExample, sftEndTokenId, sftStep } from "./sft-batch.js";

export interface SftOptions {
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Linear warm-up steps. */
  warmupSteps: number;
  format: PromptFormat;
  /** Called after each step; a returned promise is awaited before the next step (e.g. to save a checkpoint). */
  onStep?: (step: number, loss: number, seconds: number) => void | Promise<void>;
  /** What trains (default: all of `model`'s weights); e.g. a LoRA adapter's binding, with `model` its merged policy. */
  binding?: TrainableBinding;
  /** Sequence-length bucket of the batches (default `TRAIN_LENGTH_BUCKET`; long-tail tasks: `LONG_LENGTH_BUCKET`). */
  lengthBucket?: number;
  /** Rows per forward/backward pass (default: the whole batch; long sequences need fewer for Wasm's 4 GiB). */
  microBatchSize?: number;
  /**
   * Sort each batch by length and pad each micro-batch only to its own longest row (`sftMicroBatches`); the same
   * token-mean loss with less padding. Default false (one padded batch: the shipped default checkpoint stays
   * reproducible).
   */
  sortByLength?: boolean;
  /** Learning-rate schedule after the warm-up: constant (default) or cosine decay to 10% of `learningRate` at `steps`. */
  schedule?: "constant" | "cosine";
}

/**
 * Trains `model` in place on the source's worked solutions (completions end as `tokenizeSft`'s do).
 * @throws ConfigError if the source has none, or the model has no EOS to end them with
 */
export async function sftColdStart(model: CausalLM, source: PromptSource, o: SftOptions): Promise<void> {
  const end = sftEndTokenId(model, o.format); // EOS, or the chat template's end-of-turn token
  // AdamW as in the reference cold start (β2 0.98, weight decay 0.01, clip 1).
  const up = new Learner(model, nll, { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 }, { binding: o.binding });
  for (let step = 1; step <= o.steps; step++) {
    const t0 = performance.now();
    const items = Array.from({ length: o.batchSize }, () => source.next());
    if (items.some((p) => p.solution === undefined)) throw new ConfigError(`dataset ${source.name} has no worked solutions for a cold start`, {
        hint: "cold-start with thinkrl sft on your own worked solutions, then pass that model with --model",
      });
    const rows = items.map((p) => encodeSftExample(model, o.format, p.question, p.solution!, end));
    // One micro-batch of the whole batch (the same shapes and weights as ever: the shipped checkpoint stays reproducible).
    const { loss } = await sftStep(up, rows, o.microBatchSize ?? rows.length, sftLearningRate(o, step), o.lengthBucket, o.sortByLength);
    await o.onStep?.(step, loss, (performance.now() - t0) / 1000);
  }
  up.dispose();
}

/**
 * The cold start's learning rate at 1-based `step`: linear warm-up over `warmupSteps`, then constant or a cosine decay
 * from `learningRate` to 10% of it at `steps` (Loshchilov & Hutter 2017, SGDR eq. 5 with η_min = 0.1·η_max).
 */
export function sftLearningRate(o: Pick<SftOptions, "steps" | "learningRate" | "warmupSteps" | "schedule">, step: number): number {
  const warm = Math.min(1, step / Math.max(1, o.warmupSteps));
  if (o.schedule !== "cosine" || step <= o.warmupSteps) return o.learningRate * warm;
  const progress = Math.min(1, (step - o.warmupSteps) / Math.max(1, o.steps - o.warmupSteps));
  return o.learningRate * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
