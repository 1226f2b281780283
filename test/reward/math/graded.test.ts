/**
 * Agreement of thinkrl's extract-then-verify path with the graded set (`graded.ts`, issue 13): each completion's
 * answer is extracted (`findMathAnswer`) and verified against the gold (`verifyAnswer`), as the
 * `math_accuracy` reward does. Agreement = cases whose verdict equals the label.
 */
import { afterAll, expect, test } from "vitest";
import { defaultMathVerifier, findMathAnswer, verifyAnswer } from "../../../src/reward/math/index.js";
import { GRADED, GRADED_CASES } from "./graded.js";

afterAll(() => defaultMathVerifier().close());

test("graded set: at least 15 cases per group, at least 30% negatives", () => {
  for (const [group, cases] of Object.entries(GRADED)) expect(cases.length, group).toBeGreaterThanOrEqual(15);
  const negatives = GRADED_CASES.filter((c) => !c[3]).length;
  expect(negatives / GRADED_CASES.length).toBeGreaterThanOrEqual(0.3);
});

test("graded set: agreement with the labels", async () => {
  const misses: string[] = [];
  const perGroup = new Map<string, [number, number]>();
  for (const [group, gold, text, want, opts] of GRADED_CASES) {
    const found = findMathAnswer(text, { gold });
    const got = found !== null && (await verifyAnswer(gold, found.answer, opts as Record<string, never>));
    const [ok, n] = perGroup.get(group) ?? [0, 0];
    perGroup.set(group, [ok + (got === want ? 1 : 0), n + 1]);
    if (got !== want) misses.push(`${group}: gold ${JSON.stringify(gold)} text ${JSON.stringify(text.slice(-60))} → ${found ? JSON.stringify(found.answer) : "none"}, want ${want}`);
  }
  const agree = GRADED_CASES.length - misses.length;
  console.log(
    [...perGroup].map(([g, [ok, n]]) => `${g} ${ok}/${n}`).join(", ") + `; total ${agree}/${GRADED_CASES.length} (${((100 * agree) / GRADED_CASES.length).toFixed(1)}%)\n` + misses.join("\n"),
  );
  expect(agree).toBeGreaterThanOrEqual(BASELINE);
}, 120_000);

/** Agreement required: all 151 (after the issue-13 fixes, 2026-12-04). Before them (measured 2026-12-04): 96/151, 63.6%; numbers 15/25, gsm8k 9/17, extraction 17/19, bare 9/18, relations 16/20, structures 11/17, precision 7/19, choices 12/16). */
const BASELINE = 151;
