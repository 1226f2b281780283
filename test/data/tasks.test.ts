import { describe, expect, test } from "vitest";
import { evaluateExpression } from "../../src/data/expr.js";
import { seeded } from "../../src/core/rng.js";
import { arithmeticProblem, getTask, multiplicationProblem, heldOutSet, HELD_OUT_POOL, TASK_NAMES, trainStream, type Problem } from "../../src/data/tasks/index.js";
import { accuracyReward, formatReward } from "../../src/reward/index.js";
import type { RewardBatch } from "../../src/reward/index.js";
import { ConfigError } from "../../src/core/errors.js";

const ctx = { step: 0, groupSize: 1, maxCompletionLength: 64 };

/** Reward batch scoring each problem's own worked solution, with its columns. */
function solutionBatch(problems: Problem[]): RewardBatch {
  const batch: RewardBatch = {
    prompts: problems.map((p) => p.prompt),
    completions: problems.map((p) => p.solution),
    completionIds: problems.map(() => []),
  };
  for (const key of new Set(problems.flatMap((p) => Object.keys(p.columns)))) {
    batch[key] = problems.map((p) => p.columns[key]);
  }
  return batch;
}

describe("arithmetic task", () => {
  test("worked traces match the reference format", () => {
    expect(arithmeticProblem(47, "+", 85).solution).toBe("<think>7+5=12,4+8+1=13</think><answer>132</answer>");
    expect(arithmeticProblem(503, "-", 78).solution).toBe("<think>13-8=5,9-7=2,4-0=4</think><answer>425</answer>");
    expect(arithmeticProblem(47, "*", 6).solution).toBe("<think>7*6=42,4*6+4=28</think><answer>282</answer>");
    expect(arithmeticProblem(47, "+", 85)).toMatchObject({
      prompt: "47+85",
      key: "arithmetic:47+85",
      columns: { task: "arithmetic", target: 132 },
    });
  });

  test("checked solutions (long-CoT data) add a check that does real work: the inverse operation, or the steps redone", () => {
    expect(arithmeticProblem(47, "+", 85).checkedSolution).toBe("<think>7+5=12,4+8+1=13=132:12-5=7,12-8=4,0-0=0</think><answer>132</answer>");
    expect(arithmeticProblem(503, "-", 78).checkedSolution).toBe("<think>13-8=5,9-7=2,4-0=4=425:5+8=13,2+7+1=10,4+0+1=5</think><answer>425</answer>");
    expect(arithmeticProblem(47, "*", 6).checkedSolution).toBe("<think>7*6=42,4*6+4=28=282:7*6=42,4*6+4=28</think><answer>282</answer>");
  });

  test("a seed fixes the problem sequence", () => {
    const task = getTask("arithmetic");
    const a = seeded(11);
    const b = seeded(11);
    const xs = Array.from({ length: 50 }, () => task.sample(a));
    expect(Array.from({ length: 50 }, () => task.sample(b))).toEqual(xs);
  });

  test("operands respect the digit knobs and subtraction never goes negative", () => {
    const task = getTask("arithmetic", { minDigits: 3, maxDigits: 3, ops: ["+", "-"] });
    const rng = seeded(2);
    for (let i = 0; i < 500; i++) {
      const p = task.sample(rng);
      const m = /^(\d+)([+-])(\d+)$/.exec(p.prompt)!;
      expect(m[1]!.length).toBe(3);
      expect(m[3]!.length).toBe(3);
      expect(p.columns.target as number).toBeGreaterThanOrEqual(0);
    }
  });

  test("multiplication is a 2–3 digit number times one digit 2..9", () => {
    const task = getTask("arithmetic", { ops: ["*"] });
    const rng = seeded(4);
    for (let i = 0; i < 300; i++) {
      const m = /^(\d+)\*(\d)$/.exec(task.sample(rng).prompt)!;
      expect(m[1]!.length).toBeGreaterThanOrEqual(2);
      expect(m[1]!.length).toBeLessThanOrEqual(3);
      expect(Number(m[2])).toBeGreaterThanOrEqual(2);
    }
  });

  test("every worked solution is well formed and correct", async () => {
    const task = getTask("arithmetic");
    const rng = seeded(5);
    const problems = Array.from({ length: 1000 }, () => task.sample(rng));
    const batch = solutionBatch(problems);
    expect(await formatReward(batch, ctx)).toEqual(problems.map(() => 1));
    expect(await accuracyReward(batch, ctx)).toEqual(problems.map(() => 1));
  });

  test("invalid options are a ConfigError", () => {
    expect(() => getTask("arithmetic", { minDigits: 4, maxDigits: 2 })).toThrow(ConfigError);
    expect(() => getTask("arithmetic", { ops: [] })).toThrow(ConfigError);
  });
});

