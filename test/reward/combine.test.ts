import { describe, expect, test } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { combineRewards, getReward, REWARDS, type RewardBatch, type RewardFn } from "../../src/reward/index.js";

const ctx = { step: 3, groupSize: 2, maxCompletionLength: 64 };
const batch: RewardBatch = {
  prompts: ["3,7,12:33", "3,7,12:33"],
  completions: ["<think>7*3=21,21+12=33</think><answer>(7*3)+12</answer>", "<think>x</think><answer>33</answer>"],
  completionIds: [[], []],
  task: ["countdown", "countdown"],
  nums: [
    [3, 7, 12],
    [3, 7, 12],
  ],
  target: [33, 33],
};

describe("reward registry", () => {
  test("names resolve to the built-in rewards", () => {
    expect(getReward("accuracy")).toBe(REWARDS.accuracy);
    expect(getReward("format")).toBe(REWARDS.format);
  });

  test("unknown names list the valid ones", () => {
    expect(() => getReward("length")).toThrow(ConfigError);
    expect(() => getReward("length")).toThrow(/valid: accuracy, format/);
    expect(() => getReward("__proto__")).toThrow(ConfigError);
  });
});

describe("combineRewards", () => {
  test("total is the weighted sum; perFn keeps raw scores", async () => {
    const out = await combineRewards(
      [
        { name: "accuracy", fn: REWARDS.accuracy, weight: 1 },
        { name: "format", fn: REWARDS.format, weight: 0.1 },
      ],
      batch,
      ctx,
    );
    expect(out.perFn).toEqual({ accuracy: [1, 0], format: [1, 1] });
    expect(out.total[0]).toBeCloseTo(1.1);
    expect(out.total[1]).toBeCloseTo(0.1);
    expect(out.warnings).toEqual([]);
  });

  test("a null component makes the total null for that completion", async () => {
    const half: RewardFn = () => [0.5, null];
    const out = await combineRewards([{ name: "half", fn: half, weight: 2 }, { name: "format", fn: REWARDS.format, weight: 1 }], batch, ctx);
    expect(out.total).toEqual([2, null]);
  });

  const broken: Record<string, RewardFn> = {
    throws: () => {
      throw new Error("boom");
    },
    rejects: async () => Promise.reject(new Error("async boom")),
    "wrong length": () => [1],
    "non-finite": () => [1, Number.NaN],
    infinite: () => [Infinity, 1],
    "not an array": () => 5 as unknown as number[],
    "string score": () => ["1", 1] as unknown as number[],
    undefined: () => undefined as unknown as number[],
  };
  for (const [name, fn] of Object.entries(broken)) {
    test(`a reward that misbehaves (${name}) is all-null with a warning, not a crash`, async () => {
      const warned: string[] = [];
      const out = await combineRewards(
        [
          { name: "bad", fn, weight: 1 },
          { name: "format", fn: REWARDS.format, weight: 1 },
        ],
        batch,
        ctx,
        (m) => warned.push(m),
      );
      expect(out.perFn.bad).toEqual([null, null]);
      expect(out.perFn.format).toEqual([1, 1]);
      expect(out.total).toEqual([null, null]);
      expect(out.warnings).toHaveLength(1);
      expect(out.warnings[0]).toMatch(/reward 'bad'/);
      expect(warned).toEqual(out.warnings);
    });
  }

  test("duplicate names and non-finite weights are configuration errors", async () => {
    const f = { name: "format", fn: REWARDS.format, weight: 1 };
    await expect(combineRewards([f, f], batch, ctx)).rejects.toThrow(ConfigError);
    await expect(combineRewards([{ ...f, weight: Number.NaN }], batch, ctx)).rejects.toThrow(ConfigError);
  });

  test("an empty batch gives empty scores", async () => {
    const empty: RewardBatch = { prompts: [], completions: [], completionIds: [] };
    const out = await combineRewards([{ name: "accuracy", fn: REWARDS.accuracy, weight: 1 }], empty, ctx);
    expect(out).toEqual({ total: [], perFn: { accuracy: [] }, warnings: [] });
  });
});
