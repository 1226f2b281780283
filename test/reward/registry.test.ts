/** The reward registry's options (`rewardKwargs`): validation errors in one line, and options that change scores. */
import { afterAll, describe, expect, test } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { defaultMathVerifier } from "../../src/reward/math/index.js";
import { REWARD_NAMES, REWARD_SPECS, REWARDS, resolveRewards, validateRewardKwargs, type RewardBatch } from "../../src/reward/index.js";

afterAll(() => defaultMathVerifier().close());

const ctx = (step = 0, groupSize = 2) => ({ step, groupSize, maxCompletionLength: 64 });
const batch = (completions: string[], columns: Record<string, unknown[]> = {}, lengths?: number[]): RewardBatch => ({
  prompts: completions.map(() => "q"),
  completions,
  completionIds: completions.map((_, i) => Array.from({ length: lengths?.[i] ?? 1 }, () => 0)),
  ...columns,
});
const only = (names: string[], kwargs: Record<string, Record<string, unknown>>) => resolveRewards(names, names.map(() => 1), kwargs);

describe("resolveRewards", () => {
  test("names and weights without options give the registry's default instances", () => {
    const r = resolveRewards(["accuracy", "format"], [1, 0.1]);
    expect(r).toEqual([
      { name: "accuracy", fn: REWARDS.accuracy, weight: 1 },
      { name: "format", fn: REWARDS.format, weight: 0.1 },
    ]);
    expect(resolveRewards(["accuracy"], [1], { accuracy: {} })[0]!.fn).toBe(REWARDS.accuracy);
  });

  test("kimi_length warmupSteps changes the reward (snake_case accepted)", async () => {
    // Two correct answers of 2 and 4 tokens: λ = [0.5, −0.5] once the warm-up is over.
    const b = batch(["<think>t</think><answer>1</answer>", "<think>t</think><answer>1</answer>"], { answer: ["1", "1"] }, [2, 4]);
    const plain = only(["kimi_length"], {})[0]!.fn;
    const warm = only(["kimi_length"], { kimi_length: { warmupSteps: 10 } })[0]!.fn;
    const snake = only(["kimi_length"], { kimi_length: { warmup_steps: 10 } })[0]!.fn;
    expect(await plain(b, ctx(3))).toEqual([0.5, -0.5]);
    expect(await warm(b, ctx(3))).toEqual([0, 0]);
    expect(await snake(b, ctx(3))).toEqual([0, 0]);
    expect(await warm(b, ctx(10))).toEqual([0, 0]);
    expect(await warm(b, ctx(11))).toEqual([0.5, -0.5]);
  });

  test("kimi_length through rewardKwargs gives the paper's values (Kimi k1.5 §2.3.3)", async () => {
    // Lengths [100, 200, 300]: λ = [0.5, 0, −0.5]; correct answers get λ, wrong ones min(0, λ).
    const ok = "<think>t</think><answer>1</answer>", wrong = "<think>t</think><answer>2</answer>";
    const fn = only(["kimi_length"], { kimi_length: { warmupSteps: 2 } })[0]!.fn;
    const run = (texts: string[], lengths: number[], step = 3) => fn(batch(texts, { answer: texts.map(() => "1") }, lengths), ctx(step, 3));
    expect(await run([ok, ok, wrong], [100, 200, 300])).toEqual([0.5, 0, -0.5]);
    expect(await run([wrong, ok, ok], [100, 200, 300])).toEqual([0, 0, -0.5]);
    expect(await run([ok, wrong, ok], [150, 150, 150])).toEqual([0, 0, 0]);
    expect(await run([ok, ok, wrong], [100, 200, 300], 2)).toEqual([0, 0, 0]);
  });

  test("math_accuracy and accuracy pass the verifier's options on (percentAsDecimal, relTol, priority)", async () => {
    const pct = batch(["\\boxed{0.5}"], { answer: ["50\\%"] });
    expect(await only(["math_accuracy"], {})[0]!.fn(pct, ctx())).toEqual([1]);
    expect(await only(["math_accuracy"], { math_accuracy: { percentAsDecimal: false } })[0]!.fn(pct, ctx())).toEqual([0]);
    const tagged = batch(["<think>t</think><answer>0.5</answer>"], { answer: ["50\\%"] });
    expect(await only(["accuracy"], { accuracy: { percent_as_decimal: false } })[0]!.fn(tagged, ctx())).toEqual([0]);
    // π to 4 digits: equal only under a loose tolerance.
    const pi = batch(["\\boxed{3.1416}"], { answer: ["\\pi"] });
    expect(await only(["math_accuracy"], {})[0]!.fn(pi, ctx())).toEqual([0]);
    expect(await only(["math_accuracy"], { math_accuracy: { relTol: 1e-4 } })[0]!.fn(pi, ctx())).toEqual([1]);
    const twoAnswers = batch(["The final answer is 3. Check: \\boxed{4}"], { answer: ["3"] });
    expect(await only(["math_accuracy"], {})[0]!.fn(twoAnswers, ctx())).toEqual([0]);
    expect(await only(["math_accuracy"], { math_accuracy: { priority: ["final_answer", "boxed"] } })[0]!.fn(twoAnswers, ctx())).toEqual([1]);
  });

  test("repetition options change the penalty", async () => {
    const b = batch(["a b a b a b"]);
    const [words] = await only(["repetition"], { repetition: { n: 2 } })[0]!.fn(b, ctx(0, 1));
    const [heavy] = await only(["repetition"], { repetition: { n: 2, maxPenalty: 2 } })[0]!.fn(b, ctx(0, 1));
    expect(words).toBeCloseTo(-0.6); // 5 bigrams, 2 unique
    expect(heavy).toBeCloseTo(-1.2);
  });

  test("Node-only rewards resolve lazily on Node (nothing runs until the first call)", () => {
    const [code, judge] = only(["code", "judge"], { code: { wallTimeMs: 1000 }, judge: { model: "m" } });
    expect(typeof code!.fn).toBe("function");
    expect(typeof judge!.fn).toBe("function");
  });
});

