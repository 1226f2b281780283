/**
 * Symbolic leaf comparison, run inside the verifier worker: LaTeX is parsed by the Cortex Compute Engine
 * (non-canonical MathJSON, so parsing is purely syntactic and keeps no state between answers) and two
 * expressions are equal when
 * - both are constants: exactly equal as rationals (bigint) when both evaluate exactly, else within a relative
 *   tolerance as floats;
 * - they have free variables: equal (within tolerance) at every one of a fixed set of pseudo-random points where
 *   both are defined, with at least `MIN_POINTS` such points (randomised identity testing, as in Math-Verify's
 *   numeric fallback). Points come from a fixed seed: verdicts are deterministic.
 * `i` is a free variable (evaluation is over the reals), `e` is Euler's number, `\pi` is π.
 */
import { ComputeEngine } from "@cortex-js/compute-engine";
import { rational, type Rational } from "../../data/expr.js";
import type { CompareOptions, Verdict } from "./compare.js";
import { plainLeaf } from "./compare.js";
import { Rng } from "../../core/rng.js";

type Json = number | string | { num: string } | Json[] | { [k: string]: unknown };

/** Sample points per comparison with free variables. */
const POINTS = 10;
/** Points where both sides must be defined (finite) for a variable comparison to count. */
const MIN_POINTS = 3;
/** Largest exponent / factorial argument evaluated exactly (bigint size guard). */
const MAX_EXACT_POWER = 2000;
const MAX_EXACT_BITS = 20_000n;
/** Absolute floor of the tolerance: float noise around 0 (sin π ≈ 1.2e-16). */
const ABS_TOL = 1e-12;

class Unsupported extends Error {}

/** One engine per worker thread, created on first use; non-canonical parsing keeps no state between answers. */
let engine: ComputeEngine | null = null;
/** Parse LaTeX to non-canonical MathJSON; null on parse errors. */
export function parseLatex(s: string): Json | null {
  engine ??= new ComputeEngine();
  const json = engine.parse(s, { canonical: false }).json as Json;
  return JSON.stringify(json).includes('"Error"') ? null : json;
}

const FUNCS: Record<string, (...x: number[]) => number> = {
  Sin: Math.sin,
  Cos: Math.cos,
  Tan: Math.tan,
  Sec: (x) => 1 / Math.cos(x),
  Csc: (x) => 1 / Math.sin(x),
  Cot: (x) => 1 / Math.tan(x),
  Arcsin: Math.asin,
  Arccos: Math.acos,
  Arctan: Math.atan,
  Arctan2: Math.atan2,
  Sinh: Math.sinh,
  Cosh: Math.cosh,
  Tanh: Math.tanh,
  Exp: Math.exp,
  Ln: Math.log,
  Lb: Math.log2,
  Lg: Math.log10,
  Log: (x, b) => (b === undefined ? Math.log10(x) : Math.log(x) / Math.log(b)),
  Sqrt: Math.sqrt,
  Root: (x, n) => (x < 0 && n! % 2 === 1 ? -Math.pow(-x, 1 / n!) : Math.pow(x, 1 / n!)),
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: Math.round,
  Max: Math.max,
  Min: Math.min,
  Factorial: (n) => factorialFloat(n),
  Square: (x) => x * x,
  Mod: (a, b) => ((a % b!) + b!) % b!,
  GCD: (a, b) => gcdFloat(a, b!),
  LCM: (a, b) => Math.abs(a * b!) / gcdFloat(a, b!),
};

function factorialFloat(n: number): number {
  if (!Number.isInteger(n) || n < 0) return NaN;
  if (n > 170) return Infinity;
  let r = 1;
  for (let k = 2; k <= n; k++) r *= k;
  return r;
}

