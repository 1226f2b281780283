import { expect, test } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { repeatedFraction, repetitionPenalty } from "../../src/reward/repetition.js";
import type { RewardBatch } from "../../src/reward/types.js";

const ctx = { step: 0, groupSize: 1, maxCompletionLength: 64 };
const batch = (completions: string[], ids: number[][] = completions.map(() => [])): RewardBatch => ({
  prompts: completions.map(() => ""),
  completions,
  completionIds: ids,
});

test("penalty = −maxPenalty · (1 − unique n-grams / n-grams)", () => {
  // "a b a b a b", n = 2: ab ba ab ba ab → 5 bigrams, 2 unique → 1 − 2/5 = 0.6
  expect(repeatedFraction(["a", "b", "a", "b", "a", "b"], 2)).toBeCloseTo(0.6, 12);
  const out = repetitionPenalty({ n: 2, maxPenalty: 0.5 })(batch(["a b a b a b", "A  b\nA B", "one two three", "a", ""]), ctx);
  // "A b A B" lower-cased: ab ba ab → 1 − 2/3
  expect(out[0]).toBeCloseTo(-0.3, 12);
  expect(out[1]).toBeCloseTo(-0.5 * (1 / 3), 12);
  expect(out.slice(2)).toEqual([0, 0, 0]);
});

test("token n-grams: [1 2 3 1 2 3], n = 3 → 4 trigrams, 3 unique → −0.25", () => {
  const out = repetitionPenalty({ n: 3, unit: "tokens" })(batch(["", "x"], [[1, 2, 3, 1, 2, 3], [5, 5]]), ctx);
  expect(out).toEqual([-0.25, 0]);
});

test("a completion stuck in a loop approaches −maxPenalty", () => {
  const loop = Array(200).fill("so").join(" ");
  const [r] = repetitionPenalty()(batch([loop]), ctx) as number[];
  expect(r).toBeCloseTo(-(1 - 1 / 198), 12);
  expect(() => repetitionPenalty({ n: 0 })).toThrow(ConfigError);
  expect(() => repetitionPenalty({ maxPenalty: -1 })).toThrow(ConfigError);
});
