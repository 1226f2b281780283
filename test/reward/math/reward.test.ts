import { afterAll, describe, expect, test } from "vitest";
import { accuracyReward, getReward, type RewardBatch } from "../../../src/reward/index.js";
import { defaultMathVerifier, mathAccuracyReward } from "../../../src/reward/math/index.js";

afterAll(() => defaultMathVerifier().close());

const ctx = { step: 0, groupSize: 2, maxCompletionLength: 64 };

function batch(completions: string[], columns: Record<string, unknown[]>): RewardBatch {
  return { prompts: completions.map(() => "q"), completions, completionIds: completions.map(() => []), ...columns };
}

describe("mathAccuracyReward", () => {
  test("scores extracted answers against the answer column", async () => {
    const b = batch(["so \\boxed{\\frac{1}{2}}", "so \\boxed{0.5}", "so \\boxed{2}", "no answer here", "\\boxed{\\sqrt{8}}"], {
      answer: ["0.5", "1/2", "3", "7", "2\\sqrt{2}"],
    });
    expect(await mathAccuracyReward(b, ctx)).toEqual([1, 1, 0, 0, 1]);
  });

  test("reads the gold from a solution's last box; rows without gold are null", async () => {
    const b = batch(["\\boxed{12}", "\\boxed{12}", "\\boxed{12}"], {
      solution: ["... so it is \\boxed{12}.", "\\boxed{13}", undefined],
    });
    expect(await mathAccuracyReward(b, ctx)).toEqual([1, 0, null]);
  });

  test("numbers in the answer column and garbage completions never throw", async () => {
    const b = batch(["\\boxed{42}", "\\boxed{\\frac{", undefined as unknown as string], { answer: [42, 42, 42] });
    expect(await mathAccuracyReward(b, ctx)).toEqual([1, 0, 0]);
  });

  test("is registered as math_accuracy", () => {
    expect(getReward("math_accuracy")).toBe(mathAccuracyReward);
  });
});

describe("accuracyReward uses the verifier for answer columns", () => {
  const wrap = (a: string) => `<think>t</think><answer>${a}</answer>`;
  test("LaTeX and symbolic answers", async () => {
    const b = batch([wrap("\\frac{\\sqrt{2}}{2}"), wrap("x = 3"), wrap("\\{2, 1\\}"), wrap("(1,2]")], {
      answer: ["\\frac{1}{\\sqrt{2}}", "3", "\\{1,2\\}", "[1,2]"],
    });
    expect(await accuracyReward(b, ctx)).toEqual([1, 1, 1, 0]);
  });

  test("plain numbers stay on the synchronous fast path", () => {
    const out = accuracyReward(batch([wrap("0.5"), wrap("2")], { answer: ["1/2", "3"] }), ctx);
    expect(out).toEqual([1, 0]);
  });
});
