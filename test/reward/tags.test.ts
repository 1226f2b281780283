import { expect, test } from "vitest";
import { formatSoftReward, tagCountReward } from "../../src/reward/tags.js";
import type { RewardBatch } from "../../src/reward/types.js";

const ctx = { step: 0, groupSize: 1, maxCompletionLength: 64 };
const batch = (completions: string[]): RewardBatch => ({ prompts: completions.map(() => ""), completions, completionIds: completions.map(() => []) });

test("soft format: think then answer, in order, anything around or between", () => {
  const out = formatSoftReward(
    batch([
      "<think>a</think><answer>b</answer>",
      "preamble <think>\na\n</think> between <answer>b</answer> trailing",
      "<answer>b</answer><think>a</think>",
      "<think>a</think> no answer",
      "",
    ]),
    ctx,
  );
  expect(out).toEqual([1, 1, 0, 0, 0]);
});

test("tag count: 0.25 per tag that occurs exactly once", () => {
  const out = tagCountReward(
    batch([
      "<think>a</think><answer>b</answer>",
      "<think>a</think>",
      "<think><think>a</think><answer>b</answer>",
      "<answer>b</answer></answer>",
      "nothing",
    ]),
    ctx,
  );
  expect(out).toEqual([1, 0.5, 0.75, 0.25, 0]);
});
