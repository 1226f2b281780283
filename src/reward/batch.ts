/**
 * Builds the reward batch as TRL passes it to reward functions: prompts, completions, completion ids, and every
 * dataset column as an array aligned with the completions.
 */
import type { PromptItem } from "../data/source.js";
import type { RewardBatch } from "./types.js";

export function rewardBatch(items: PromptItem[], comps: { text: string; ids: number[] }[]): RewardBatch {
  const batch: RewardBatch = {
    prompts: items.map((p) => p.question),
    completions: comps.map((x) => x.text),
    completionIds: comps.map((x) => x.ids),
  };
  for (const key of new Set(items.flatMap((p) => Object.keys(p.columns)))) batch[key] = items.map((p) => p.columns[key]);
  return batch;
}