function gcdFloat(a: number, b: number): number {
  if (!Number.isInteger(a) || !Number.isInteger(b)) return NaN;
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

const CONSTANTS: Record<string, number> = {
  Pi: Math.PI,
  pi: Math.PI,
  e: Math.E,
  ExponentialE: Math.E,
  PositiveInfinity: Infinity,
  NegativeInfinity: -Infinity,
  ComplexInfinity: NaN,
  NaN: NaN,
};

/** Variable name of a symbol or subscripted symbol (`["At","x",1]` → `x_1`), else null. */
function varName(e: Json): string | null {
  if (typeof e === "string") return e.startsWith("'") || e in CONSTANTS ? null : e;
  if (Array.isArray(e) && (e[0] === "At" || e[0] === "Subscript") && typeof e[1] === "string") return `${e[1]}_${JSON.stringify(e.slice(2))}`;
  return null;
}

/** Free variables of an expression, into `out`. Throws Unsupported on text strings. */
function freeVars(e: Json, out: Set<string>): void {
  if (typeof e === "string") {
    if (e.startsWith("'")) throw new Unsupported("text");
    if (!(e in CONSTANTS) && !(e in FUNCS)) out.add(e);
    return;
  }
  if (!Array.isArray(e)) return;
  const v = varName(e);
  if (v !== null) {
    out.add(v);
    return;
  }
  for (let k = 1; k < e.length; k++) freeVars(e[k] as Json, out);
}

function numberValue(e: Json): number | null {
  if (typeof e === "number") return e;
  if (e !== null && typeof e === "object" && !Array.isArray(e) && typeof (e as { num?: unknown }).num === "string") {
    return Number.parseFloat((e as { num: string }).num.replace(/[()]/g, ""));
  }
  return null;
}

/** Float value of a MathJSON expression at `env`; NaN outside the domain. Throws Unsupported. */
export function evalFloat(e: Json, env: Map<string, number>): number {
  const n = numberValue(e);
  if (n !== null) return n;
  if (typeof e === "string") {
    if (e in CONSTANTS) return CONSTANTS[e]!;
    const v = env.get(e);
    if (v === undefined) throw new Unsupported(`symbol ${e}`);
    return v;
  }
  if (!Array.isArray(e) || typeof e[0] !== "string") throw new Unsupported("shape");
  const vn = varName(e);
  if (vn !== null && env.has(vn)) return env.get(vn)!;
  const head = e[0];
  const args = e.slice(1) as Json[];
  const ev = (x: Json) => evalFloat(x, env);
  switch (head) {
    case "Add":
      return args.reduce<number>((s, x) => s + ev(x), 0);
    case "Subtract":
      return args.length === 1 ? -ev(args[0]!) : args.slice(1).reduce<number>((s, x) => s - ev(x), ev(args[0]!));
    case "Negate":
      return -ev(args[0]!);
    case "Multiply":
    case "InvisibleOperator":
      return product(args, env);
    case "Divide":
    case "Rational":
      return ev(args[0]!) / ev(args[1]!);
    case "Power": {
      const b = ev(args[0]!);
      const x = ev(args[1]!);
      // Real odd roots of negatives: (-8)^(1/3) = -2.
      if (b < 0 && !Number.isInteger(x)) {
        const inv = 1 / x;
        if (Number.isInteger(Math.round(inv)) && Math.abs(inv - Math.round(inv)) < 1e-12 && Math.round(inv) % 2 !== 0) return -Math.pow(-b, x);
      }
      return Math.pow(b, x);
    }
    case "Delimiter":
    case "Sequence":
    case "Hold":
      if (args.length !== 1) throw new Unsupported("tuple");
      return ev(args[0]!);
    case "Factorial2": {
      const k = ev(args[0]!);
      if (!Number.isInteger(k) || k < 0) return NaN;
      let r = 1;
      for (let j = k; j > 1; j -= 2) r *= j;
      return r;
    }
    case "Complex":
      return ev(args[0]!) + ev(args[1]!) * (env.get("i") ?? NaN);
    case "Apply":
      if (Array.isArray(args[0]) && args[0][0] === "InverseFunction") {
        const f = FUNCS[`Arc${String(args[0][1]).toLowerCase()}`];
        if (f) return f(...args.slice(1).map(ev));
      }
      throw new Unsupported("apply");
  }
  const f = FUNCS[head];
  if (f) return f(...args.map(ev));
  throw new Unsupported(head);
}

/** Implicit products; a function symbol (`Exp`, `Ln`) followed by an argument applies to it. */
function product(args: Json[], env: Map<string, number>): number {
  let r = 1;
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (typeof a === "string" && a in FUNCS && k + 1 < args.length) {
      r *= FUNCS[a]!(evalFloat(args[++k]!, env));
      continue;
    }
    r *= evalFloat(a, env);
  }
  return r;
}

const bitLen = (x: bigint): bigint => BigInt((x < 0n ? -x : x).toString(2).length);

function checkSize(r: Rational): Rational {
  if (bitLen(r.num) + bitLen(r.den) > MAX_EXACT_BITS) throw new Unsupported("too large");
  return r;
}

