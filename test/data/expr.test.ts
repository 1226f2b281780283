import { describe, expect, test } from "vitest";
import { evaluateExpression, rational, type ExprResult } from "../../src/data/expr.js";

function value(r: ExprResult): string {
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}`);
  return r.value.den === 1n ? String(r.value.num) : `${r.value.num}/${r.value.den}`;
}

describe("evaluateExpression", () => {
  test("multiplication and division bind tighter than + and -", () => {
    expect(value(evaluateExpression("2+3*4"))).toBe("14");
    expect(value(evaluateExpression("10-6/2"))).toBe("7");
    expect(value(evaluateExpression("2*3+4*5"))).toBe("26");
  });

  test("operators of equal precedence associate to the left", () => {
    expect(value(evaluateExpression("10-3-2"))).toBe("5");
    expect(value(evaluateExpression("12/3/2"))).toBe("2");
  });

  test("parentheses override precedence and whitespace is allowed", () => {
    expect(value(evaluateExpression("(2+3)*4"))).toBe("20");
    expect(value(evaluateExpression(" ( 7 * 3 ) + 12 "))).toBe("33");
    expect(value(evaluateExpression("((((5))))"))).toBe("5");
  });

  test("arithmetic is exact over rationals", () => {
    expect(value(evaluateExpression("1/3*3"))).toBe("1");
    expect(value(evaluateExpression("1/3+1/6"))).toBe("1/2");
    expect(value(evaluateExpression("1-3"))).toBe("-2");
    const r = evaluateExpression("7/2");
    expect(r.ok && r.value).toEqual(rational(7n, 2n));
  });

  test("reports the literals used, in order", () => {
    const r = evaluateExpression("(12-7)*3+7");
    expect(r.ok && r.numbers).toEqual([12, 7, 3, 7]);
  });

  test("division by zero is rejected, including by a zero-valued subexpression", () => {
    expect(evaluateExpression("5/0")).toMatchObject({ ok: false, reason: "division by zero" });
    expect(evaluateExpression("5/(3-3)").ok).toBe(false);
  });

  test("big products stay exact (no overflow)", () => {
    expect(value(evaluateExpression("999999999999*999999999999*999999999999"))).toBe(String(999999999999n ** 3n));
  });

  test("literals longer than 12 digits are rejected", () => {
    expect(evaluateExpression("999999999999").ok).toBe(true);
    expect(evaluateExpression("1000000000000").ok).toBe(false);
    expect(evaluateExpression("9".repeat(150)).ok).toBe(false);
  });

  test("inputs longer than 200 characters are rejected", () => {
    const long = Array.from({ length: 101 }, () => "1").join("+");
    expect(long.length).toBeGreaterThan(200);
    expect(evaluateExpression(long).ok).toBe(false);
  });

  test("leading zeros are rejected but a lone zero is fine", () => {
    expect(evaluateExpression("05").ok).toBe(false);
    expect(evaluateExpression("3+007").ok).toBe(false);
    expect(value(evaluateExpression("0+3"))).toBe("3");
  });

  test("nesting deeper than the limit is rejected without a stack overflow", () => {
    expect(evaluateExpression("(".repeat(32) + "1" + ")".repeat(32)).ok).toBe(true);
    expect(evaluateExpression("(".repeat(33) + "1" + ")".repeat(33)).ok).toBe(false);
    expect(evaluateExpression("(".repeat(199)).ok).toBe(false);
  });

  test("garbage, unary minus and code are rejected without throwing", () => {
    const bad = [
      "",
      "   ",
      "-5",
      "3*-2",
      "+3",
      "3+",
      "3++4",
      "(3+4",
      "3+4)",
      "()",
      "3 4",
      "1.5",
      "2^3",
      "1e3",
      "0x10",
      "abc",
      "process.exit()",
      "require('fs')",
      "${1+1}",
      "1+1;process.exit(1)",
      "١+٢",
      "3\u00a0+4",
    ];
    for (const s of bad) {
      const r = evaluateExpression(s);
      expect(r.ok, s).toBe(false);
    }
    expect(evaluateExpression(null as unknown as string).ok).toBe(false);
  });
});
