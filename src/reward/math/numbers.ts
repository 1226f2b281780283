/**
 * Exact rationals for plain-number answers (integers, decimals, fractions, scientific notation), the verifier's
 * fast path. bigint arithmetic: `0.1 + 0.2`-style float error never decides a verdict.
 */
import { rational, type Rational } from "../../data/expr.js";

/** Largest |exponent| in `1.5e12` / `\times 10^{12}` read exactly (bigint 10^k stays small). */
const MAX_EXPONENT = 400;
/** Longest digit string read exactly. */
const MAX_DIGITS = 400;

const DEC = String.raw`(\d+(?:\.\d*)?|\.\d+)`;
const SCI = String.raw`(?:[eE]([-+]?\d+)|\\(?:times|cdot)10\^\{?([-+]?\d+)\}?)?`;
const DECIMAL_RE = new RegExp(`^([-+]?)${DEC}${SCI}$`);
const SLASH_RE = new RegExp(`^([-+]?)${DEC}/([-+]?)${DEC}$`);
const FRAC_RE = new RegExp(`^([-+]?)\\\\frac\\{([-+]?)${DEC}\\}\\{([-+]?)${DEC}\\}$`);

function decimal(sign: string, digits: string, exp: string | undefined): Rational | null {
  if (digits.length > MAX_DIGITS) return null;
  const [int, frac = ""] = digits.split(".");
  let num = BigInt((int || "0") + frac);
  let den = 10n ** BigInt(frac.length);
  if (exp !== undefined) {
    const k = Number(exp);
    if (!Number.isSafeInteger(k) || Math.abs(k) > MAX_EXPONENT) return null;
    if (k >= 0) num *= 10n ** BigInt(k);
    else den *= 10n ** BigInt(-k);
  }
  return rational(sign === "-" ? -num : num, den);
}

function quotient(a: Rational | null, b: Rational | null, negate: boolean): Rational | null {
  if (!a || !b || b.num === 0n) return null;
  const r = rational(a.num * b.den, a.den * b.num);
  return negate ? rational(-r.num, r.den) : r;
}

/**
 * Exact value of a normalised plain-number answer, or null when it is anything else:
 * `-12`, `3.25`, `.5`, `1.5e3`, `1.5\times10^{3}`, `-7/2`, `\frac{3}{4}`, `-\frac{-3}{4}`. Never throws.
 */
export function parsePlainNumber(s: string): Rational | null {
  if (s.length > 2 * MAX_DIGITS) return null;
  const d = DECIMAL_RE.exec(s);
  if (d) return decimal(d[1]!, d[2]!, d[3] ?? d[4]);
  const sl = SLASH_RE.exec(s);
  if (sl) return quotient(decimal(sl[1]!, sl[2]!, undefined), decimal(sl[3]!, sl[4]!, undefined), false);
  const fr = FRAC_RE.exec(s);
  if (fr) return quotient(decimal(fr[2]!, fr[3]!, undefined), decimal(fr[4]!, fr[5]!, undefined), fr[1] === "-");
  return null;
}

export function rationalCompare(a: Rational, b: Rational): number {
  const d = a.num * b.den - b.num * a.den;
  return d > 0n ? 1 : d < 0n ? -1 : 0;
}


/** Does a plain-number answer contain a decimal point (a "float" in Math-Verify's sense: `0.5`, `.5`, `1.5e3`)? */
export const isDecimalLiteral = (s: string): boolean => /\d\.|\.\d/.test(s);

/** Round `r` to `digits` decimal places, half away from zero (exact, bigint). */
export function roundRational(r: Rational, digits: number): Rational {
  const scale = 10n ** BigInt(digits);
  const n = r.num * scale;
  const neg = n < 0n;
  const a = neg ? -n : n;
  let q = a / r.den;
  if ((a % r.den) * 2n >= r.den) q += 1n;
  return rational(neg ? -q : q, scale);
}

/**
 * Equality of two plain numbers as Math-Verify decides it: when either was written as a decimal, both are rounded
 * to `floatRounding` digits first; otherwise exact.
 */
export function plainNumbersEqual(a: Rational, b: Rational, aDecimal: boolean, bDecimal: boolean, floatRounding: number): boolean {
  if (rationalCompare(a, b) === 0) return true;
  if (!aDecimal && !bDecimal) return false;
  return rationalCompare(roundRational(a, floatRounding), roundRational(b, floatRounding)) === 0;
}
