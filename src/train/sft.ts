/**
 * Supervised fine-tuning on (prompt, completion) pairs with the loss on completion tokens only — the R1 "cold
 * start" (DeepSeek-R1 §2.3.1): a little worked-solution data so RL starts from a model that can sometimes solve the
 * task and already uses the output format.
 */
import type { PromptSource } from "../data/source.js";
import type { PromptFormat } from "../data/template.js";
import { ConfigError } from "../errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import { tokenWeights } from "../rl/aggregate.js";
import { encodePrompt } from "../rollout/prompt.js";
import { packSequences } from "./batch.js";
import { PolicyUpdater } from "./policy-update.js";

export interface SftOptions {
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Linear warm-up steps. */
  warmupSteps: number;
  format: PromptFormat;
  onStep?: (step: number, loss: number, seconds: number) => void;
}

/** Trains `model` in place on the source's worked solutions. @throws ConfigError if the source has none. */
export async function sftColdStart(model: CausalLM, source: PromptSource, o: SftOptions): Promise<void> {
  // AdamW as in the reference cold start (β2 0.98, weight decay 0.01, clip 1).
  const up = new PolicyUpdater(model, { kind: "nll" }, { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 });
  const eos = model.config.eosTokenId[0];
  if (eos === undefined) throw new ConfigError("cold start needs an EOS token id in config.json");
  for (let step = 1; step <= o.steps; step++) {
    const t0 = performance.now();
    const items = Array.from({ length: o.batchSize }, () => source.next());
    if (items.some((p) => p.solution === undefined)) throw new ConfigError(`dataset ${source.name} has no worked solutions for a cold start`);
    const prompts = items.map((p) => encodePrompt(model, o.format, p.question));
    const comps = items.map((p) => [...model.tokenizer.encode(p.solution!), eos]);
    const b = packSequences(prompts, comps, model.padId);
    const weights = tokenWeights("token_mean", b.mask, b.B, b.T, 0);
    const m = await up.accumulate({ ...b, weights });
    await up.apply(o.learningRate * Math.min(1, step / Math.max(1, o.warmupSteps)));
    o.onStep?.(step, m.loss, (performance.now() - t0) / 1000);
  }
  up.dispose();
}
