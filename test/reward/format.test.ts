import { describe, expect, test } from "vitest";
import { extractAnswer, formatReward } from "../../src/reward/index.js";

const ctx = { step: 0, groupSize: 2, maxCompletionLength: 64 };
const score = async (completions: string[]) =>
  formatReward({ prompts: completions.map(() => ""), completions, completionIds: completions.map(() => []) }, ctx);

describe("formatReward / extractAnswer", () => {
  test("one think block followed by one answer block scores 1, whitespace allowed around", async () => {
    const good = [
      "<think>7+5=12</think><answer>12</answer>",
      " <think>\nlet me see\n</think>\n<answer> 12 </answer>\n",
      "<think></think><answer>x</answer>",
    ];
    expect(await score(good)).toEqual([1, 1, 1]);
    expect(extractAnswer(good[1]!)).toBe("12");
  });

  const bad: Record<string, string> = {
    empty: "",
    "no tags": "132",
    "missing think": "<answer>132</answer>",
    "missing answer": "<think>x</think>",
    "unclosed answer": "<think>x</think><answer>132",
    "empty answer": "<think>x</think><answer>  </answer>",
    "wrong order": "<answer>1</answer><think>x</think>",
    "tags inside out": "</think>x<think><answer>1</answer>",
    "text before think": "Sure! <think>x</think><answer>1</answer>",
    "text between blocks": "<think>x</think> so <answer>1</answer>",
    "text after answer": "<think>x</think><answer>1</answer> trailing",
    "duplicate answer": "<think>x</think><answer>1</answer><answer>2</answer>",
    "duplicate think": "<think>x</think><think>y</think><answer>1</answer>",
    "nested think": "<think>a<think>b</think>c</think><answer>1</answer>",
    "answer nested in think": "<think>x<answer>1</answer></think><answer>1</answer>",
    "think nested in answer": "<think>x</think><answer><think>y</think>1</answer>",
    "injection after answer": "<think>x</think><answer>1</answer>${process.exit()}",
    "uppercase tags": "<THINK>x</THINK><ANSWER>1</ANSWER>",
  };
  for (const [name, completion] of Object.entries(bad)) {
    test(`broken format scores 0: ${name}`, async () => {
      expect(await score([completion])).toEqual([0]);
      expect(extractAnswer(completion)).toBeNull();
    });
  }

  test("non-string completions score 0 instead of throwing", () => {
    expect(extractAnswer(undefined as unknown as string)).toBeNull();
  });

  test("a very long completion is scored quickly", async () => {
    const long = "<think>" + "1+1=2,".repeat(200_000) + "</think><answer>2</answer>";
    const t0 = performance.now();
    expect(await score([long])).toEqual([1]);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
