/**
 * The one evaluation function: problems → a `Sampler` (a local model, `LocalSampler`; an OpenAI-compatible
 * endpoint, `EndpointClient`; a scripted fake in tests) → a `Judge` → the R1-protocol metrics of `metrics.ts`.
 * `thinkrl train`'s held-out eval (`heldOutEval`), `thinkrl eval` (`runBenchmark`) and pipeline eval stages all
 * run through it. Loads no jax-js: an endpoint evaluation never starts the engine.
 */
import { ThinkrlError } from "../core/errors.js";
import type { SampleParams, Sampler } from "../rollout/sampler.js";
import type { Judge } from "./judge.js";
import { isRateMetric, problemResult, summarize, type ProblemResult } from "./metrics.js";
import type { EvalProblem } from "./problems.js";

export interface EvaluateOptions {
  /** n, samples per problem (R1: 4–64). */
  samples: number;
  /**
   * Sampling parameters of every sample (R1: `R1_EVAL_SAMPLING` and a completion budget). Leave `seed` out for a
   * local sampler whose generator should continue its own stream (`thinkrl train`'s eval).
   */
  params: SampleParams;
  /** Called as each problem's n samples are in (problems may finish out of order with an endpoint). */
  onProgress?: (doneProblems: number, total: number) => void;
  signal?: AbortSignal;
}

/** An evaluation's numbers (what `summary.json` files and training summaries hold). */
export interface EvalReport {
  /** Metric name (`metrics.ts`) → value: `pass@1`, `cons@n`, `pass@k`, `answer_rate`, `format_rate`, `mean_length`. */
  metrics: Record<string, number>;
  numProblems: number;
  /** n, samples per problem. */
  samples: number;
  seconds: number;
}

/** An evaluation's numbers and per-problem results (rows of `results.jsonl`). */
export interface EvalRun extends EvalReport {
  results: ProblemResult[];
}

/**
 * Samples `samples` completions per problem in one sampler call (the sampler batches or parallelises them itself),
 * judges them and summarises.
 * @throws ThinkrlError when the sampler returns the wrong number of samples; whatever the sampler throws
 */
export async function evaluate(problems: readonly EvalProblem[], sampler: Sampler, judge: Judge, o: EvaluateOptions): Promise<EvalRun> {
  const t0 = performance.now();
  const n = o.samples;
  if (!Number.isSafeInteger(n) || n < 1) throw new ThinkrlError(`evaluate: samples must be an integer ≥ 1 (got ${n})`);
  let done = 0;
  const outs = await sampler.sample(
    problems.map((p) => ({ question: p.question })),
    n,
    o.params,
    { onPrompt: () => o.onProgress?.(++done, problems.length), signal: o.signal },
  );
  if (outs.length !== problems.length || outs.some((r) => r.length !== n)) {
    throw new ThinkrlError(`evaluate: the sampler returned ${outs.map((r) => r.length).join(",")} samples for ${problems.length} problems × ${n}`);
  }
  const texts = outs.map((row) => row.map((s) => s.text));
  const j = await judge(problems, texts);
  const results = problems.map((p, i) => {
    const tokens = outs[i]!.map((s) => s.tokens);
    return problemResult(p, texts[i]!, j.answers[i]!, j.correct[i]!, tokens.every((t) => t !== undefined) ? (tokens as number[]) : undefined);
  });
  return { metrics: summarize(results), numProblems: problems.length, samples: n, seconds: (performance.now() - t0) / 1000, results };
}

/** The metrics as an aligned two-column text table (rates as percentages with one decimal). */
export function formatSummaryTable(title: string, metrics: Record<string, number>, extra: Record<string, string | number> = {}): string {
  const rows: [string, string][] = [
    ...Object.entries(extra).map(([k, v]) => [k, String(v)] as [string, string]),
    ...Object.entries(metrics).map(([k, v]) => [k, isRateMetric(k) ? `${(100 * v).toFixed(1)}%` : v.toFixed(1)] as [string, string]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v.padStart(7)}`)].join("\n");
}
