/**
 * Arithmetic task: `a+b`, `a-b` (a ≥ b) and `a*d` (d a single digit 2..9), with a worked solution that
 * goes digit by digit from the right, e.g. 47+85 → `<think>7+5=12,4+8+1=13</think><answer>132</answer>`.
 * Trace format mirrors the reference experiment (shared/reference/tiny_grpo.py, class Arith), which is
 * known to be learnable by a tiny model with SFT cold start + GRPO.
 */
import { ConfigError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { Problem, Task } from "./types.js";

export type ArithmeticOp = "+" | "-" | "*";

export interface ArithmeticOptions {
  /** Fewest digits of a `+`/`-` operand. Default 2. */
  minDigits: number;
  /** Most digits of a `+`/`-` operand. Default 4 (at most 9). */
  maxDigits: number;
  /** Operators to draw from (uniformly). Default `["+", "-", "*"]`. */
  ops: readonly ArithmeticOp[];
  /** Most digits of the multi-digit factor in `a*d` (it has 2..mulMaxDigits digits). Default 3. */
  mulMaxDigits: number;
}

export const ARITHMETIC_DEFAULTS: Readonly<ArithmeticOptions> = Object.freeze({
  minDigits: 2,
  maxDigits: 4,
  ops: Object.freeze(["+", "-", "*"] as ArithmeticOp[]),
  mulMaxDigits: 3,
});

/** Validated options, defaults filled in. Throws ConfigError quoting the offending values. */
export function resolveArithmeticOptions(partial: Partial<ArithmeticOptions> = {}): Readonly<ArithmeticOptions> {
  const o: ArithmeticOptions = { ...ARITHMETIC_DEFAULTS, ...stripUndefined(partial) };
  const intIn = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!intIn(o.minDigits, 1, 9) || !intIn(o.maxDigits, 1, 9) || o.minDigits > o.maxDigits) {
    throw new ConfigError(`arithmetic: need 1 ≤ minDigits ≤ maxDigits ≤ 9 (got ${o.minDigits}, ${o.maxDigits})`);
  }
  if (!intIn(o.mulMaxDigits, 2, 9)) throw new ConfigError(`arithmetic: mulMaxDigits must be in 2..9 (got ${o.mulMaxDigits})`);
  const ops = Array.from(new Set(o.ops));
  if (ops.length === 0 || !ops.every((op) => op === "+" || op === "-" || op === "*")) {
    throw new ConfigError(`arithmetic: ops must be a non-empty subset of + - * (got ${JSON.stringify(o.ops)})`);
  }
  return Object.freeze({ ...o, ops: Object.freeze(ops) });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Random number with `nd` digits (no leading zero); nd = 1 gives 0..9. */
function randomDigits(rng: Rng, nd: number): number {
  return nd > 1 ? rng.int(10 ** (nd - 1), 10 ** nd - 1) : rng.int(0, 9);
}

/** Right-to-left digits of n, zero-padded to `width`. */
function digitsLsbFirst(n: number, width: number): number[] {
  return String(n).padStart(width, "0").split("").reverse().map(Number);
}

/** Worked steps for a+b: `x+y(+1)=s` per column, right to left. */
export function additionSteps(a: number, b: number): string[] {
  const n = Math.max(String(a).length, String(b).length);
  const da = digitsLsbFirst(a, n);
  const db = digitsLsbFirst(b, n);
  const steps: string[] = [];
  let carry = 0;
  for (let i = 0; i < n; i++) {
    const s = da[i]! + db[i]! + carry;
    steps.push(`${da[i]}+${db[i]}${carry ? "+1" : ""}=${s}`);
    carry = Math.floor(s / 10);
  }
  return steps;
}

/** Worked steps for a-b (a ≥ b): `t-y=d` per column, where t already includes any borrow. */
export function subtractionSteps(a: number, b: number): string[] {
  const n = Math.max(String(a).length, String(b).length);
  const da = digitsLsbFirst(a, n);
  const db = digitsLsbFirst(b, n);
  const steps: string[] = [];
  let borrow = 0;
  for (let i = 0; i < n; i++) {
    let t = da[i]! - borrow;
    const y = db[i]!;
    if (t < y) {
      t += 10;
      borrow = 1;
    } else borrow = 0;
    steps.push(`${t}-${y}=${t - y}`);
  }
  return steps;
}

/** Worked steps for a*d (d one digit): `digit*d(+carry)=p` per digit of a, right to left. */
export function multiplicationSteps(a: number, d: number): string[] {
  const steps: string[] = [];
  let carry = 0;
  for (const x of digitsLsbFirst(a, 1)) {
    const p = x * d + carry;
    steps.push(`${x}*${d}${carry ? `+${carry}` : ""}=${p}`);
    carry = Math.floor(p / 10);
  }
  return steps;
}

/**
 * The work a worked solution takes: its steps plus the steps that carry or borrow (a step writing a two-digit
 * number), so 12+34 (2 steps, no carry) → 2 and 58+67 (2 steps, 2 carries) → 4. A built-in task's difficulty for
 * curriculum sampling (Kimi k1.5 §2.3.4 uses a measured pass rate; this is the task's own knob).
 */
export function workDifficulty(steps: readonly string[]): number {
  return steps.length + steps.filter((s) => /\d\d/.test(s)).length;
}

/** Build the Problem for `a op b` (a ≥ b for "-"; b a digit for "*"). */
export function arithmeticProblem(a: number, op: ArithmeticOp, b: number): Problem {
  const steps = op === "+" ? additionSteps(a, b) : op === "-" ? subtractionSteps(a, b) : multiplicationSteps(a, b);
  const target = op === "+" ? a + b : op === "-" ? a - b : a * b;
  const prompt = `${a}${op}${b}`;
  // The result is written out (=s), then checked: a+b=s by working s-b (giving a), a-b=d by working d+b (giving a),
  // a*d by redoing each step; the answer then copies the written result.
  const check = op === "+" ? subtractionSteps(target, b) : op === "-" ? additionSteps(target, b) : multiplicationSteps(a, b);
  return {
    key: `arithmetic:${prompt}`,
    prompt,
    solution: `<think>${steps.join(",")}</think><answer>${target}</answer>`,
    checkedSolution: `<think>${steps.join(",")}=${target}:${check.join(",")}</think><answer>${target}</answer>`,
    columns: { task: "arithmetic", target },
    difficulty: workDifficulty(steps),
  };
}

/** The arithmetic task with the given (validated) options. */
export function arithmeticTask(partial: Partial<ArithmeticOptions> = {}): Task {
  const o = resolveArithmeticOptions(partial);
  return {
    name: "arithmetic",
    sample(rng: Rng): Problem {
      const op = rng.choice(o.ops);
      if (op === "*") {
        const a = randomDigits(rng, rng.int(2, o.mulMaxDigits));
        return arithmeticProblem(a, op, rng.int(2, 9));
      }
      let a = randomDigits(rng, rng.int(o.minDigits, o.maxDigits));
      let b = randomDigits(rng, rng.int(o.minDigits, o.maxDigits));
      if (op === "-" && b > a) [a, b] = [b, a];
      return arithmeticProblem(a, op, b);
    },
  };
}
