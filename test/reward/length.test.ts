import { describe, expect, test } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { kimiLambdas, kimiLengthPenalty, overlongPenalty } from "../../src/reward/length.js";
import type { RewardBatch, RewardFn } from "../../src/reward/types.js";

/** Batch whose completion i has lens[i] tokens. */
const batchOfLengths = (lens: number[], extra: Record<string, unknown[]> = {}): RewardBatch => ({
  prompts: lens.map(() => "q"),
  completions: lens.map(() => "<think>t</think><answer>1</answer>"),
  completionIds: lens.map((n) => Array.from({ length: n }, (_, k) => k)),
  ...extra,
});
const fixed = (scores: (number | null)[]): RewardFn => () => scores;

describe("Kimi length penalty (k1.5 §2.3.3)", () => {
  test("λ = 0.5 − (len − min)/(max − min)", () => {
    // min 10, max 50: λ = 0.5 − [0, 10, 20, 40]/40
    expect(kimiLambdas([10, 20, 30, 50])).toEqual([0.5, 0.25, 0, -0.5]);
    expect(kimiLambdas([7, 7, 7])).toEqual([0, 0, 0]);
  });

  test("correct → λ, wrong → min(0, λ), per group; all-equal lengths → 0", async () => {
    const fn = kimiLengthPenalty({ correctness: fixed([1, 0, 1, 1, 0, 1, 0, 1]) });
    const out = await fn(batchOfLengths([10, 20, 30, 50, 7, 7, 7, 7]), { step: 0, groupSize: 4, maxCompletionLength: 64 });
    // group 1: λ = [0.5, 0.25, 0, −0.5]; the wrong one (λ 0.25) gets min(0, 0.25) = 0
    // group 2: all lengths equal → 0
    expect(out).toEqual([0.5, 0, 0, -0.5, 0, 0, 0, 0]);
  });

  test("a wrong long answer is penalised, never rewarded", async () => {
    const fn = kimiLengthPenalty({ correctness: fixed([0, 0, 0]) });
    // min 4, max 8: λ = [0.5, 0, −0.5] → wrong: [0, 0, −0.5]
    expect(await fn(batchOfLengths([4, 6, 8]), { step: 0, groupSize: 3, maxCompletionLength: 64 })).toEqual([0, 0, -0.5]);
  });

  test("warm-up: 0 for the first warmupSteps steps (1-based), the penalty from then on", async () => {
    const fn = kimiLengthPenalty({ warmupSteps: 5, correctness: fixed([1, 1]) });
    const b = batchOfLengths([2, 4]);
    expect(await fn(b, { step: 1, groupSize: 2, maxCompletionLength: 64 })).toEqual([0, 0]);
    expect(await fn(b, { step: 5, groupSize: 2, maxCompletionLength: 64 })).toEqual([0, 0]);
    expect(await fn(b, { step: 6, groupSize: 2, maxCompletionLength: 64 })).toEqual([0.5, -0.5]);
  });

  test("explicit group ids: members of a group need not be contiguous, groups may differ in size", async () => {
    // Group 7 = rows 0, 2, 4 with lengths [100, 300, 200]; group 3 = rows 1, 3 with lengths [50, 50] (equal → 0).
    const fn = kimiLengthPenalty({ correctness: fixed([1, 1, 0, 1, 1]) });
    const out = await fn(batchOfLengths([100, 50, 300, 50, 200]), { step: 1, groupSize: 99, maxCompletionLength: 512, groupIds: [7, 3, 7, 3, 7] });
    expect(out).toEqual([0.5, 0, -0.5, 0, 0]);
  });

  test("composes with accuracyReward by default; unjudgeable rows are null", async () => {
    const b = batchOfLengths([3, 9, 6], { answer: ["1", "2", "1"] });
    b.completions[2] = "<think>t</think><answer>5</answer>";
    // λ = 0.5 − [0, 6, 3]/6 = [0.5, −0.5, 0]; correct: [1, 0, 0] (answer "1" vs gold 2; "5" vs gold 1)
    expect(await kimiLengthPenalty()(b, { step: 0, groupSize: 3, maxCompletionLength: 64 })).toEqual([0.5, -0.5, 0]);
    const nulls = kimiLengthPenalty({ correctness: fixed([1, null]) });
    expect(await nulls(batchOfLengths([1, 2]), { step: 0, groupSize: 2, maxCompletionLength: 64 })).toEqual([0.5, null]);
  });

  test("a correctness function that throws gives null, not an exception", async () => {
    const fn = kimiLengthPenalty({ correctness: () => { throw new Error("boom"); } });
    expect(await fn(batchOfLengths([1, 2]), { step: 0, groupSize: 2, maxCompletionLength: 64 })).toEqual([null, null]);
    expect(() => kimiLengthPenalty({ warmupSteps: -1 })).toThrow(ConfigError);
  });
});

describe("DAPO overlong penalty (§3.4)", () => {
  test("0 up to L_max − L_cache, linear to −1 at L_max, −1 beyond", () => {
    const fn = overlongPenalty({ cacheLength: 20 });
    const out = fn(batchOfLengths([0, 80, 81, 90, 100, 101]), { step: 0, groupSize: 1, maxCompletionLength: 100 });
    // (100 − 20 − len)/20: 81 → −0.05, 90 → −0.5, 100 → −1
    expect(out).toEqual([0, 0, -0.05, -0.5, -1, -1]);
  });

  test("default L_cache is 20% of L_max (DAPO: 4096 of 20480)", () => {
    const out = overlongPenalty()(batchOfLengths([16384, 18432, 20480]), { step: 0, groupSize: 1, maxCompletionLength: 20480 });
    expect(out).toEqual([0, -0.5, -1]);
    expect(() => overlongPenalty({ cacheLength: 0 })).toThrow(ConfigError);
  });
});
