import { describe, expect, test } from "vitest";
import { ADVANTAGE_EPS, groupAdvantages } from "../../src/rl/advantages.js";

const close = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => expect(g, `index ${i}`).toBeCloseTo(want[i]!, 12));
};

describe("groupAdvantages", () => {
  test("group scale: (r − mean) / (sample std + ε) within each group", () => {
    // Group [1, 0, 0.5]: mean 0.5, sample std √((0.25 + 0.25 + 0) / 2) = 0.5.
    // Group [2, 0, 1]: mean 1, sample std √((1 + 1 + 0) / 2) = 1.
    const r = groupAdvantages([1, 0, 0.5, 2, 0, 1], 3, "group");
    const s1 = 0.5 + ADVANTAGE_EPS, s2 = 1 + ADVANTAGE_EPS;
    close(r.advantages, [0.5 / s1, -0.5 / s1, 0, 1 / s2, -1 / s2, 0]);
    close(r.groupStd, [0.5, 1]);
    expect(r.fracZeroStd).toBe(0);
    expect(r.numNull).toBe(0);
    close(r.rewards, [1, 0, 0.5, 2, 0, 1]);
  });

  test("zero-std group yields zero advantage and is counted", () => {
    const r = groupAdvantages([1, 1, 1, 0, 1, 0, 0.3, 0.3, 0.3], 3, "group");
    expect(r.advantages.slice(0, 3)).toEqual([0, 0, 0]);
    expect(r.advantages.slice(6)).toEqual([0, 0, 0]);
    expect(r.advantages[4]).toBeGreaterThan(0);
    expect(r.groupStd[0]).toBe(0);
    expect(r.groupStd[2]).toBe(0);
    expect(r.fracZeroStd).toBeCloseTo(2 / 3, 12);
  });

  test("null rewards get zero advantage, stay out of mean/std, and are filled with the group mean", () => {
    // Group [1, null, 0]: scorable [1, 0], mean 0.5, sample std √(0.5) (÷ (2 − 1)).
    const r = groupAdvantages([1, null, 0, 0, 1, 1], 3, "group");
    const s = Math.SQRT1_2 + ADVANTAGE_EPS;
    expect(r.advantages[1]).toBe(0);
    close(r.advantages.slice(0, 3), [0.5 / s, 0, -0.5 / s]);
    close(r.rewards, [1, 0.5, 0, 0, 1, 1]);
    expect(r.numNull).toBe(1);
    close(r.groupStd, [Math.SQRT1_2, Math.sqrt(1 / 3)]);
  });

  test("a group with a single scorable reward has zero std and zero advantages; an all-null group fills 0", () => {
    const r = groupAdvantages([null, 1, null, null, null, null], 3, "group");
    expect(r.advantages).toEqual([0, 0, 0, 0, 0, 0]);
    expect(r.rewards).toEqual([1, 1, 1, 0, 0, 0]);
    expect(r.numNull).toBe(5);
    expect(r.fracZeroStd).toBe(1);
  });

  test('scale "none" only centres (Dr. GRPO)', () => {
    const r = groupAdvantages([1, 0, 0.5, 2, 0, 1], 3, "none");
    close(r.advantages, [0.5, -0.5, 0, 1, -1, 0]);
  });

  test('scale "batch" divides by the std of all scorable rewards of the batch; zero-std groups stay 0', () => {
    const rewards = [1, 0, 0.5, 2, 0, 1, 3, 3, 3];
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    const batchStd = Math.sqrt(rewards.reduce((a, x) => a + (x - mean) ** 2, 0) / (rewards.length - 1));
    const s = batchStd + ADVANTAGE_EPS;
    const r = groupAdvantages(rewards, 3, "batch");
    close(r.advantages, [0.5 / s, -0.5 / s, 0, 1 / s, -1 / s, 0, 0, 0, 0]);
  });

  test("a batch that is not a multiple of the group size is rejected, naming both numbers", () => {
    expect(() => groupAdvantages([1, 0, 1], 2)).toThrow(/3 rewards .* groupSize 2/);
  });
});
