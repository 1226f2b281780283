import { afterAll, describe, expect, test } from "vitest";
import { defaultMathVerifier, findMathAnswer, verifyAnswer, verifyAnswerSync } from "../../../src/reward/math/index.js";
import { Rng } from "../../../src/core/rng.js";

afterAll(() => defaultMathVerifier().close());

/** Seeded uniform [0, 1) draws (the project's Rng): the generated cases are the same on every run. */
function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.next();
}

/** Random expression over x, y and small integers (defined almost everywhere: roots only of positive terms). */
function expr(r: () => number, depth: number): string {
  const pick = Math.floor(r() * (depth <= 0 ? 3 : 9));
  const sub = () => expr(r, depth - 1);
  switch (pick) {
    case 0:
      return String(1 + Math.floor(r() * 9));
    case 1:
      return "x";
    case 2:
      return "y";
    case 3:
      return `${sub()}+${sub()}`;
    case 4:
      return `${sub()}-(${sub()})`;
    case 5:
      return `(${sub()})\\cdot(${sub()})`;
    case 6:
      return `\\frac{${sub()}}{${1 + Math.floor(r() * 5)}}`;
    case 7:
      return `(${sub()})^{${2 + Math.floor(r() * 2)}}`;
    default:
      return `\\sqrt{(${sub()})^{2}+1}`;
  }
}

