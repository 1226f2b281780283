/**
 * The three seen tasks of Transformer² self-adaptation (issue 18), for the T2 model (`model/t2.ts`): word problems
 * in natural text whose prompts carry no task tag or category keyword, each phrased by one of several templates, so
 * telling them apart takes reading the question, not one word. Each needs a different skill:
 *
 * - `t2-arithmetic` (category `arithmetic`): add or subtract two 2-digit numbers — "What is 37 and 48 together?",
 *   "Take 19 from 52." — first written as an equation (reading the words: which number, which operation, which
 *   order), then worked column by column from the right as `arithmetic` does: `<think>37+48,7+8=15,3+4+1=8</think>
 *   <answer>85</answer>`.
 * - `t2-search` (category `search`): Countdown — "Make 22 from 3, 5 and 7." — reach the target with + - * / using
 *   each number at most once; the worked solution lists each step: `<think>3*5=15,15+7=22</think><answer>(3*5)+7</answer>`.
 * - `t2-sequence` (category `sequence`): the next term of an arithmetic progression — "What comes after 3, 7, 11, 15?" —
 *   found from the common difference: `<think>15-11=4,15+4=19</think><answer>19</answer>`.
 *
 * Problem keys name the content, not the phrasing, so a held-out problem is held out in every wording.
 * Every problem has `columns.task` (the task name, how `accuracy` judges it) and `columns.category`.
 */
import type { Rng } from "../../core/rng.js";
import { additionSteps, subtractionSteps, workDifficulty } from "./arithmetic.js";
import { countdownTask } from "./countdown.js";
import type { Problem, Task } from "./types.js";

/** The seen categories, one per seen task, in expert order. */
export const T2_CATEGORIES = ["arithmetic", "search", "sequence"] as const;
export type T2Category = (typeof T2_CATEGORIES)[number];

/** Fill `{name}` slots of a template. */
function fill(template: string, slots: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => String(slots[k]));
}

/** "3, 5 and 7" (an English list of numbers). */
export function listAnd(nums: readonly number[]): string {
  return nums.length === 1 ? String(nums[0]) : `${nums.slice(0, -1).join(", ")} and ${nums[nums.length - 1]}`;
}

const ADD_TEMPLATES = [
  "What is {a} and {b} together?",
  "Add {a} to {b}.",
  "What is the total of {a} and {b}?",
  "How much is {a} plus {b}?",
  "I had {a} coins and found {b} more. How many do I have now?",
  "Put {a} and {b} together. What do you get?",
];
const SUB_TEMPLATES = [
  "Take {b} from {a}.",
  "What is {a} minus {b}?",
  "Subtract {b} from {a}.",
  "How much is left when {b} is taken away from {a}?",
  "I had {a} coins and spent {b}. How many are left?",
  "What is the difference between {a} and {b}?",
];

/** Random number with minDigits..maxDigits digits. */
function operand(rng: Rng, minDigits: number, maxDigits: number): number {
  const nd = rng.int(minDigits, maxDigits);
  return rng.int(10 ** (nd - 1), 10 ** nd - 1);
}

/** Worked `<think>` steps of a ± b (a ≥ b for "-"), column by column from the right. */
export function wordArithmeticSteps(a: number, op: "+" | "-", b: number): string[] {
  return op === "+" ? additionSteps(a, b) : subtractionSteps(a, b);
}

/** The `t2-arithmetic` problem `a op b` phrased by template `t` (index into the op's templates). */
export function t2ArithmeticProblem(a: number, op: "+" | "-", b: number, t: number): Problem {
  const templates = op === "+" ? ADD_TEMPLATES : SUB_TEMPLATES;
  const steps = wordArithmeticSteps(a, op, b);
  const target = op === "+" ? a + b : a - b;
  return {
    key: `t2-arithmetic:${a}${op}${b}`,
    prompt: fill(templates[t % templates.length]!, { a, b }),
    solution: `<think>${a}${op}${b},${steps.join(",")}</think><answer>${target}</answer>`,
    columns: { task: "t2-arithmetic", category: "arithmetic", target },
    difficulty: workDifficulty(steps),
  };
}

