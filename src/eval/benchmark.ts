/**
 * Benchmark evaluation by the DeepSeek-R1 protocol (R1 §3.1 "Evaluation Setup"): n samples per problem (default
 * temperature 0.6, top-p 0.95), and
 *
 * - `pass@1` = mean correctness over the n samples and the problems (R1 eq. in §3.1: pass@1 = (1/k) Σ p_i);
 * - `pass@k` for k = 1…n by the unbiased estimator 1 − C(n−c, k)/C(n, k) (Chen et al. 2021 "Codex", eq. 1),
 *   averaged over problems (pass@1 by this estimator equals the mean above);
 * - `cons@n` = majority vote (R1 reports cons@64): the answers extracted from the n samples are normalised
 *   (`normalizeAnswer`) and the most frequent one is the problem's answer. Samples without an answer do not vote;
 *   a problem where none has one scores 0. **Ties** go to the answer that appears first in sample order, and the
 *   vote is judged by the first sample carrying the winning answer — deterministic for a given sample list.
 *
 * Correctness comes from a `Judge`: the maths verifier for dataset files (`mathJudge`), or a task's accuracy reward
 * for built-in tasks (`taskJudge`).
 */
import { ThinkrlError } from "../core/errors.js";
import { accuracyReward } from "../reward/accuracy.js";
import { rewardBatch } from "../reward/batch.js";
import { extractAnswer } from "../reward/format.js";
import { extractMathAnswer, type ExtractOptions } from "../reward/math/extract.js";
import { normalizeAnswer } from "../reward/math/normalize.js";
import { verifyAnswer, type VerifyOptions } from "../reward/math/verify.js";
import { passAtK } from "./heldout.js";
import type { BenchmarkProblem } from "./problems.js";
import type { EvalSampler } from "./solver.js";

/** Extracted answers (null = none found) and verdicts, `[problem][sample]`. */
export interface Judgement {
  answers: (string | null)[][];
  correct: boolean[][];
}

/** Scores the completions of a batch of problems. Never throws for any completion text. */
export type Judge = (problems: BenchmarkProblem[], completions: string[][]) => Promise<Judgement>;

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
 * Built-in task judge: the `accuracy` reward on the problem's columns (`task`, `target`, `nums`); the answer is the
 * `<answer>` content of a well-formed completion (what the reward reads). An unjudgeable row (null) counts as wrong.
 */
export const taskJudge: Judge = async (problems, completions) => {
  const items = problems.flatMap((p, i) => completions[i]!.map(() => ({ key: p.id, question: p.question, columns: p.columns })));
  const flat = completions.flat();
  const scores = await accuracyReward(rewardBatch(items, flat.map((text) => ({ text, ids: [] }))), { step: 0, groupSize: 1, maxCompletionLength: 0 });
  let k = 0;
  const correct = completions.map((row) => row.map(() => (scores[k++] ?? 0) > 0));
  return { answers: completions.map((row) => row.map(extractAnswer)), correct };
};

/** Majority-vote key of an answer: its normalised LaTeX (a trailing percent kept as a marker). */
export function voteKey(answer: string): string {
  const n = normalizeAnswer(answer);
  return n.percent ? `${n.latex}%` : n.latex;
}

/**
 * Majority vote over extracted answers (see the module comment for ties).
 * @returns the index of the first sample carrying the winning answer, its key and vote count; null when no sample
 *   has an answer
 */
export function majorityVote(answers: readonly (string | null)[]): { index: number; key: string; votes: number } | null {
  const tally = new Map<string, { index: number; votes: number }>();
  answers.forEach((a, i) => {
    if (a === null) return;
    const key = voteKey(a);
    const t = tally.get(key);
    if (t) t.votes++;
    else tally.set(key, { index: i, votes: 1 });
  });
  let best: { index: number; key: string; votes: number } | null = null;
  // Map iteration is in first-occurrence order, so `>` keeps the earliest answer on ties.
  for (const [key, t] of tally) if (best === null || t.votes > best.votes) best = { key, ...t };
  return best;
}

