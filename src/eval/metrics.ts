/**
 * Evaluation metrics by the DeepSeek-R1 protocol (R1 §3.1 "Evaluation Setup"), defined once for `thinkrl train`'s
 * held-out eval, `thinkrl eval` and pipeline eval stages. n samples per problem, then
 *
 * - `pass@1` = mean correctness over the samples and the problems (R1 §3.1: pass@1 = (1/k) Σ p_i);
 * - `pass@k` for k = 2…n by the unbiased estimator 1 − C(n−c, k)/C(n, k) (Chen et al. 2021 "Codex", eq. 1),
 *   averaged over problems (at k = 1 it equals the mean above);
 * - `cons@n` = majority vote (R1 reports cons@64): the answers extracted from the n samples are normalised
 *   (`normalizeAnswer`) and the most frequent one is the problem's answer. Samples without an answer do not vote;
 *   a problem where none has one scores 0. **Ties** go to the answer that appears first in sample order, and the
 *   vote is judged by the first sample carrying the winning answer — deterministic for a given sample list;
 * - `answer_rate`: samples from which the judge extracted an answer;
 * - `format_rate`: samples in the R1 `<think>…</think><answer>…</answer>` format, i.e. those the `format` reward
 *   scores 1 (`extractAnswer` finds an answer);
 * - `mean_length`: mean completion length in tokens (when the sampler reports token counts).
 *
 * Rates are in [0, 1]. Every problem has the same n, so the means over samples are taken as one sum over all samples
 * divided by their number (exact for 0/1 values).
 */
import { extractAnswer } from "../reward/format.js";
import { normalizeAnswer } from "../reward/math/normalize.js";

/** Metric names (as in `summary.json`, `results.jsonl`, pipeline summaries). */
export const METRICS = Object.freeze({
  pass1: "pass@1",
  answerRate: "answer_rate",
  formatRate: "format_rate",
  meanLength: "mean_length",
});

/** `pass@k`. */
export const passAtKName = (k: number): string => `pass@${k}`;
/** `cons@n`. */
export const consName = (n: number): string => `cons@${n}`;

/** True for metrics that are shares in [0, 1] (shown as percentages); false for `mean_length`. */
export function isRateMetric(name: string): boolean {
  return name.includes("@") || name.endsWith("_rate");
}

/**
 * Unbiased pass@k from n samples with c correct (Codex eq. 1): 1 − C(n−c, k)/C(n, k), computed as the product
 * 1 − Π_{i=n−c+1}^{n} (1 − k/i) (numerically stable).
 */
export function passAtK(n: number, c: number, k: number): number {
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

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

/** One problem's samples and their judgement (a row of `results.jsonl`). */
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
  /** Completion tokens per sample, when the sampler reports them all. */
  tokens?: number[];
}

/** Per-problem result from its samples and their judgement. */
export function problemResult(
  p: { id: string; question: string; gold: string | null },
  samples: string[],
  answers: (string | null)[],
  correct: boolean[],
  tokens?: number[],
): ProblemResult {
  const vote = majorityVote(answers);
  const r: ProblemResult = {
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
  if (tokens !== undefined) r.tokens = tokens;
  return r;
}

/**
 * The metrics of problems that each have n samples, in this order: `pass@1`, `cons@n`, `pass@k` (k = 2…n),
 * `answer_rate`, `format_rate`, and `mean_length` when every result has token counts.
 */
export function summarize(results: readonly ProblemResult[]): Record<string, number> {
  const P = Math.max(1, results.length);
  const n = results[0]?.samples.length ?? 0;
  const samples = Math.max(1, results.reduce((s, r) => s + r.samples.length, 0));
  const perProblem = (f: (r: ProblemResult) => number) => results.reduce((s, r) => s + f(r), 0) / P;
  const perSample = (f: (r: ProblemResult) => number) => results.reduce((s, r) => s + f(r), 0) / samples;
  const out: Record<string, number> = { [METRICS.pass1]: perSample((r) => r.num_correct) };
  out[consName(n)] = perProblem((r) => Number(r.cons_correct));
  for (let k = 2; k <= n; k++) out[passAtKName(k)] = perProblem((r) => passAtK(r.samples.length, r.num_correct, k));
  out[METRICS.answerRate] = perSample((r) => r.answers.filter((a) => a !== null).length);
  out[METRICS.formatRate] = perSample((r) => r.samples.filter((s) => extractAnswer(s) !== null).length);
  if (results.length > 0 && results.every((r) => r.tokens !== undefined)) out[METRICS.meanLength] = perSample((r) => r.tokens!.reduce((a, b) => a + b, 0));
  return out;
}
