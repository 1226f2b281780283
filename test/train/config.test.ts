/** `resolveTrainConfig`: defaults, key spellings, rejection of unknown keys and cross-field rules; `learningRateAt`. */
import { describe, expect, test } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { curriculumSwitchStepOf, inapplicableOptions, learningRateAt, resolveTrainConfig, TRAIN_DEFAULTS, type TrainConfig } from "../../src/train/config.js";
import { resolveRewards } from "../../src/reward/registry.js";

/** The ConfigError thrown by `resolveTrainConfig(partial)` (fails the test when none is thrown). */
function configError(partial: Record<string, unknown>): ConfigError {
  try {
    resolveTrainConfig(partial);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(partial)}`);
}

describe("resolveTrainConfig", () => {
  test("an empty partial gives the documented defaults", () => {
    const c = resolveTrainConfig({});
    const { epsilonHigh, ...rest } = TRAIN_DEFAULTS;
    expect(c).toMatchObject(rest);
    expect(Number.isNaN(epsilonHigh)).toBe(true);
    expect(c.numGenerations).toBe(8);
    expect(c.beta).toBe(0);
    expect(c.lossType).toBe("grpo");
    expect(c.rewardFuncs).toEqual(["accuracy", "format"]);
    expect(c.outputDir).toMatch(/^runs\//);
  });

  test("epsilonHigh defaults to epsilon but can be set apart (DAPO clip-higher)", () => {
    expect(resolveTrainConfig({ epsilon: 0.1 }).epsilonHigh).toBe(0.1);
    expect(resolveTrainConfig({ epsilon: 0.2, epsilonHigh: 0.28 }).epsilonHigh).toBe(0.28);
  });

  test("the result is frozen", () => {
    expect(Object.isFrozen(resolveTrainConfig({}))).toBe(true);
  });

  test("snake_case (TRL) and camelCase keys are accepted", () => {
    const c = resolveTrainConfig({ num_generations: 4, max_completion_length: 16, learningRate: 3e-4, output_dir: "runs/x" });
    expect(c.numGenerations).toBe(4);
    expect(c.maxCompletionLength).toBe(16);
    expect(c.learningRate).toBe(3e-4);
    expect(c.outputDir).toBe("runs/x");
  });

  test("reflectionPhrases (the aha/* metrics): the R1 phrases by default, a list of phrases, [] for none", () => {
    expect(resolveTrainConfig({}).reflectionPhrases).toEqual(expect.arrayContaining(["wait", "let me check", "verify"]));
    expect(resolveTrainConfig({ reflection_phrases: ["hmm", "on second thought"] }).reflectionPhrases).toEqual(["hmm", "on second thought"]);
    expect(resolveTrainConfig({ reflectionPhrases: [] }).reflectionPhrases).toEqual([]);
    expect(configError({ reflectionPhrases: "wait" }).message).toMatch(/^reflectionPhrases \(--reflection-phrases\) must be a list of phrases/);
    expect(configError({ reflectionPhrases: ["wait", " "] }).message).toMatch(/reflectionPhrases/);
  });

  test("--reflection-phrases: comma-separated phrases, \"\" for none", async () => {
    const { parseValue } = await import("../../src/cli/main.js");
    expect(parseValue("--reflection-phrases", "wait, let me check ,hmm", TRAIN_DEFAULTS.reflectionPhrases)).toEqual(["wait", "let me check", "hmm"]);
    expect(parseValue("--reflection-phrases", "", TRAIN_DEFAULTS.reflectionPhrases)).toEqual([]);
  });

  test("undefined values fall back to the defaults", () => {
    expect(resolveTrainConfig({ numGenerations: undefined }).numGenerations).toBe(TRAIN_DEFAULTS.numGenerations);
  });

  test("an unknown key is rejected naming the key", () => {
    expect(configError({ num_generationz: 4 }).message).toContain("num_generationz");
    expect(configError({ bogus: 1 }).message).toMatch(/unknown config key "bogus"/);
  });

  test("a mistyped value is rejected naming the key and value", () => {
    expect(configError({ maxSteps: "10" }).message).toMatch(/maxSteps.*"10"/);
    expect(configError({ dropZeroStdGroups: "yes" }).message).toMatch(/dropZeroStdGroups/);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ["fewer than 2 generations", { numGenerations: 1 }, /numGenerations \(--num-generations\) must be an integer ≥ 2 \(got 1\)/],
    ["a fractional step count", { maxSteps: 2.5 }, /maxSteps.*2\.5/],
    ["one weight for two rewards", { rewardWeights: [1] }, /rewardWeights \(--reward-weights\) must list one number per reward function \(2; got \[1\]\)/],
    ["a weight per reward but a non-number", { rewardFuncs: ["accuracy"], rewardWeights: ["1"] }, /rewardWeights/],
    ["no reward functions", { rewardFuncs: [], rewardWeights: [] }, /rewardFuncs \(--reward-funcs\) must be a non-empty list/],
    ["epsilon = 1", { epsilon: 1 }, /epsilon \(--epsilon\) must be < 1 \(got 1\)/],
    ["epsilon > 1", { epsilon: 1.5 }, /epsilon \(--epsilon\) must be < 1 \(got 1\.5\)/],
    ["top-p 0", { topP: 0 }, /topP \(--top-p\) must be in \(0, 1\] \(got 0\)/],
    ["top-p above 1", { topP: 1.1 }, /topP \(--top-p\) must be in \(0, 1\]/],
    ["eval top-p 0", { evalTopP: 0 }, /evalTopP/],
    ["temperature 0 with grpo", { temperature: 0 }, /temperature \(--temperature\) 0 \(greedy rollouts\) is for --objective reinforce/],
    ["a negative temperature", { temperature: -1 }, /temperature \(--temperature\) must be ≥ 0 \(got -1\)/],
    ["negative β", { beta: -0.1 }, /beta \(--beta\) must be ≥ 0/],
    ["Adam β2 = 1", { adamBeta2: 1 }, /adamBeta2 \(--adam-beta2\) must be in \[0, 1\)/],
    ["an unknown loss", { lossType: "ppo" }, /lossType \(--loss-type\) must be one of .*\(got "ppo"\)/],
    ["an unknown scaling", { scaleRewards: "max" }, /scaleRewards/],
    ["an unknown schedule", { lrSchedulerType: "step" }, /lrSchedulerType/],
    ["an unknown prompt format", { promptFormat: "chatml" }, /promptFormat \(--prompt-format\) must be one of r1-zero, compact, chat \(got "chatml"\)/],
    ["zero threads", { threads: 0 }, /threads \(--threads\) must be an integer ≥ 1/],
  ])("rejects %s", (_, partial, message) => {
    expect(configError(partial).message).toMatch(message);
  });
});

describe("learningRateAt", () => {
  const base: Pick<TrainConfig, "learningRate" | "lrSchedulerType" | "warmupSteps" | "maxSteps"> = {
    learningRate: 1e-3,
    lrSchedulerType: "constant",
    warmupSteps: 4,
    maxSteps: 12,
  };
  const at = (over: Partial<typeof base>, step: number) => learningRateAt({ ...base, ...over }, step);

  test("constant ignores warm-up", () => {
    for (const s of [1, 4, 12]) expect(at({}, s)).toBe(1e-3);
  });

  test("constant_with_warmup ramps linearly, then stays", () => {
    const c = { lrSchedulerType: "constant_with_warmup" as const };
    expect(at(c, 1)).toBeCloseTo(0.25e-3, 12);
    expect(at(c, 2)).toBeCloseTo(0.5e-3, 12);
    expect(at(c, 4)).toBeCloseTo(1e-3, 12);
    expect(at(c, 5)).toBe(1e-3);
    expect(at(c, 12)).toBe(1e-3);
  });

  test("constant_with_warmup with no warm-up starts at the full rate", () => {
    expect(at({ lrSchedulerType: "constant_with_warmup", warmupSteps: 0 }, 1)).toBe(1e-3);
  });

  test("linear decays from the first step after the warm-up; the last step still trains (HF schedule)", () => {
    const c = { lrSchedulerType: "linear" as const };
    expect(at(c, 2)).toBeCloseTo(0.5e-3, 12);
    expect(at(c, 4)).toBeCloseTo(1e-3, 12);
    expect(at(c, 5)).toBeCloseTo(1e-3, 12); // decay step 0 of 8
    expect(at(c, 7)).toBeCloseTo(0.75e-3, 12); // 2 of 8
    expect(at(c, 12)).toBeCloseTo(0.125e-3, 12); // 7 of 8: not 0
    expect(at({ lrSchedulerType: "linear", warmupSteps: 0, maxSteps: 1 }, 1)).toBe(1e-3); // a one-step run trains
  });

  test("cosine follows ½(1 + cos πt) after the warm-up", () => {
    const c = { lrSchedulerType: "cosine" as const };
    expect(at(c, 4)).toBeCloseTo(1e-3, 12);
    expect(at(c, 5)).toBeCloseTo(1e-3, 12);
    expect(at(c, 7)).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(at(c, 9)).toBeCloseTo(0.5e-3, 12);
    expect(at(c, 12)).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos((7 * Math.PI) / 8)), 12);
  });

  test("decay schedules never go below 0 past maxSteps", () => {
    expect(at({ lrSchedulerType: "linear" }, 20)).toBeCloseTo(0, 12);
    expect(at({ lrSchedulerType: "cosine" }, 20)).toBeCloseTo(0, 12);
  });
});

describe("objective and rewardKwargs", () => {
  test("objective is grpo by default; reinforce is accepted; anything else fails naming the choices", () => {
    expect(resolveTrainConfig({}).objective).toBe("grpo");
    expect(resolveTrainConfig({ objective: "reinforce" }).objective).toBe("reinforce");
    expect(() => resolveTrainConfig({ objective: "ppo" })).toThrow(/objective \(--objective\) must be one of grpo, reinforce, omd \(got "ppo"\)/);
  });

  test("omd brings its own defaults (several steps per iteration, AdamW reset), which a config can still override", () => {
    const c = resolveTrainConfig({ objective: "omd" });
    expect([c.stepsPerGeneration, c.resetOptimizer, c.omdLevel]).toEqual([4, true, "sequence"]);
    expect(resolveTrainConfig({ objective: "omd", steps_per_generation: 1, resetOptimizer: false }).stepsPerGeneration).toBe(1);
    expect(resolveTrainConfig({ objective: "omd", resetOptimizer: false }).resetOptimizer).toBe(false);
    expect(resolveTrainConfig({}).resetOptimizer).toBe(false);
    expect(() => resolveTrainConfig({ omdLevel: "batch" })).toThrow(/omdLevel \(--omd-level\) must be one of sequence, token/);
    expect(() => resolveTrainConfig({ sampling: "greedy" })).toThrow(/sampling \(--sampling\) must be one of uniform, prioritized, curriculum/);
    expect(() => resolveTrainConfig({ priorityFloor: 0 })).toThrow(/priorityFloor/);
    expect(() => resolveTrainConfig({ trainPool: -1 })).toThrow(/trainPool \(--train-pool\) must be an integer ≥ 0/);
  });

  test("rewardKwargs from a config are checked against the rewards' options (snake_case config keys too)", () => {
    const rewards = (p: Record<string, unknown>) => {
      const c = resolveTrainConfig(p);
      return resolveRewards(c.rewardFuncs, c.rewardWeights, c.rewardKwargs);
    };
    const ok = resolveTrainConfig({ reward_funcs: ["accuracy", "kimi_length"], reward_weights: [1, 0.2], reward_kwargs: { kimi_length: { warmup_steps: 10 } } });
    expect(ok.rewardKwargs).toEqual({ kimi_length: { warmup_steps: 10 } });
    expect(rewards({ reward_funcs: ["accuracy", "kimi_length"], reward_weights: [1, 0.2], reward_kwargs: { kimi_length: { warmup_steps: 10 } } }).map((r) => r.name)).toEqual(["accuracy", "kimi_length"]);
    expect(() => rewards({ rewardFuncs: ["accuracy", "kimi_length"], rewardWeights: [1, 0.2], rewardKwargs: { kimi_length: { warmup: 1 } } })).toThrow(/unknown option 'warmup' \(valid: warmupSteps\)/);
    expect(() => rewards({ rewardKwargs: { kimi_length: { warmupSteps: 1 } } })).toThrow(ConfigError);
    expect(() => resolveTrainConfig({ rewardKwargs: [1] })).toThrow(/rewardKwargs \(--reward-kwargs\) must be an object/);
  });
});

describe("options that do not apply", () => {
  test("the curriculum's default switch step is half of maxSteps, never step 1; past maxSteps is an error", () => {
    expect(curriculumSwitchStepOf({ curriculumSwitchStep: 0, maxSteps: 100 })).toBe(50);
    expect(curriculumSwitchStepOf({ curriculumSwitchStep: 0, maxSteps: 2 })).toBe(2);
    expect(curriculumSwitchStepOf({ curriculumSwitchStep: 7, maxSteps: 100 })).toBe(7);
    expect(() => resolveTrainConfig({ sampling: "curriculum", maxSteps: 10, curriculumSwitchStep: 11 })).toThrow(/curriculumSwitchStep \(--curriculum-switch-step\) must be ≤ maxSteps \(10\)/);
  });

  test("OMD-only and sampling-only options under another objective or sampling are reported", () => {
    expect(inapplicableOptions(resolveTrainConfig({}))).toEqual([]);
    expect(inapplicableOptions(resolveTrainConfig({ objective: "omd" }))).toEqual([]);
    const w = inapplicableOptions(resolveTrainConfig({ omdLevel: "token", omdTau: 1, curriculumHardFraction: 0.3 }));
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/^--omd-tau, --omd-level only apply to --objective omd/);
    expect(w[1]).toMatch(/^--curriculum-hard-fraction only apply to --sampling curriculum/);
    expect(inapplicableOptions(resolveTrainConfig({ objective: "omd", stepsPerGeneration: 1 }))[0]).toMatch(/zero gradient/);
  });
});
