/**
 * Judges: what decides whether a sample is correct and which answer it gives (for the majority vote). The maths
 * verifier judges benchmark files against their gold answers (`mathJudge`); the `accuracy` reward judges problems
 * by their columns (`accuracyJudge`: built-in tasks, and training datasets' `answer` column) — the same verdicts
 * GRPO is rewarded with.
 */
import { accuracyReward } from "../reward/accuracy.js";
import { rewardBatch } from "../reward/batch.js";
import { extractAnswer } from "../reward/format.js";
import { extractMathAnswer, type ExtractOptions } from "../reward/math/extract.js";
import { verifyAnswer, type VerifyOptions } from "../reward/math/verify.js";
import type { EvalProblem } from "./problems.js";

/** Extracted answers (null = none found) and verdicts, `[problem][sample]`. */
export interface Judgement {
  answers: (string | null)[][];
  correct: boolean[][];
}

/** Scores the completions of a batch of problems. Never throws for any completion text. */
export type Judge = (problems: readonly EvalProblem[], completions: string[][]) => Promise<Judgement>;

/**
 * Maths judge: the final answer (`extractMathAnswer`: `\boxed{}`, `<answer>`, "final answer is", last maths span,
 * last number) verified against the problem's gold answer by `verifyAnswer`. Each distinct answer of a problem
 * is verified once.
 */
export function mathJudge(o: { extract?: ExtractOptions; verify?: VerifyOptions } = {}): Judge {
  return async (problems, completions) => {
    const answers = completions.map((row) => row.map((c) => extractMathAnswer(c, o.extract)));
    const correct = await Promise.all(
      problems.map(async (p, i) => {
        const memo = new Map<string, Promise<boolean>>();
        const check = (a: string | null) => {
          if (a === null || p.gold === null) return Promise.resolve(false);
          if (!memo.has(a)) memo.set(a, verifyAnswer(p.gold, a, o.verify).catch(() => false));
          return memo.get(a)!;
        };
        return Promise.all(answers[i]!.map(check));
      }),
    );
    return { answers, correct };
  };
}

/**
 * The `accuracy` reward on the problem's columns (`task`, `target`, `nums`, or `answer`): a sample is correct when
 * the reward scores it above 0; its answer is the `<answer>` content of a well-formed completion (what the reward
 * reads). An unjudgeable row (null) counts as wrong.
 */
export const accuracyJudge: Judge = async (problems, completions) => {
  const items = problems.flatMap((p, i) => completions[i]!.map(() => ({ key: p.id, question: p.question, columns: p.columns })));
  const flat = completions.flat();
  const scores = await accuracyReward(rewardBatch(items, flat.map((text) => ({ text, ids: [] }))), { step: 0, groupSize: 1, maxCompletionLength: 0 });
  let k = 0;
  const correct = completions.map((row) => row.map(() => (scores[k++] ?? 0) > 0));
  return { answers: completions.map((row) => row.map(extractAnswer)), correct };
};
