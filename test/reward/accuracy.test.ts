import { describe, expect, test } from "vitest";
import { accuracyReward, parseExactNumber, type RewardBatch } from "../../src/reward/index.js";

const ctx = { step: 0, groupSize: 1, maxCompletionLength: 64 };
const wrap = (answer: string) => `<think>t</think><answer>${answer}</answer>`;

function batchOf(completions: string[], columns: Record<string, unknown>): RewardBatch {
  const b: RewardBatch = { prompts: completions.map(() => "q"), completions, completionIds: completions.map(() => []) };
  for (const [k, v] of Object.entries(columns)) b[k] = completions.map(() => v);
  return b;
}

async function countdown(answers: string[], nums = [3, 7, 12], target = 33) {
  return accuracyReward(batchOf(answers.map(wrap), { task: "countdown", nums, target }), ctx);
}

describe("accuracyReward: countdown", () => {
  test("correct expressions score 1, in any valid form", async () => {
    expect(await countdown(["(7*3)+12", "12+3*7", " 3 * 7 + 12 ", "7*3+12"])).toEqual([1, 1, 1, 1]);
  });

  test("numbers need not all be used", async () => {
    expect(await countdown(["3*7"], [3, 7, 12], 21)).toEqual([1]);
  });

  test("wrong value, unlisted numbers and reused numbers score 0", async () => {
    expect(await countdown(["7*3+11", "33", "7*3+12-0", "3*7+3*4", "(12+12)+7+3-3"])).toEqual([0, 0, 0, 0, 0]);
  });

  test("duplicates are allowed up to their multiplicity", async () => {
    expect(await countdown(["6*6-3"], [6, 6, 3], 33)).toEqual([1]);
    expect(await countdown(["6*6*6"], [6, 6, 3], 216)).toEqual([0]);
  });

  test("division must be exact over rationals; division by zero scores 0", async () => {
    expect(await countdown(["(12-7/7)*3"], [12, 7, 7, 3], 33)).toEqual([1]);
    expect(await countdown(["12/(7-7)+3"], [12, 7, 7, 3], 33)).toEqual([0]);
    expect(await countdown(["7/3*12"], [3, 7, 12], 28)).toEqual([1]);
    expect(await countdown(["7/3"], [3, 7, 12], 2)).toEqual([0]);
  });

  test("huge numbers, unary minus, garbage and code-like text score 0", async () => {
    const adversarial = [
      "99999999999999999999",
      "-3+36",
      "process.exit()",
      "require('fs').readFileSync('/etc/passwd')",
      "${7*3+12}",
      "`${33}`",
      "33; process.exit(1)",
      "eval('33')",
      "(".repeat(100) + "33" + ")".repeat(100),
      "",
    ];
    expect(await countdown(adversarial)).toEqual(adversarial.map(() => 0));
  });

  test("a correct expression in a broken format scores 0", async () => {
    const b = batchOf(["(7*3)+12", "<answer>(7*3)+12</answer>", wrap("7*3+12") + " extra"], { task: "countdown", nums: [3, 7, 12], target: 33 });
    expect(await accuracyReward(b, ctx)).toEqual([0, 0, 0]);
  });
});

describe("accuracyReward: arithmetic", () => {
  const score = (answers: string[], target: number) =>
    accuracyReward(batchOf(answers.map(wrap), { task: "arithmetic", target }), ctx);

  test("the exact integer scores 1; anything else 0", async () => {
    expect(await score(["132", " 132 ", "131", "132.0", "1 32", "+132", "0x84", "130+2", "1000000000000132"], 132)).toEqual([
      1, 1, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  test("negative targets are matched with a leading minus", async () => {
    expect(await score(["-5", "5"], -5)).toEqual([1, 0]);
  });
});

describe("accuracyReward: generic answer column", () => {
  const score = (answers: string[], answer: unknown) => accuracyReward(batchOf(answers.map(wrap), { answer }), ctx);

  test("numbers compare exactly across integer, decimal and fraction forms", async () => {
    expect(await score(["0.5", "1/2", "2/4", ".50", "0.51", "1/0"], "1/2")).toEqual([1, 1, 1, 1, 0, 0]);
    expect(await score(["42", "42.0", "-42"], 42)).toEqual([1, 1, 0]);
  });

  test("non-numeric answers compare as trimmed strings", async () => {
    expect(await score(["Paris", " Paris ", "paris", "Paris!"], "Paris ")).toEqual([1, 1, 0, 0]);
  });

  test("rows with nothing to judge against are null", async () => {
    const b = batchOf([wrap("1"), "garbage"], {});
    expect(await accuracyReward(b, ctx)).toEqual([null, null]);
    expect(await score([wrap("1")].map(() => "1"), { nested: true })).toEqual([null]);
  });

  test("malformed task columns are unjudgeable (null), not a crash", async () => {
    const b = batchOf([wrap("3")], { task: "countdown", nums: "3,7", target: 33 });
    expect(await accuracyReward(b, ctx)).toEqual([null]);
    const b2 = batchOf([wrap("3")], { task: "arithmetic", target: "3" });
    expect(await accuracyReward(b2, ctx)).toEqual([null]);
  });

  test("columns are read per row", async () => {
    const b: RewardBatch = {
      prompts: ["a", "b", "c"],
      completions: [wrap("3*7"), wrap("5"), wrap("7")],
      completionIds: [[], [], []],
      task: ["countdown", "arithmetic", undefined],
      nums: [[3, 7], undefined, undefined],
      target: [21, 5, undefined],
      answer: [undefined, undefined, "7"],
    };
    expect(await accuracyReward(b, ctx)).toEqual([1, 1, 1]);
  });
});

describe("parseExactNumber", () => {
  test("parses integers, decimals and fractions; rejects the rest", () => {
    expect(parseExactNumber("-3/6")).toEqual({ num: -1n, den: 2n });
    expect(parseExactNumber("2.50")).toEqual({ num: 5n, den: 2n });
    for (const s of ["", "abc", "1/0", "1e5", ".", "-", "1.2.3", "9".repeat(101)]) expect(parseExactNumber(s)).toBeNull();
  });
});