/** One row of the per-problem results file. */
export interface ProblemResult {
  id: string;
  question: string;
  gold: string | null;
  samples: string[];
  /** Extracted final answer per sample (null = none). */
  answers: (string | null)[];
  correct: boolean[];
  num_correct: number;
  /** Majority answer (as first written by a sample) and whether it is right. */
  cons_answer: string | null;
  cons_correct: boolean;
}

/** Per-problem result from its samples and their judgement. */
export function problemResult(p: BenchmarkProblem, samples: string[], answers: (string | null)[], correct: boolean[]): ProblemResult {
  const vote = majorityVote(answers);
  return {
    id: p.id,
    question: p.question,
    gold: p.gold,
    samples,
    answers,
    correct,
    num_correct: correct.filter(Boolean).length,
    cons_answer: vote === null ? null : answers[vote.index]!,
    cons_correct: vote === null ? false : correct[vote.index]!,
  };
}

/**
 * Benchmark metrics over problems that each have n samples: `pass@1`, `cons@n`, `pass@k` (k = 2…n),
 * `answer_rate` (samples with an extracted answer) and `format_rate` (samples in the R1 `<think>…</think>
 * <answer>…</answer>` format). All in [0, 1]. The one place these names are defined.
 */
export function summarize(results: readonly ProblemResult[]): Record<string, number> {
  const P = Math.max(1, results.length);
  const n = results[0]?.samples.length ?? 0;
  const mean = (f: (r: ProblemResult) => number) => results.reduce((s, r) => s + f(r), 0) / P;
  const out: Record<string, number> = { "pass@1": mean((r) => r.num_correct / Math.max(1, r.samples.length)) };
  out[`cons@${n}`] = mean((r) => Number(r.cons_correct));
  for (let k = 2; k <= n; k++) out[`pass@${k}`] = mean((r) => passAtK(r.samples.length, r.num_correct, k));
  out.answer_rate = mean((r) => r.answers.filter((a) => a !== null).length / Math.max(1, r.samples.length));
  out.format_rate = mean((r) => r.samples.filter((s) => extractAnswer(s) !== null).length / Math.max(1, r.samples.length));
  return out;
}

export interface BenchmarkOptions {
  /** n, samples per problem (R1: 4–64). */
  samples: number;
  /** Problems per sampler call (progress granularity). Default 64. */
  chunk?: number;
  onProgress?: (doneProblems: number, total: number) => void;
}

export interface BenchmarkRun {
  results: ProblemResult[];
  summary: Record<string, number>;
  seconds: number;
}

/** Samples, judges and summarises `problems`. */
export async function runBenchmark(problems: BenchmarkProblem[], sampler: EvalSampler, judge: Judge, o: BenchmarkOptions): Promise<BenchmarkRun> {
  const t0 = performance.now();
  const chunk = o.chunk ?? 64;
  const results: ProblemResult[] = [];
  for (let s = 0; s < problems.length; s += chunk) {
    const part = problems.slice(s, s + chunk);
    const samples = await sampler(part.map((p) => p.question), o.samples);
    if (samples.length !== part.length || samples.some((r) => r.length !== o.samples)) {
      throw new ThinkrlError(`runBenchmark: the sampler returned ${samples.map((r) => r.length).join(",")} samples for ${part.length} problems × ${o.samples}`);
    }
    const j = await judge(part, samples);
    part.forEach((p, i) => results.push(problemResult(p, samples[i]!, j.answers[i]!, j.correct[i]!)));
    o.onProgress?.(results.length, problems.length);
  }
  return { results, summary: summarize(results), seconds: (performance.now() - t0) / 1000 };
}

/** The summary as an aligned two-column text table (percentages, one decimal). */
export function formatSummaryTable(title: string, summary: Record<string, number>, extra: Record<string, string | number> = {}): string {
  const rows: [string, string][] = [
    ...Object.entries(extra).map(([k, v]) => [k, String(v)] as [string, string]),
    ...Object.entries(summary).map(([k, v]) => [k, `${(100 * v).toFixed(1)}%`] as [string, string]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v.padStart(7)}`)].join("\n");
}
