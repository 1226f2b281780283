import { expect, test } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { chainOfThought, languageConsistency, scriptProportion, wordScript } from "../../src/reward/language.js";
import { REWARD_NAMES, REWARDS } from "../../src/reward/index.js";
import type { RewardBatch } from "../../src/reward/types.js";

const ctx = { step: 0, groupSize: 1, maxCompletionLength: 64 };
const batch = (completions: string[], language?: unknown[]): RewardBatch => ({
  prompts: completions.map(() => ""),
  completions,
  completionIds: completions.map(() => []),
  ...(language ? { language } : {}),
});
// Words: 我们 先 计算 (Han) | x so the answer is (Latin) | 1 2 1 (numbers, not counted) → 3 Han, 5 Latin
const MIXED = "<think>我们先计算 x+1=2, so the answer is 1</think><answer>1</answer>";

test("word scripts", () => {
  expect(wordScript("answer")).toBe("Latin");
  expect(wordScript("计算")).toBe("Han");
  expect(wordScript("Привет")).toBe("Cyrillic");
  expect(wordScript("42")).toBeNull();
});

test("mixed en/zh chain of thought: proportion of words in the target script", () => {
  expect(languageConsistency({ target: "zh" })(batch([MIXED]), ctx)).toEqual([3 / 8]);
  expect(languageConsistency({ target: "en" })(batch([MIXED]), ctx)).toEqual([5 / 8]);
  expect(languageConsistency({ target: "Han" })(batch([MIXED]), ctx)).toEqual([3 / 8]);
  // only the <think> block counts: the English answer text is ignored
  expect(languageConsistency({ target: "zh" })(batch(["<think>我们计算</think><answer>the answer</answer>"]), ctx)).toEqual([1]);
  expect(scriptProportion("только русский text", ["Cyrillic"])).toBe(2 / 3);
});

test("target from the language column, else English; unknown language → null", () => {
  const out = REWARDS.language_consistency(batch([MIXED, MIXED, MIXED, MIXED], ["zh-CN", "en", "", "xx"]), ctx);
  expect(out).toEqual([3 / 8, 5 / 8, 5 / 8, null]);
  expect(REWARDS.language_consistency(batch([MIXED]), ctx)).toEqual([5 / 8]);
});

test("chain of thought: template-opened <think>, truncated output, no tags", () => {
  expect(chainOfThought("reasoning</think><answer>1</answer>")).toBe("reasoning");
  expect(chainOfThought("<think>cut off")).toBe("cut off");
  expect(chainOfThought("no tags")).toBeNull();
  expect(languageConsistency()(batch(["no tags at all", "<think>1 + 2 = 3</think>"]), ctx)).toEqual([0, 0]);
  expect(() => languageConsistency({ target: "klingon" })).toThrow(ConfigError);
});

test("every reward of issue 3 is registered", () => {
  expect(REWARD_NAMES).toEqual(expect.arrayContaining(["accuracy", "format", "format_soft", "tag_count", "language_consistency", "kimi_length", "overlong", "repetition", "code"]));
});
