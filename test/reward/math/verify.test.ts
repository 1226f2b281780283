import { afterAll, describe, expect, test } from "vitest";
import { ConfigError } from "../../../src/core/errors.js";
import {
  defaultMathVerifier,
  extractMathAnswer,
  findMathAnswer,
  inlineSymbolicChecker,
  MathVerifier,
  normalizeAnswer,
  resolveVerifyOptions,
  verifyAnswer,
  verifyAnswerSync,
} from "../../../src/reward/math/index.js";
import { CASES, EXTRACTION, type Case } from "./cases.js";

afterAll(() => defaultMathVerifier().close());

const ALL: Case[] = Object.values(CASES).flat();

describe("labelled suite", () => {
  test("has ≥ 300 cases, ≥ 1/3 of them rejections", () => {
    expect(ALL.length).toBeGreaterThanOrEqual(300);
    expect(ALL.filter(([, , want]) => !want).length).toBeGreaterThanOrEqual(ALL.length / 3);
  });

  for (const [group, cases] of Object.entries(CASES)) {
    test(`${group}: every verdict matches its label`, async () => {
      const wrong: string[] = [];
      for (const [gold, pred, want] of cases) {
        const got = await verifyAnswer(gold, pred);
        if (got !== want) wrong.push(`${JSON.stringify(gold)} vs ${JSON.stringify(pred)}: got ${got}, want ${want}`);
      }
      expect(wrong).toEqual([]);
    });
  }

  test("the sync fast path never accepts what the full verifier rejects", () => {
    const wrong = ALL.filter(([g, p, want]) => !want && verifyAnswerSync(g, p)).map(([g, p]) => `${g} vs ${p}`);
    expect(wrong).toEqual([]);
  });
});

describe("verifyAnswerSync", () => {
  test("decides plain numbers exactly, decimals after rounding to floatRounding digits", () => {
    expect(verifyAnswerSync("1/2", "0.5")).toBe(true);
    expect(verifyAnswerSync("\\frac{1}{3}", "0.333333333333")).toBe(true);
    expect(verifyAnswerSync("\\frac{1}{3}", "0.333333333333", { floatRounding: 15 })).toBe(false);
    expect(verifyAnswerSync("\\frac{1}{3}", "0.333")).toBe(false);
    expect(verifyAnswerSync("\\frac{1}{3}", "0.333", { floatRounding: 3 })).toBe(true);
    expect(verifyAnswerSync("1.5e3", "1500")).toBe(true);
    expect(verifyAnswerSync("123456789012345678901234567890", "123456789012345678901234567891")).toBe(false);
  });

  test("decides structures of plain numbers", () => {
    expect(verifyAnswerSync("\\{1,2\\}", "\\{2,1\\}")).toBe(true);
    expect(verifyAnswerSync("(1,2]", "[1,2]")).toBe(false);
    expect(verifyAnswerSync("x=3", "3")).toBe(true);
    expect(verifyAnswerSync("50\\%", "0.5")).toBe(true);
  });

  test("returns false where algebra is needed", () => {
    expect(verifyAnswerSync("\\sqrt{8}", "2\\sqrt{2}")).toBe(false);
  });
});

describe("extraction", () => {
  for (const [text, want] of EXTRACTION) {
    test(`${JSON.stringify(text)} → ${JSON.stringify(want)}`, () => {
      expect(extractMathAnswer(text)).toBe(want);
    });
  }

  test("priority is configurable", () => {
    const text = "The final answer is 3. Check: \\boxed{4}";
    expect(findMathAnswer(text)).toEqual({ answer: "4", source: "boxed" });
    expect(findMathAnswer(text, { priority: ["final_answer", "boxed"] })).toEqual({ answer: "3", source: "final_answer" });
    expect(extractMathAnswer(text, { priority: ["answer_tag"] })).toBeNull();
  });

  test("non-strings and huge inputs never throw", () => {
    expect(extractMathAnswer(undefined as unknown as string)).toBeNull();
    expect(extractMathAnswer("\\boxed{".repeat(5000))).toBeNull();
    expect(extractMathAnswer("x".repeat(1_000_000) + "\\boxed{2}")).toBe("2");
  });
});

describe("normalizeAnswer", () => {
  test("strips wrappers, spacing, units and flags percent", () => {
    expect(normalizeAnswer("$\\dfrac12$")).toEqual({ latex: "\\frac{1}{2}", percent: false });
    expect(normalizeAnswer("\\left( 1 ,\\! 2 \\right]")).toEqual({ latex: "(1,2]", percent: false });
    expect(normalizeAnswer("12.5\\%")).toEqual({ latex: "12.5", percent: true });
    expect(normalizeAnswer("\\$1,000.")).toEqual({ latex: "1000", percent: false });
    expect(normalizeAnswer("30^\\circ")).toEqual({ latex: "30", percent: false });
  });
});

describe("options and contract", () => {
  test("percentAsDecimal: false keeps 50% ≠ 0.5 (but 50% = 50)", async () => {
    expect(await verifyAnswer("50\\%", "0.5", { percentAsDecimal: false })).toBe(false);
    expect(await verifyAnswer("50\\%", "50", { percentAsDecimal: false })).toBe(true);
  });

  test("invalid options are configuration errors", () => {
    expect(() => resolveVerifyOptions({ timeoutMs: 0 })).toThrow(ConfigError);
    expect(() => resolveVerifyOptions({ relTol: -1 })).toThrow(ConfigError);
  });

  test("a check past its time limit is false, and the next check still works", async () => {
    const v = new MathVerifier();
    const o = resolveVerifyOptions({ timeoutMs: 1 });
    // 1 ms is below the cost of any symbolic check: the worker is terminated mid-check.
    expect(await v.check("\\sin^2 x+\\cos^2 x", "1", o)).toBe(false);
    expect(await v.check("\\sin^2 x+\\cos^2 x", "1", resolveVerifyOptions())).toBe(true);
    await v.close();
  });

  test("close() resolves pending checks false", async () => {
    const v = new MathVerifier();
    const p = v.check("x+x", "2x", resolveVerifyOptions());
    await v.close();
    expect(await p).toBe(false);
  });

  test("the inline checker (the browser's: no worker thread) gives the labelled verdicts", async () => {
    const v = new MathVerifier(inlineSymbolicChecker());
    const wrong: string[] = [];
    for (const [gold, pred, want] of ALL) if ((await v.verify(gold, pred)) !== want) wrong.push(`${gold} vs ${pred}`);
    expect(wrong).toEqual([]);
    const pending = v.check("x+x", "2x", resolveVerifyOptions());
    await v.close();
    expect(await pending).toBe(false); // not started before close()
    expect(await v.check("x+x", "2x", resolveVerifyOptions())).toBe(true);
  });

  test("non-string inputs are false, not a crash", async () => {
    expect(await verifyAnswer(null as unknown as string, "1")).toBe(false);
    expect(verifyAnswerSync("1", 1 as unknown as string)).toBe(false);
  });
});