describe("properties", () => {
  const r = rng(20250101);
  const exprs = Array.from({ length: 60 }, () => expr(r, 3));

  test("verifyAnswer(x, x) and verifyAnswer(x, rewritten x) are true", async () => {
    const wrong: string[] = [];
    for (const e of exprs) {
      if (!(await verifyAnswer(e, e))) wrong.push(`identity: ${e}`);
      if (!(await verifyAnswer(e, `1\\cdot\\left(${e}\\right)+0`))) wrong.push(`rewritten: ${e}`);
    }
    expect(wrong).toEqual([]);
  });

  test("a mutated answer is false", async () => {
    const wrong: string[] = [];
    for (const e of exprs) {
      if (await verifyAnswer(e, `${e}+1`)) wrong.push(`+1: ${e}`);
      if (await verifyAnswer(e, `2\\cdot(${e})+1`)) wrong.push(`2e+1: ${e}`);
    }
    expect(wrong).toEqual([]);
  });

  test("random numbers: exact equality, near misses rejected", () => {
    const rr = rng(7);
    for (let k = 0; k < 500; k++) {
      const n = Math.floor(rr() * 1e9) - 5e8;
      const d = 1 + Math.floor(rr() * 1000);
      expect(verifyAnswerSync(`\\frac{${n * 3}}{${d * 3}}`, `${n}/${d}`)).toBe(true);
      expect(verifyAnswerSync(`${n}/${d}`, `${n + 1}/${d}`)).toBe(false);
      expect(verifyAnswerSync(String(n / 8), `${n}/8`)).toBe(true);
    }
  });

  test("random inputs never throw and finish within the time limit", async () => {
    const rr = rng(99);
    const tokens = ["\\frac", "{", "}", "(", ")", "[", "]", "\\{", "\\}", "x", "1", "2", "^", "_", "=", "<", ",", "\\sqrt", "\\pi", "\\infty", "\\cup", "&", "\\\\", "%", "$", "\\boxed", "\\text{", "-", ".", " ", "e", "!", "\\begin{pmatrix}", "\\end{pmatrix}", "9".repeat(30), "\\left(", "\\right]"];
    const timeoutMs = 500;
    let slowest = 0;
    for (let k = 0; k < 150; k++) {
      const s = Array.from({ length: 1 + Math.floor(rr() * 14) }, () => tokens[Math.floor(rr() * tokens.length)]).join("");
      const g = rr() < 0.5 ? s : "2";
      const t0 = performance.now();
      const v = await verifyAnswer(g, s, { timeoutMs });
      slowest = Math.max(slowest, performance.now() - t0);
      expect(typeof v).toBe("boolean");
      expect(typeof verifyAnswerSync(s, g)).toBe("boolean");
    }
    // The limit plus worker restart time (a terminated worker is replaced for the next check).
    expect(slowest).toBeLessThan(timeoutMs + 5000);
  });

  test("pathological sizes are false quickly", async () => {
    expect(await verifyAnswer("1", "10^{10^{10^{10}}}")).toBe(false);
    expect(await verifyAnswer("1", "(".repeat(3000))).toBe(false);
    expect(await verifyAnswer("x".repeat(5000), "x".repeat(5000) + "1")).toBe(false);
    expect(await verifyAnswer("2^{2^{2^{2^{2}}}}", "2^{65536}")).toBe(true);
  });

  /** Extract-then-verify, as the math_accuracy reward does. */
  const graded = async (gold: string, text: string): Promise<boolean> => {
    const found = findMathAnswer(text, { gold });
    return found !== null && (await verifyAnswer(gold, found.answer));
  };

  /** `1234567` → `1,234,567` (or another separator). */
  const group = (n: number, sep: string): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, sep);

  test("a number re-written with thousands separators, a decimal comma, currency or units still verifies", async () => {
    const rr = rng(4242);
    const wrong: string[] = [];
    const units = [" dollars", " cm", "\\text{ miles}", " kg", "\\textnormal{ apples}", " %"];
    for (let k = 0; k < 60; k++) {
      const n = 1000 + Math.floor(rr() * 1e8);
      const cents = Math.floor(rr() * 100);
      const gold = String(n);
      const decimalGold = `${n}.${String(cents).padStart(2, "0")}`;
      const unit = units[k % units.length]!;
      const goldWithUnit = unit === " %" ? `${n}\\%` : gold;
      const forms: [string, string][] = [
        [gold, `The answer is ${group(n, ",")}.`],
        [gold, `The answer is ${group(n, " ")}`],
        [gold, `So the total is $${group(n, "\\,")}$.`],
        [gold, `It costs $${group(n, ",")} in all.\n#### ${group(n, ",")}`],
        [gold, `Total: ${n} €, that is all`],
        [goldWithUnit, `The answer is $\\boxed{${group(n, ",")}${unit}}$`],
        [decimalGold, `The answer is ${group(n, ",")}.${String(cents).padStart(2, "0")}`],
        [decimalGold, `Le total est ${n},${String(cents).padStart(2, "0")} €`],
      ];
      for (const [g, text] of forms) if (!(await graded(g, text))) wrong.push(`${g} ← ${text}`);
      // Near misses: a digit dropped, or the grouping read as a decimal point.
      if (await graded(gold, `The answer is ${group(Math.floor(n / 10), ",")}`)) wrong.push(`accepted ${Math.floor(n / 10)} for ${n}`);
      const asDecimal = `${String(n).slice(0, -3)}.${String(n).slice(-3)}`; // 1234567 → 1234.567
      if (await graded(asDecimal, `The answer is ${group(n, ",")}`)) wrong.push(`accepted ${group(n, ",")} as ${asDecimal}`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  test("digits inside a word never verify as the number", async () => {
    const rr = rng(777);
    const wrong: string[] = [];
    const letters = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz";
    const word = (len: number) => Array.from({ length: len }, () => letters[Math.floor(rr() * letters.length)]).join("");
    for (let k = 0; k < 200; k++) {
      const n = Math.floor(rr() * 10_000);
      const inside = `${word(1 + Math.floor(rr() * 4))}${n}${rr() < 0.5 ? word(1 + Math.floor(rr() * 3)) : ""}`;
      for (const text of [`The code is ${inside}`, `${inside}`, `We need room ${inside}.`, `see ${inside} and ${word(3)}${n + 1}`]) {
        if (await graded(String(n), text)) wrong.push(`${n} ← ${text}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 60_000);
});