function exactNumber(e: Json): Rational | null {
  if (typeof e === "number") {
    if (!Number.isFinite(e)) return null;
    const s = String(e);
    if (/e/i.test(s)) return Number.isInteger(e) ? rational(BigInt(e)) : null;
    const [i, f = ""] = s.replace("-", "").split(".");
    const num = BigInt(i! + f);
    return rational(e < 0 ? -num : num, 10n ** BigInt(f.length));
  }
  const n = e !== null && typeof e === "object" && !Array.isArray(e) ? (e as { num?: unknown }).num : undefined;
  // Long decimals come from repeating notation (0.\overline{3}): inexact, compared as floats.
  if (typeof n === "string" && /^-?\d+(\.\d{1,14})?$/.test(n)) {
    const [i, f = ""] = n.replace("-", "").split(".");
    const num = BigInt(i! + f);
    return rational(n.startsWith("-") ? -num : num, 10n ** BigInt(f.length));
  }
  return null;
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** Exact rational value of a constant expression built from + − × ÷, integer powers, perfect-square roots, n!; else null. */
export function evalExact(e: Json): Rational | null {
  try {
    return exact(e);
  } catch {
    return null;
  }
}

function exact(e: Json): Rational | null {
  const n = exactNumber(e);
  if (n) return n;
  if (!Array.isArray(e)) return null;
  const head = e[0];
  const args = e.slice(1) as Json[];
  const all = () => {
    const v = args.map(exact);
    return v.every((x) => x !== null) ? (v as Rational[]) : null;
  };
  switch (head) {
    case "Add": {
      const v = all();
      return v && checkSize(v.reduce((s, x) => rational(s.num * x.den + x.num * s.den, s.den * x.den), rational(0n)));
    }
    case "Subtract": {
      const v = all();
      if (!v) return null;
      if (v.length === 1) return rational(-v[0]!.num, v[0]!.den);
      return checkSize(v.slice(1).reduce((s, x) => rational(s.num * x.den - x.num * s.den, s.den * x.den), v[0]!));
    }
    case "Negate": {
      const v = all();
      return v && rational(-v[0]!.num, v[0]!.den);
    }
    case "Multiply":
    case "InvisibleOperator": {
      const v = all();
      return v && checkSize(v.reduce((s, x) => rational(s.num * x.num, s.den * x.den), rational(1n)));
    }
    case "Divide":
    case "Rational": {
      const v = all();
      if (!v || v.length !== 2 || v[1]!.num === 0n) return null;
      return checkSize(rational(v[0]!.num * v[1]!.den, v[0]!.den * v[1]!.num));
    }
    case "Delimiter":
    case "Sequence":
      return args.length === 1 ? exact(args[0]!) : null;
    case "Power":
    case "Square": {
      const v = all();
      if (!v) return null;
      const b = v[0]!;
      const x = head === "Square" ? rational(2n) : v[1];
      if (!x || x.den !== 1n || (x.num < 0n && b.num === 0n)) return null;
      if ((x.num < 0n ? -x.num : x.num) > BigInt(MAX_EXACT_POWER) || bitLen(b.num) * (x.num < 0n ? -x.num : x.num) > MAX_EXACT_BITS) {
        throw new Unsupported("too large");
      }
      const k = x.num < 0n ? -x.num : x.num;
      const r = rational(b.num ** k, b.den ** k);
      return x.num < 0n ? rational(r.den, r.num) : r;
    }
    case "Sqrt": {
      const v = all();
      if (!v || v[0]!.num < 0n) return null;
      const a = isqrt(v[0]!.num);
      const b = isqrt(v[0]!.den);
      return a * a === v[0]!.num && b * b === v[0]!.den ? rational(a, b) : null;
    }
    case "Factorial": {
      const v = all();
      if (!v || v[0]!.den !== 1n || v[0]!.num < 0n || v[0]!.num > BigInt(MAX_EXACT_POWER)) return null;
      let r = 1n;
      for (let k = 2n; k <= v[0]!.num; k++) r *= k;
      return rational(r);
    }
    case "Abs": {
      const v = all();
      return v && rational(v[0]!.num < 0n ? -v[0]!.num : v[0]!.num, v[0]!.den);
    }
  }
  return null;
}

/** Relative-plus-absolute closeness of two floats; equal infinities are close. */
export function close(a: number, b: number, relTol: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b)) + ABS_TOL;
}

/**
 * `POINTS` environments over `vars` (sorted): half in (0.2, 3.2), half in (-3, 3) away from 0, so domain-limited
 * identities (√x² = |x|) are tested on both signs.
 */
function samplePoints(vars: string[]): Map<string, number>[] {
  const rng = new Rng(0x7e57ab1e); // fixed seed: the same sample points on every run
  const rand = () => rng.next();
  const out: Map<string, number>[] = [];
  for (let p = 0; p < POINTS; p++) {
    const env = new Map<string, number>();
    vars.forEach((v, i) => {
      const u = rand();
      // Odd points: the sign of variable i flips with (⌊p/2⌋ + i), so every variable is negative at some points and
      // mixed-sign combinations occur, whatever the random stream.
      const sign = (Math.floor(p / 2) + i) % 2 === 0 ? -1 : 1;
      env.set(v, p % 2 === 0 ? 0.2 + 3 * u : sign * (0.3 + 2.7 * u));
    });
    out.push(env);
  }
  return out;
}

interface Parsed {
  json: Json;
  vars: Set<string>;
}

function prepare(s: string): Parsed | null {
  const json = parseLatex(s);
  if (json === null) return null;
  const vars = new Set<string>();
  freeVars(json, vars);
  return { json, vars };
}

