/**
 * `thinkrl verify` flags (issue 13): the extraction rule that fired is printed; `--float-rounding` and
 * `--no-strict` are Math-Verify's `float_rounding` / `strict`; `--no-extract` compares the text as an answer.
 */
import { describe, expect, test } from "vitest";
import { thinkrl } from "../helpers/cli.js";

describe("thinkrl verify flags", () => {
  test.each([
    [["70000", "The flat cost $80,000.\nProfit: 200,000 - 130,000 = $<<200000-130000=70000>>70,000.\n#### 70000"], 0, /rule: gsm8k, GSM8K's #### marker/],
    [["2\\sqrt{2}", "\\sqrt{8}"], 0, /rule: bare/],
    [["B", "The correct option is C."], 1, /extracted: C  \(rule: choice/],
    [["1/3", "x = 0.333"], 1, /verdict: +incorrect/],
    [["1/3", "x = 0.333", "--float-rounding", "3"], 0, /verdict: +correct  \(floatRounding 3, strict true\)/],
    [["\\{1,2\\}", "(1,2)"], 1, /verdict: +incorrect/],
    [["\\{1,2\\}", "(1,2)", "--no-strict"], 0, /verdict: +correct/],
    [["3", "the answer is 3", "--no-extract"], 1, /rule: given/],
    [["1/2", "0.5", "--no-extract"], 0, /verdict: +correct/],
    [["1", "1", "--float-rounding", "-1"], 2, /error: --float-rounding must be/],
    [["1", "1", "--float-rounding", "x"], 2, /error: --float-rounding expects a number/],
  ])("verify %j exits %i", async (args, code, out) => {
    const r = await thinkrl(["verify", ...args]);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout + r.stderr).toMatch(out);
  });
});
