/**
 * Lenient format rewards built on the R1-Zero tags `<think> </think> <answer> </answer>` (DeepSeek-R1 §2.2.2
 * "Format rewards"), as popularised by open-r1. The strict variant is `formatReward` in `format.ts`.
 */
import type { RewardBatch, RewardFn } from "./types.js";

/** `<think>…</think>` then `<answer>…</answer>`, in this order, anything before, between and after. */
const SOFT_FORMAT = /<think>[\s\S]*?<\/think>[\s\S]*?<answer>[\s\S]*?<\/answer>/;

const TAGS = ["<think>", "</think>", "<answer>", "</answer>"] as const;

/** Points per tag that occurs exactly once (4 tags → 1.0 at most). */
const POINTS_PER_TAG = 0.25;

function countOf(s: string, tag: string): number {
  let n = 0;
  for (let i = s.indexOf(tag); i !== -1; i = s.indexOf(tag, i + tag.length)) n++;
  return n;
}

/**
 * Soft format reward (DeepSeek-R1 §2.2.2; open-r1's "soft format"): 1 when the completion contains
 * `<think>…</think>` followed (later, anything in between) by `<answer>…</answer>`, else 0.
 * Unlike `formatReward`, text around or between the blocks and repeated tags are allowed.
 * Never throws, never null.
 */
export const formatSoftReward: RewardFn = (batch: RewardBatch) =>
  batch.completions.map((c) => (typeof c === "string" && SOFT_FORMAT.test(c) ? 1 : 0));

/**
 * Tag-count reward (open-r1 `tag_count_reward`): Σ over the four tags of 0.25·[tag occurs exactly once],
 * so 0, 0.25, …, 1. A dense shaping signal for models that have not learned the format yet
 * (DeepSeek-R1 §2.2.2 pays only the complete format).
 * Departure from open-r1: it counts `"<think>\n"`, `"\n</think>\n"`, `"\n<answer>\n"`, `"\n</answer>"` (newlines
 * included); we count the bare tags, matching our strict `formatReward`, which does not require newlines.
 * Never throws, never null.
 */
export const tagCountReward: RewardFn = (batch: RewardBatch) =>
  batch.completions.map((c) => {
    if (typeof c !== "string") return 0;
    let score = 0;
    for (const tag of TAGS) if (countOf(c, tag) === 1) score += POINTS_PER_TAG;
    return score;
  });