/** Values of f and g at the shared sample points (NaN where undefined). */
function sampled(f: Parsed[], vars: string[]): number[][] {
  return samplePoints(vars).map((env) =>
    f.map((p) => {
      try {
        return evalFloat(p.json, env);
      } catch (e) {
        if (e instanceof Unsupported) throw e;
        return NaN;
      }
    }),
  );
}

/** Equal after rounding both to `digits` decimal places (Math-Verify's `float_rounding`)? */
export function roundedEqual(x: number, y: number, digits: number): boolean {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
  const r = (v: number) => Math.sign(v) * Math.round(Math.abs(v) * 10 ** digits);
  return r(x) === r(y);
}

/** Does the answer contain a decimal literal (`0.5`, `.5`)? Then floats are compared after rounding. */
const hasDecimal = (s: string): boolean => /\d\.\d|(?<![\d.])\.\d/.test(s);

/**
 * Renames the free variables of `b` to those of `a` by position (sorted names) when both have the same number:
 * Math-Verify's non-strict mode (`f(x) = x + 1` ≡ `f(y) = y + 1`).
 */
function matchVariables(pa: Parsed, pb: Parsed): Parsed {
  const va = [...pa.vars].sort();
  const vb = [...pb.vars].sort();
  if (va.length !== vb.length || va.every((v, i) => v === vb[i])) return pb;
  const map = new Map(vb.map((v, i) => [v, va[i]!]));
  const rename = (e: Json): Json => (typeof e === "string" ? (map.get(e) ?? e) : Array.isArray(e) ? e.map(rename) : e);
  return { json: rename(pb.json), vars: new Set(va) };
}

/**
 * Full leaf comparison (worker side): exact when both sides are exact constants; rounded to `floatRounding`
 * digits when a side is written as a decimal; within `relTol` otherwise (and at sample points when variables
 * occur). Never throws.
 */
export function symbolicLeaf(a: string, b: string, o: Pick<CompareOptions, "floatRounding" | "strict"> & { relTol: number }): Verdict {
  const relTol = o.relTol;
  const quick = plainLeaf(a, b, o);
  if (quick !== null) return quick;
  try {
    const pa = prepare(a);
    let pb = prepare(b);
    if (!pa || !pb) return false;
    if (!o.strict) pb = matchVariables(pa, pb);
    const vars = [...new Set([...pa.vars, ...pb.vars])].sort();
    if (vars.length === 0) {
      const ea = evalExact(pa.json);
      const eb = evalExact(pb.json);
      if (ea && eb && !hasDecimal(a) && !hasDecimal(b)) return ea.num === eb.num && ea.den === eb.den;
      const x = evalFloat(pa.json, new Map());
      const y = evalFloat(pb.json, new Map());
      if (close(x, y, relTol)) return true;
      return (hasDecimal(a) || hasDecimal(b)) && roundedEqual(x, y, o.floatRounding);
    }
    let agree = 0;
    for (const [x, y] of sampled([pa, pb], vars)) {
      if (Number.isNaN(x!) || Number.isNaN(y!)) continue;
      if (!close(x!, y!, relTol)) return false;
      agree++;
    }
    return agree >= MIN_POINTS;
  } catch {
    return JSON.stringify(prepareSafe(a)) === JSON.stringify(prepareSafe(b)) && prepareSafe(a) !== null;
  }
}

function prepareSafe(s: string): Json | null {
  try {
    return parseLatex(s);
  } catch {
    return null;
  }
}

/** Is (a1 − b1) = c·(a2 − b2) for a constant c (c > 0 when `positive`) at every sample point? Never throws. */
export function symbolicProportional(a1: string, b1: string, a2: string, b2: string, positive: boolean, relTol: number): Verdict {
  try {
    const ps = [a1, b1, a2, b2].map(prepare);
    if (ps.some((p) => p === null)) return false;
    const vars = [...new Set(ps.flatMap((p) => [...p!.vars]))].sort();
    if (vars.length === 0) return false;
    let ratio: number | null = null;
    let agree = 0;
    for (const [x1, y1, x2, y2] of sampled(ps as Parsed[], vars)) {
      const f = x1! - y1!;
      const g = x2! - y2!;
      if (!Number.isFinite(f) || !Number.isFinite(g)) continue;
      if (Math.abs(g) < ABS_TOL || Math.abs(f) < ABS_TOL) {
        if (Math.abs(g) < ABS_TOL && Math.abs(f) < ABS_TOL) continue;
        return false;
      }
      const r = f / g;
      if (ratio === null) ratio = r;
      else if (!close(r, ratio, relTol)) return false;
      agree++;
    }
    return ratio !== null && agree >= MIN_POINTS && (!positive || ratio > 0);
  } catch {
    return false;
  }
}
