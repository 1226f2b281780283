import { describe, expect, test } from "vitest";
import { tokenWeights } from "../../src/rl/aggregate.js";

// 2 sequences × 3 positions; the second has 2 completion tokens.
const MASK = Float32Array.from([1, 1, 1, 1, 1, 0]);
const close = (got: Float32Array, want: number[]) => got.forEach((g, i) => expect(g, `index ${i}`).toBeCloseTo(want[i]!, 7));

describe("tokenWeights", () => {
  test("grpo: 1 / (N · |o_i|) — mean over each sequence, then over sequences", () => {
    close(tokenWeights("grpo", MASK, 2, 3, 4), [1 / 6, 1 / 6, 1 / 6, 1 / 4, 1 / 4, 0]);
  });

  test("dapo and token_mean: 1 / (total completion tokens of the batch)", () => {
    close(tokenWeights("dapo", MASK, 2, 3, 4), [1 / 5, 1 / 5, 1 / 5, 1 / 5, 1 / 5, 0]);
    close(tokenWeights("token_mean", MASK, 2, 3, 4), [1 / 5, 1 / 5, 1 / 5, 1 / 5, 1 / 5, 0]);
  });

  test("dr_grpo: 1 / (N · L_max), independent of the lengths", () => {
    close(tokenWeights("dr_grpo", MASK, 2, 3, 4), [1 / 8, 1 / 8, 1 / 8, 1 / 8, 1 / 8, 0]);
  });

  test("each mode's weights sum to the mean it stands for", () => {
    const sum = (w: Float32Array) => w.reduce((a, b) => a + b, 0);
    expect(sum(tokenWeights("grpo", MASK, 2, 3, 4))).toBeCloseTo(1, 6); // mean of per-sequence means of 1s
    expect(sum(tokenWeights("dapo", MASK, 2, 3, 4))).toBeCloseTo(1, 6);
    expect(sum(tokenWeights("dr_grpo", MASK, 2, 3, 4))).toBeCloseTo(5 / 8, 6);
  });

  test("an empty sequence gets zero weight, not NaN", () => {
    const w = tokenWeights("grpo", Float32Array.from([1, 1, 0, 0, 0, 0]), 2, 3, 3);
    close(w, [1 / 4, 1 / 4, 0, 0, 0, 0]);
    expect(tokenWeights("dapo", new Float32Array(6), 2, 3, 3).every((x) => x === 0)).toBe(true);
  });
});
