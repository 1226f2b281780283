/**
 * The probe set: a fixed handful of held-out prompts sampled every `logCompletionsSteps` steps (and at the last
 * step) and written to
 * `completions.jsonl` with `probe: true`, so the *same* questions' answers can be compared across training (the
 * dashboard lays them side by side). Its sampling noise comes from its own generator, seeded by the run's seed and
 * the step, so probing changes nothing in training and a resumed run probes identically.
 */
import { Rng } from "../core/rng.js";
import type { PromptItem } from "../data/source.js";
import type { PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import { rewardBatch } from "../reward/batch.js";
import { combineRewards, type WeightedReward } from "../reward/index.js";
import { rolloutGroups } from "../rollout/groups.js";
import { goldOf } from "./grpo.js";
import { logsCompletions, type RunFiles, type TrainerCallback } from "./loop.js";

/** Held-out prompts in the probe set (the first ones of the held-out set). */
export const PROBE_PROMPTS = 8;
/** Seed offset of the probe set's sampling (apart from training's and evaluation's streams). */
export const PROBE_SEED_OFFSET = 30_000;

export interface ProbeOptions {
  model: CausalLM;
  /** The probe prompts (e.g. `source.heldOut.slice(0, PROBE_PROMPTS)`). */
  problems: readonly PromptItem[];
  rewards: WeightedReward[];
  format: PromptFormat;
  /** Completions per prompt. */
  samples: number;
  sampling: { maxNewTokens: number; temperature: number; topP: number; topK: number };
  seed: number;
  /** Probe every N steps and at the last step (0 = never). */
  every: number;
  files: RunFiles;
}

/**
 * The probe rows of `step`: each probe prompt's completions with the gold answer, each reward's score, the reward
 * and the finish reason (no advantage: they are not trained on).
 */
export async function probeRows(o: ProbeOptions, step: number): Promise<Record<string, unknown>[]> {
  const rng = new Rng(o.seed + PROBE_SEED_OFFSET + step);
  const G = o.samples;
  const problems = [...o.problems];
  const items = problems.flatMap((p) => Array.from({ length: G }, () => p));
  const roll = await rolloutGroups(o.model, o.format, problems.map((p) => p.question), G, o.sampling, rng);
  const scored = roll.completions.map((x, i) => ({ ...x, text: roll.texts[i]! }));
  const r = await combineRewards(o.rewards, rewardBatch(items, scored), { step, groupSize: G, maxCompletionLength: o.sampling.maxNewTokens });
  return scored.map((x, i) => ({
    step,
    probe: true,
    prompt: items[i]!.question,
    completion: x.text,
    gold: goldOf(items[i]!),
    reward: r.total[i] ?? null,
    rewards: Object.fromEntries(Object.entries(r.perFn).map(([k, v]) => [k, v[i] ?? null])),
    finishReason: x.finishReason,
  }));
}

/** A callback that appends the probe rows to `completions.jsonl` every `o.every` steps and at the last step. */
export function probeCallback(o: ProbeOptions): TrainerCallback {
  return {
    async onStepEnd({ step, maxSteps }) {
      if (!logsCompletions(o.every, step, maxSteps) || o.problems.length === 0) return;
      const rows = await probeRows(o, step);
      await o.files.append("completions.jsonl", rows.map((x) => JSON.stringify(x)).join("\n") + "\n");
    },
  };
}
