/**
 * The "aha" statistics of a step's rollouts (`aha/*`) on completions with words (the embedded digits-only model never
 * writes any), and the length band (`completions/min_length`, `max_length`) in the metrics row.
 */
import { describe, expect, test } from "vitest";
import { groupAdvantages } from "../../src/rl/advantages.js";
import type { Completion } from "../../src/rollout/generate.js";
import { reflectionMetrics, rlStepMetrics } from "../../src/train/step-metrics.js";

const TEXTS = [
  "<think>12*3 = 36. Wait, let me check: 12*3 is 36.</think><answer>36</answer>", // reflection, correct
  "<think>12*3 = 38. Let me VERIFY this... yes</think><answer>38</answer>", // reflection, wrong
  "<think>12*3 = 36</think><answer>36</answer>", // none, correct
  "<think>awaited the result; verifying-ish? no: unverified</think><answer>35</answer>", // none (not whole words), wrong
  "<think>Hmm, 12 times 3</think><answer>36</answer>", // reflection, unscored
];

describe("aha statistics", () => {
  test("share of completions with a reflection phrase (whole words, any case), and accuracy with and without", () => {
    const m = reflectionMetrics(TEXTS, [true, false, true, false, null]);
    expect(m).toEqual({ "aha/reflection_ratio": 3 / 5, "aha/accuracy_with_reflection": 1 / 2, "aha/accuracy_without_reflection": 1 / 2 });
  });

  test("configurable phrases; a subset with no scored completion has no accuracy key", () => {
    expect(reflectionMetrics(TEXTS, [null, null, true, false, null], ["let me check"])).toEqual({ "aha/reflection_ratio": 1 / 5, "aha/accuracy_without_reflection": 1 / 2 });
    expect(reflectionMetrics(TEXTS, [true, true, true, true, true], [])).toEqual({ "aha/reflection_ratio": 0, "aha/accuracy_without_reflection": 1 });
  });

  test("rlStepMetrics computes them over all rollouts from the accuracy reward, with the length band", () => {
    const comps: Completion[] = TEXTS.slice(0, 4).map((text, i) => ({ ids: Array.from({ length: 10 + i }, () => 1), logprobs: [], text, finishReason: "stop" }));
    const accuracy = [1, 0, 1, 0];
    const m = rlStepMetrics({
      step: 1, completions: comps, adv: groupAdvantages(accuracy, 2), perFn: { accuracy, format: [1, 1, 1, 1] }, sums: { loss: 0, entropySum: 0 },
      tokens: 46, gradNorm: 0, learningRate: 1e-4, lossRows: 4, times: { generate: 1 }, seconds: 1,
    });
    expect([m["aha/reflection_ratio"], m["aha/accuracy_with_reflection"], m["aha/accuracy_without_reflection"]]).toEqual([0.5, 0.5, 0.5]);
    expect([m["completions/min_length"], m["completions/max_length"], m["completions/mean_length"]]).toEqual([10, 13, 11.5]);
  });

  test("rlStepMetrics takes the run's phrases (reflectionPhrases); [] writes no aha/* metric", () => {
    const comps: Completion[] = TEXTS.slice(0, 4).map((text) => ({ ids: [1], logprobs: [], text, finishReason: "stop" }));
    const accuracy = [1, 0, 1, 0];
    const row = (reflectionPhrases: string[]) =>
      rlStepMetrics({
        step: 1, completions: comps, adv: groupAdvantages(accuracy, 2), perFn: { accuracy }, sums: { loss: 0, entropySum: 0 },
        tokens: 4, gradNorm: 0, learningRate: 1e-4, lossRows: 4, times: {}, seconds: 1, reflectionPhrases,
      });
    expect(row(["verify"])["aha/reflection_ratio"]).toBe(1 / 4);
    expect(Object.keys(row([])).filter((k) => k.startsWith("aha/"))).toEqual([]);
  });
});