describe("resolveRewards errors are one-line ConfigErrors naming the reward and the key", () => {
  const cases: [string, () => unknown, string | RegExp][] = [
    ["unknown reward", () => only(["accuracy", "lenght"], {}), /^unknown reward 'lenght' \(valid: accuracy, format, .*judge\)$/],
    ["unknown option", () => only(["kimi_length"], { kimi_length: { warmup: 10 } }), "rewardKwargs.kimi_length: unknown option 'warmup' (valid: warmupSteps)"],
    ["option of a reward without options", () => only(["format"], { format: { strict: true } }), "rewardKwargs.format: unknown option 'strict' (reward 'format' takes no options)"],
    ["wrong type", () => only(["kimi_length"], { kimi_length: { warmupSteps: "10" } }), 'rewardKwargs.kimi_length.warmupSteps must be an integer (got "10")'],
    ["not a choice", () => only(["repetition"], { repetition: { unit: "chars" } }), 'rewardKwargs.repetition.unit must be one of words, tokens (got "chars")'],
    ["list element not a choice", () => only(["math_accuracy"], { math_accuracy: { priority: ["boxed", "last_line"] } }), /rewardKwargs\.math_accuracy\.priority must be one of boxed, answer_tag, .* \(got "last_line"\)/],
    ["below the minimum", () => only(["code"], { code: { concurrency: 0 } }), "rewardKwargs.code.concurrency must be ≥ 1 (got 0)"],
    ["rejected by the reward", () => only(["kimi_length"], { kimi_length: { warmupSteps: -1 } }), "rewardKwargs.kimi_length: kimiLengthPenalty: warmupSteps must be an integer ≥ 0 (got -1)"],
    ["rejected by the verifier", () => only(["math_accuracy"], { math_accuracy: { timeoutMs: 0 } }), "rewardKwargs.math_accuracy: verify: timeoutMs must be > 0 (got 0)"],
    ["options that are not an object", () => only(["kimi_length"], { kimi_length: 10 as never }), "rewardKwargs.kimi_length must be an object of options (got 10)"],
    ["options for a reward not in the list", () => only(["accuracy"], { kimi_length: { warmupSteps: 1 } }), "rewardKwargs has options for 'kimi_length', which is not among the rewards (accuracy)"],
    ["weights that do not match", () => resolveRewards(["accuracy", "format"], [1]), "reward weights must list one finite number per reward (2; got [1])"],
    ["a reward listed twice", () => resolveRewards(["format", "format"], [1, 1]), "reward 'format' is listed twice"],
  ];
  test.each(cases)("%s", (_, fn, message) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const m = (err as Error).message;
    expect(m).not.toContain("\n");
    if (typeof message === "string") expect(m).toBe(message);
    else expect(m).toMatch(message);
  });
});

test("every registered reward has a spec whose defaults fit their declared types", () => {
  expect(Object.keys(REWARD_SPECS)).toEqual(REWARD_NAMES);
  for (const name of REWARD_NAMES) {
    for (const [key, o] of Object.entries(REWARD_SPECS[name].options)) {
      expect(o.doc.length, `${name}.${key}`).toBeGreaterThan(0);
      // A default that is a value of the option's type must pass validation itself (sentences describe computed defaults).
      const isValue = o.type === "string[]" ? Array.isArray(o.default) : typeof o.default === (o.type === "integer" ? "number" : o.type);
      if (isValue && !(typeof o.default === "string" && o.default.includes(" "))) {
        expect(() => validateRewardKwargs(name, { [key]: o.default }), `${name}.${key}`).not.toThrow();
      }
    }
  }
});
