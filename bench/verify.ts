/**
 * Verifier speed: the time of one check, by kind of check.
 *
 *   npx tsx bench/verify.ts            # or, after `npm run build`: node dist/bench/verify.js
 *
 * - "numeric": plain numbers (integers, decimals, fractions, percent, thousands), all on the sync fast path;
 *   target ≥ 10,000/s.
 * - "structured": sets, intervals, `x = 3` with plain numbers (sync fast path).
 * - "symbolic": LaTeX needing the worker (√, π, variables), one check at a time through `verifyAnswer`.
 * - "extract": `findMathAnswer` on a ~3 kB worked solution ending in a box, an answer phrase, a maths span or
 *   GSM8K's `####`, and on short answers.
 * - "extract + verify": the graded set of issue 13 (`test/reward/math/graded.ts`), each completion's answer
 *   extracted then verified, as the `math_accuracy` reward does (sync fast path or worker, as each case needs).
 * Times are process CPU time (all threads, the worker's included) per check, the median of 5 repeats: steadier
 * than wall time on a shared machine. Results with date and machine: docs/rewards.md.
 */
import { defaultMathVerifier, findMathAnswer, verifyAnswer, verifyAnswerSync } from "../src/reward/math/index.js";
import { GRADED_CASES } from "../test/reward/math/graded.js";

const NUMERIC: [string, string][] = [
  ["42", "42"],
  ["42", "41"],
  ["1/2", "0.5"],
  ["\\frac{3}{4}", "0.75"],
  ["0.5", "0.05"],
  ["1,000", "1000"],
  ["50\\%", "0.5"],
  ["-7", "7"],
  ["\\$12", "12"],
  ["1.5e3", "1500"],
];
const STRUCTURED: [string, string][] = [
  ["\\{1,2,3\\}", "\\{3,2,1\\}"],
  ["(1,2]", "[1,2]"],
  ["x=3", "3"],
  ["(-\\infty,3)", "x<3"],
  ["(1,2)\\cup(3,4)", "(3,4)\\cup(1,2)"],
];
const SYMBOLIC: [string, string][] = [
  ["\\sqrt{8}", "2\\sqrt{2}"],
  ["x^2+2x+1", "(x+1)^2"],
  ["\\frac{\\pi}{2}", "\\pi/2"],
  ["2x", "x^2"],
  ["\\sin^2 x+\\cos^2 x", "1"],
];
const LONG = "We first compute $a = 3$ and then $b = a^2 = 9$. Next, \\[ c = \\frac{b}{3} = 3 \\]\n\n".repeat(30);
const TEXTS = [LONG + "So the answer is $\\boxed{42}$.", LONG + "So the answer is 42.", LONG + "So we get $42$.", LONG + "#### 42", "The answer is 1,234", "(3,-1)"];

/** Median over 5 repeats of the CPU µs per item of `run(items)` (which must handle every item once). */
async function cpuMicros(n: number, run: () => unknown): Promise<number> {
  await run(); // warm-up (JIT, worker start)
  const xs: number[] = [];
  for (let k = 0; k < 5; k++) {
    const c0 = process.cpuUsage();
    await run();
    const c = process.cpuUsage(c0);
    xs.push((c.user + c.system) / n);
  }
  return xs.sort((a, b) => a - b)[2]!;
}

const rounds = <T>(r: number, items: T[]) => Array.from({ length: r }, () => items).flat();
const sync = (pairs: [string, string][], r: number) => () => {
  for (const [g, p] of rounds(r, pairs)) verifyAnswerSync(g, p);
};
const viaWorker = (pairs: [string, string][], r: number) => async () => {
  for (const [g, p] of rounds(r, pairs)) await verifyAnswer(g, p);
};
const extract = (r: number) => () => {
  for (const t of rounds(r, TEXTS)) findMathAnswer(t);
};
const graded = async () => {
  for (const [, gold, text, , opts] of GRADED_CASES) {
    const found = findMathAnswer(text, { gold });
    if (found) await verifyAnswer(gold, found.answer, opts as Record<string, never>);
  }
};

const line = (name: string, us: number) => console.log(`${name.padEnd(28)} ${us.toFixed(2).padStart(9)} µs/check  (${Math.round(1e6 / us).toLocaleString("en-US")}/s of CPU)`);
line("numeric (sync fast path)", await cpuMicros(NUMERIC.length * 2000, sync(NUMERIC, 2000)));
line("structured (sync fast path)", await cpuMicros(STRUCTURED.length * 2000, sync(STRUCTURED, 2000)));
line("numeric via verifyAnswer", await cpuMicros(NUMERIC.length * 500, viaWorker(NUMERIC, 500)));
line("symbolic (worker)", await cpuMicros(SYMBOLIC.length * 10, viaWorker(SYMBOLIC, 10)));
line("extract (findMathAnswer)", await cpuMicros(TEXTS.length * 500, extract(500)));
line("extract + verify (graded)", await cpuMicros(GRADED_CASES.length, graded));
await defaultMathVerifier().close();
