/**
 * Safe parser/evaluator for the arithmetic expressions that Countdown answers are written in.
 *
 * Grammar (recursive descent, usual precedence, left-associative):
 *   expr   := term (("+" | "-") term)*
 *   term   := atom (("*" | "/") atom)*
 *   atom   := number | "(" expr ")"
 *   number := "0" | [1-9][0-9]*          (non-negative, no leading zeros, ≤ 12 digits)
 * Whitespace is allowed between tokens. Unary minus is not part of the grammar.
 * Arithmetic is exact: values are rationals with bigint numerator/denominator, so nothing overflows
 * and 1/3*3 equals 1. Never throws and never calls eval/Function.
 */

/** Exact rational number; always normalised: den > 0 and gcd(|num|, den) = 1. */
export interface Rational {
  num: bigint;
  den: bigint;
}

export type ExprResult =
  | { ok: true; value: Rational; numbers: number[] }
  | { ok: false; reason: string };

/** Longest accepted input, in characters. */
export const MAX_EXPR_LENGTH = 200;
/** Longest accepted integer literal, in digits (keeps every literal a safe JS integer). */
export const MAX_LITERAL_DIGITS = 12;
/** Deepest accepted parenthesis nesting (bounds recursion). */
export const MAX_NESTING = 32;

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Normalised rational num/den. `den` must be non-zero. */
export function rational(num: bigint, den: bigint = 1n): Rational {
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/** Exact equality of two normalised rationals. */
export function rationalEquals(a: Rational, b: Rational): boolean {
  return a.num === b.num && a.den === b.den;
}

class ParseFail {
  constructor(readonly reason: string) {}
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/**
 * Parse and evaluate `src` exactly.
 * @returns `{ ok: true, value, numbers }` with `numbers` the integer literals in order of appearance,
 *   or `{ ok: false, reason }` for empty/too long input, bad syntax, leading zeros, over-long
 *   literals, nesting deeper than MAX_NESTING or division by zero. Never throws.
 */
export function evaluateExpression(src: string): ExprResult {
  try {
    if (typeof src !== "string") return { ok: false, reason: "not a string" };
    if (src.length > MAX_EXPR_LENGTH) return { ok: false, reason: `longer than ${MAX_EXPR_LENGTH} characters` };
    let pos = 0;
    const numbers: number[] = [];

    const skipWs = (): void => {
      while (pos < src.length && (src[pos] === " " || src[pos] === "\t" || src[pos] === "\n" || src[pos] === "\r")) pos++;
    };
    const peek = (): string | undefined => {
      skipWs();
      return src[pos];
    };

    const number = (): Rational => {
      const start = pos;
      while (isDigit(src[pos])) pos++;
      if (pos === start) {
        throw new ParseFail(pos < src.length ? `unexpected '${src[pos]}' at ${pos}` : "unexpected end of input");
      }
      const lit = src.slice(start, pos);
      if (lit.length > MAX_LITERAL_DIGITS) throw new ParseFail(`number longer than ${MAX_LITERAL_DIGITS} digits at ${start}`);
      if (lit.length > 1 && lit[0] === "0") throw new ParseFail(`leading zero at ${start}`);
      numbers.push(Number(lit));
      return { num: BigInt(lit), den: 1n };
    };

    const atom = (depth: number): Rational => {
      if (peek() === "(") {
        if (depth >= MAX_NESTING) throw new ParseFail(`nesting deeper than ${MAX_NESTING}`);
        pos++;
        const v = expr(depth + 1);
        if (peek() !== ")") throw new ParseFail(`expected ')' at ${pos}`);
        pos++;
        return v;
      }
      return number();
    };

    const term = (depth: number): Rational => {
      let v = atom(depth);
      for (let op = peek(); op === "*" || op === "/"; op = peek()) {
        pos++;
        const w = atom(depth);
        if (op === "*") v = rational(v.num * w.num, v.den * w.den);
        else {
          if (w.num === 0n) throw new ParseFail("division by zero");
          v = rational(v.num * w.den, v.den * w.num);
        }
      }
      return v;
    };

    const expr = (depth: number): Rational => {
      let v = term(depth);
      for (let op = peek(); op === "+" || op === "-"; op = peek()) {
        pos++;
        const w = term(depth);
        v = op === "+" ? rational(v.num * w.den + w.num * v.den, v.den * w.den) : rational(v.num * w.den - w.num * v.den, v.den * w.den);
      }
      return v;
    };

    if (peek() === undefined) return { ok: false, reason: "empty expression" };
    const value = expr(0);
    if (peek() !== undefined) return { ok: false, reason: `unexpected '${src[pos]}' at ${pos}` };
    return { ok: true, value, numbers };
  } catch (e) {
    if (e instanceof ParseFail) return { ok: false, reason: e.reason };
    return { ok: false, reason: `internal error: ${e instanceof Error ? e.message : String(e)}` };
  }
}