/** `t2-arithmetic`: a + b or a − b (a ≥ b) with 2-digit operands (10..99), one of six phrasings per operation. */
export function t2ArithmeticTask(): Task {
  return {
    name: "t2-arithmetic",
    sample(rng: Rng): Problem {
      const op = rng.choice(["+", "-"] as const);
      let a = operand(rng, 2, 2);
      let b = operand(rng, 2, 2);
      if (op === "-" && b > a) [a, b] = [b, a];
      return t2ArithmeticProblem(a, op, b, rng.int(0, ADD_TEMPLATES.length - 1));
    },
  };
}

const SEARCH_TEMPLATES = [
  "Make {t} from {nums}.",
  "Using {nums}, each at most once, reach {t}.",
  "Combine {nums} to get {t}.",
  "How can {nums} give {t}?",
  "Write {t} using {nums} with + - * and /.",
  "Reach {t} with {nums}.",
];

/** Countdown numbers of `t2-search` / `t2-search-hard` lie in 1..T2_SEARCH_NMAX, targets in 1..T2_SEARCH_TMAX. */
export const T2_SEARCH_NMAX = 8;
export const T2_SEARCH_TMAX = 50;

/**
 * A Countdown problem (from `countdownTask`'s generator, so every target is reachable) phrased in words.
 * @param n how many numbers; the `task` column and key prefix are `name`
 */
function searchTask(name: "t2-search" | "t2-search-hard", n: number): Task {
  const inner = countdownTask({ n, nmax: T2_SEARCH_NMAX, tmax: T2_SEARCH_TMAX });
  return {
    name,
    sample(rng: Rng): Problem {
      const p = inner.sample(rng);
      const nums = p.columns.nums as number[];
      const target = p.columns.target as number;
      return {
        key: `${name}:${p.key.slice("countdown:".length)}`,
        prompt: fill(rng.choice(SEARCH_TEMPLATES), { t: target, nums: listAnd(nums) }),
        solution: p.solution,
        columns: { task: name, category: "search", nums, target },
        difficulty: p.difficulty,
      };
    },
  };
}

/** `t2-search`: Countdown over 3 numbers in 1..8, targets 1..50, one of six phrasings. */
export function t2SearchTask(): Task {
  return searchTask("t2-search", 3);
}

/** `t2-search-hard` (unseen; category `search`): the same with 4 numbers — a longer search and a 3-step solution. */
export function t2SearchHardTask(): Task {
  return searchTask("t2-search-hard", 4);
}

const SEQUENCE_TEMPLATES = [
  "What comes after {terms}?",
  "What is the next number in {terms}?",
  "Give the term that follows {terms}.",
  "{terms}, ... what is next?",
  "Which number should follow {terms}?",
  "Continue the list {terms} by one more.",
];

/** An arithmetic progression: `len` terms from `start` with step `d` (all terms in 1..99 including the next). */
export interface Progression {
  terms: number[];
  next: number;
}

/** Draws a progression of 3..5 shown terms, step ±(1..12), every term and the next one in 1..99. */
export function drawProgression(rng: Rng): Progression {
  for (;;) {
    const len = rng.int(3, 5);
    const d = rng.int(1, 12) * (rng.next() < 0.5 ? -1 : 1);
    const start = rng.int(1, 60);
    const all = Array.from({ length: len + 1 }, (_, i) => start + i * d);
    if (all.every((x) => x >= 1 && x <= 99)) return { terms: all.slice(0, len), next: all[len]! };
  }
}

/** Worked steps of the next term: `b-a=d,b+d=n` (rising) or `a-b=d,b-d=n` (falling), from the last two terms. */
export function progressionSteps(terms: readonly number[]): string[] {
  const a = terms[terms.length - 2]!;
  const b = terms[terms.length - 1]!;
  return b >= a ? [`${b}-${a}=${b - a}`, `${b}+${b - a}=${2 * b - a}`] : [`${a}-${b}=${a - b}`, `${b}-${a - b}=${2 * b - a}`];
}

/** `t2-sequence`: the next term of a 3–5 term arithmetic progression in 1..99, one of six phrasings. */
export function t2SequenceTask(): Task {
  return {
    name: "t2-sequence",
    sample(rng: Rng): Problem {
      const { terms, next } = drawProgression(rng);
      const steps = progressionSteps(terms);
      return {
        key: `t2-sequence:${terms.join(",")}`,
        prompt: fill(rng.choice(SEQUENCE_TEMPLATES), { terms: terms.join(", ") }),
        solution: `<think>${steps.join(",")}</think><answer>${next}</answer>`,
        columns: { task: "t2-sequence", category: "sequence", target: next },
        difficulty: workDifficulty(steps),
      };
    },
  };
}