describe("countdown task", () => {
  test("a seed fixes the problem sequence", () => {
    const task = getTask("countdown");
    const a = seeded(21);
    const b = seeded(21);
    const xs = Array.from({ length: 50 }, () => task.sample(a));
    expect(Array.from({ length: 50 }, () => task.sample(b))).toEqual(xs);
  });

  test("prompt lists the numbers then the target; key ignores number order", () => {
    const task = getTask("countdown");
    const rng = seeded(1);
    for (let i = 0; i < 200; i++) {
      const p = task.sample(rng);
      const { nums, target } = p.columns as { nums: number[]; target: number };
      expect(p.prompt).toBe(`${nums.join(",")}:${target}`);
      expect(nums).toHaveLength(3);
      expect(nums.every((x) => x >= 1 && x <= 12)).toBe(true);
      expect(target >= 1 && target <= 99).toBe(true);
      expect(p.key).toBe(`countdown:${[...nums].sort((x, y) => x - y).join(",")}:${target}`);
    }
  });

  test("worked solutions reach the target using only the given numbers, each at most once", async () => {
    for (const n of [2, 3, 4]) {
      const task = getTask("countdown", { n });
      const rng = seeded(100 + n);
      const problems = Array.from({ length: 500 }, () => task.sample(rng));
      for (const p of problems) {
        const answer = /<answer>(.*)<\/answer>/.exec(p.solution)![1]!;
        const r = evaluateExpression(answer);
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        const nums = [...(p.columns.nums as number[])].sort((x, y) => x - y);
        expect([...r.numbers].sort((x, y) => x - y)).toEqual(nums);
        expect(r.value).toEqual({ num: BigInt(p.columns.target as number), den: 1n });
      }
      const batch = solutionBatch(problems);
      expect(await formatReward(batch, ctx)).toEqual(problems.map(() => 1));
      expect(await accuracyReward(batch, ctx)).toEqual(problems.map(() => 1));
    }
  });

  test("the trace lists one step per operation in the reference format", () => {
    const task = getTask("countdown");
    const rng = seeded(8);
    for (let i = 0; i < 100; i++) {
      const p = task.sample(rng);
      expect(p.solution).toMatch(/^<think>\d+[-+*/]\d+=\d+,\d+[-+*/]\d+=\d+<\/think><answer>[\d()+*/-]+<\/answer>$/);
    }
  });

  test("invalid options are a ConfigError", () => {
    expect(() => getTask("countdown", { n: 1 })).toThrow(ConfigError);
    expect(() => getTask("countdown", { nmax: 0 })).toThrow(ConfigError);
  });
});

describe("task registry and held-out split", () => {
  test("unknown task names list the valid ones", () => {
    expect(() => getTask("sudoku")).toThrow(/valid: arithmetic, countdown/);
    expect(() => getTask("toString")).toThrow(ConfigError);
    expect(TASK_NAMES).toEqual(["arithmetic", "countdown", "multiplication", "t2-arithmetic", "t2-search", "t2-sequence", "t2-classify", "t2-sum3", "t2-composed", "t2-search-hard"]);
  });

  test("held-out set is n unique problems, reserves a pool of at least 512 keys, and is seed-determined", () => {
    const task = getTask("countdown");
    const { problems, keys } = heldOutSet(task, 100, 10_000);
    expect(problems).toHaveLength(100);
    expect(new Set(problems.map((p) => p.key)).size).toBe(100);
    expect(keys.size).toBe(HELD_OUT_POOL);
    for (const p of problems) expect(keys.has(p.key)).toBe(true);
    expect(heldOutSet(task, 100, 10_000).problems).toEqual(problems);
    expect(heldOutSet(task, 1000, 10_000).keys.size).toBe(1000);
  });

  // The t2-* word tasks share this generic filter (trainStream); their spaces are too large for the sanity check below.
  for (const name of TASK_NAMES.filter((n) => !n.startsWith("t2-"))) {
    test(`held-out ${name} problems never appear in the train stream`, () => {
      const task = getTask(name);
      const { keys } = heldOutSet(task, 64, 10_000);
      const next = trainStream(task, seeded(0), keys);
      let heldOutLike = 0;
      const raw = seeded(0);
      for (let i = 0; i < 20_000; i++) {
        expect(keys.has(next().key)).toBe(false);
        if (keys.has(task.sample(raw).key)) heldOutLike++;
      }
      // Sanity: unfiltered sampling from the same seed does hit held-out keys, so the filter is doing work.
      expect(heldOutLike).toBeGreaterThan(0);
    });
  }

  test("the train stream resumes exactly from a saved rng state", () => {
    const task = getTask("countdown");
    const { keys } = heldOutSet(task, 10, 1);
    const rng = seeded(3);
    const next = trainStream(task, rng, keys);
    for (let i = 0; i < 37; i++) next();
    const state = rng.getState();
    const expected = Array.from({ length: 20 }, () => next().key);
    const resumed = seeded(999);
    resumed.setState(state);
    const next2 = trainStream(task, resumed, keys);
    expect(Array.from({ length: 20 }, () => next2().key)).toEqual(expected);
  });

  test("a task too small for the held-out pool is a ConfigError, not a hang", () => {
    const tiny = getTask("countdown", { n: 2, nmax: 2, tmax: 4 });
    expect(() => heldOutSet(tiny, 10, 0)).toThrow(ConfigError);
  });
});

describe("multiplication task", () => {
  test("the worked trace multiplies by each digit of b and adds the shifted rows column by column", () => {
    expect(multiplicationProblem(47, 38).solution).toBe("<think>7*8=56,4*8+5=37:376/7*3=21,4*3+2=14:141/7+1=8,3+4=7,0+1=1:1786</think><answer>1786</answer>");
    expect(multiplicationProblem(7, 8).solution).toBe("<think>7*8=56:56</think><answer>56</answer>");
  });

  test("every trace ends in the right product, the accuracy reward accepts it, and lengths are long-tailed", async () => {
    const task = getTask("multiplication");
    const rng = seeded(5);
    const problems = Array.from({ length: 400 }, () => task.sample(rng));
    for (const p of problems) {
      const [a, b] = p.prompt.split("*").map(Number);
      expect(p.solution.endsWith(`:${a! * b!}</think><answer>${a! * b!}</answer>`)).toBe(true);
    }
    expect(await accuracyReward(solutionBatch(problems), ctx)).toEqual(problems.map(() => 1));
    const lens = problems.map((p) => p.solution.length).sort((x, y) => x - y);
    expect(lens[200]! * 3).toBeLessThan(lens[396]!); // the median is far below the tail
    expect(multiplicationProblem(9999, 9999).solution.length).toBeGreaterThan(256 + 28);
  });
});
