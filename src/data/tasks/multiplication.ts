/**
 * Long multiplication, the long-tail task of partial rollouts (Kimi k1.5 §2.6.2): `a*b` with a worked solution that
 * multiplies `a` by each digit of `b` from the right (digit by digit, with carries, as `arithmetic`'s `a*d`) and adds
 * each shifted partial product to the running sum (column by column). Completion lengths range from ~12 tokens
 * (`7*8`) to ~300 (`9999*9999`), and most problems are short: the digits of `b` are drawn with falling weights, so a
 * few long answers hold up a batch that partial rollouts would let finish later.
 *
 * Trace of 47*38 (`/` between rows, `:` before each row's result):
 * `<think>7*8=56,4*8+5=37:376/7*3=21,4*3+2=14:141/7+1=8,3+4=7,0+1=1:1786</think><answer>1786</answer>` — row 1 is
 * 47×3 = 141, then 141 is added to 376 without its last digit (37), giving the sum's upper digits 178 and the total 1786.
 */
import { ConfigError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import { additionSteps, multiplicationSteps, workDifficulty } from "./arithmetic.js";
import type { Problem, Task } from "./types.js";

export interface MultiplicationOptions {
  /** Most digits of the first factor `a` (1..aMaxDigits, uniform). Default 4. */
  aMaxDigits: number;
  /**
   * Relative weights of 1, 2, … digits in the second factor `b`. Default [8, 4, 2, 1]: half the problems multiply
   * by one digit, 1 in 15 by four (the long tail).
   */
  bDigitWeights: readonly number[];
}

export const MULTIPLICATION_DEFAULTS: Readonly<MultiplicationOptions> = Object.freeze({ aMaxDigits: 4, bDigitWeights: Object.freeze([8, 4, 2, 1]) });

/** Options with defaults filled in. @throws ConfigError quoting the offending values */
export function resolveMultiplicationOptions(partial: Partial<MultiplicationOptions> = {}): Readonly<MultiplicationOptions> {
  const o = { aMaxDigits: partial.aMaxDigits ?? MULTIPLICATION_DEFAULTS.aMaxDigits, bDigitWeights: partial.bDigitWeights ?? MULTIPLICATION_DEFAULTS.bDigitWeights };
  if (!Number.isInteger(o.aMaxDigits) || o.aMaxDigits < 1 || o.aMaxDigits > 6) throw new ConfigError(`multiplication: aMaxDigits must be in 1..6 (got ${o.aMaxDigits})`);
  const w = o.bDigitWeights;
  if (!Array.isArray(w) || w.length === 0 || w.length > 6 || !w.every((x) => Number.isFinite(x) && x >= 0) || !w.some((x) => x > 0)) {
    throw new ConfigError(`multiplication: bDigitWeights must be 1..6 non-negative weights, not all 0 (got ${JSON.stringify(w)})`);
  }
  return Object.freeze({ aMaxDigits: o.aMaxDigits, bDigitWeights: Object.freeze([...w]) });
}

/** Random number with `nd` digits (no leading zero); nd = 1 gives 0..9. */
function randomDigits(rng: Rng, nd: number): number {
  return nd > 1 ? rng.int(10 ** (nd - 1), 10 ** nd - 1) : rng.int(0, 9);
}

/**
 * Worked rows of a·b: per digit d_j of b (from the right) the steps of a·d_j and its product p_j; from the second row
 * on, the column-wise addition of p_j to the running sum without its j lowest digits (which are final) and the new sum.
 * @returns the trace between `<think>` and `</think>`, and the number of single steps (for the difficulty)
 */
export function longMultiplicationTrace(a: number, b: number): { trace: string; steps: string[] } {
  const digits = String(b).split("").reverse().map(Number);
  const parts: string[] = [];
  const steps: string[] = [];
  let sum = 0;
  digits.forEach((d, j) => {
    const row = multiplicationSteps(a, d);
    const p = a * d;
    steps.push(...row);
    parts.push(`${row.join(",")}:${p}`);
    if (j === 0) {
      sum = p;
      return;
    }
    const low = sum % 10 ** j;
    const high = Math.floor(sum / 10 ** j);
    const add = additionSteps(high, p);
    steps.push(...add);
    sum = (high + p) * 10 ** j + low;
    parts.push(`${add.join(",")}:${sum}`);
  });
  return { trace: parts.join("/"), steps };
}

/** The Problem for `a*b`. */
export function multiplicationProblem(a: number, b: number): Problem {
  const { trace, steps } = longMultiplicationTrace(a, b);
  const prompt = `${a}*${b}`;
  const target = a * b;
  return {
    key: `multiplication:${prompt}`,
    prompt,
    solution: `<think>${trace}</think><answer>${target}</answer>`,
    columns: { task: "multiplication", target },
    difficulty: workDifficulty(steps),
  };
}

/** The long-multiplication task with the given options. */
export function multiplicationTask(partial: Partial<MultiplicationOptions> = {}): Task {
  const o = resolveMultiplicationOptions(partial);
  const total = o.bDigitWeights.reduce((s, x) => s + x, 0);
  return {
    name: "multiplication",
    sample(rng: Rng): Problem {
      const a = randomDigits(rng, rng.int(1, o.aMaxDigits));
      let u = rng.next() * total;
      let nb = 1;
      for (let i = 0; i < o.bDigitWeights.length; i++) {
        u -= o.bDigitWeights[i]!;
        if (u < 0) {
          nb = i + 1;
          break;
        }
      }
      return multiplicationProblem(a, randomDigits(rng, nb));
    },
  };
}
