/**
 * Verifier throughput: verifications per second on a mixed set of answers.
 *
 *   npx tsx bench/verify.ts            # or, after `npm run build`: node dist/bench/verify.js
 *
 * - "numeric": plain numbers (integers, decimals, fractions, percent, thousands), all on the sync fast path;
 *   target ≥ 10,000/s.
 * - "structured": sets, intervals, `x = 3` with plain numbers (sync fast path).
 * - "symbolic": LaTeX needing the worker (√, π, variables), one check at a time through `verifyAnswer`.
 */
import { defaultMathVerifier, verifyAnswer, verifyAnswerSync } from "../src/reward/math/index.js";

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

function syncRate(pairs: [string, string][], seconds: number): number {
  let n = 0;
  let sink = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    for (const [g, p] of pairs) sink += verifyAnswerSync(g, p) ? 1 : 0;
    n += pairs.length;
  }
  if (sink < 0) console.log(sink);
  return n / ((performance.now() - t0) / 1000);
}

async function asyncRate(pairs: [string, string][], rounds: number): Promise<number> {
  await verifyAnswer(pairs[0]![0], pairs[0]![1]); // start the worker outside the timing
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const [g, p] of pairs) await verifyAnswer(g, p);
  return (rounds * pairs.length) / ((performance.now() - t0) / 1000);
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
console.log(`numeric (sync fast path):    ${fmt(syncRate(NUMERIC, 2))} verifications/s`);
console.log(`structured (sync fast path): ${fmt(syncRate(STRUCTURED, 1))} verifications/s`);
console.log(`symbolic (worker):           ${fmt(await asyncRate(SYMBOLIC, 20))} verifications/s`);
console.log(`numeric via verifyAnswer:    ${fmt(await asyncRate(NUMERIC, 500))} verifications/s`);
await defaultMathVerifier().close();
