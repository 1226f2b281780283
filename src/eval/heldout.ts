/**
 * Held-out evaluation of a local model during training (`thinkrl train`: before RL, every `evalSteps`, after RL):
 * `evaluate` with a `LocalSampler` over the model and the `accuracy` reward as the judge, so the numbers are those of
 * `thinkrl eval` on the same task, model and seed.
 */
import { plural } from "../core/log.js";
import type { Rng } from "../core/rng.js";
import type { PromptItem } from "../data/source.js";
import type { PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import { LocalSampler } from "../rollout/local-sampler.js";
import { evaluate, type EvalReport, type EvalRun } from "./evaluate.js";
import { accuracyJudge } from "./judge.js";
import { METRICS, passAtKName } from "./metrics.js";
import { fromPromptItems } from "./problems.js";

export interface HeldOutOptions {
  /** n, samples per problem (`TrainConfig.evalSamples`). */
  samples: number;
  /** Sampling temperature (`TrainConfig.evalTemperature`; R1: `R1_EVAL_SAMPLING`). */
  temperature: number;
  /** Nucleus top-p (`TrainConfig.evalTopP`). */
  topP: number;
  /** Completion budget in tokens (`TrainConfig.maxCompletionLength`). */
  maxCompletionLength: number;
  format: PromptFormat;
  /** Sequences per `generate` call (memory). Default 256. */
  batchSize?: number;
  onProgress?: (doneProblems: number, total: number) => void;
}

/**
 * Evaluates `model` on `problems` (each with `samples` completions, top-k off, the format's stop strings).
 * @param rng the sampling generator, advanced in place (`thinkrl train` passes `new Rng(seed + EVAL_SEED_OFFSET)`)
 * @returns the metrics of `metrics.ts` (no per-problem results: training keeps only the numbers)
 */
export async function heldOutEval(model: CausalLM, problems: readonly PromptItem[], o: HeldOutOptions, rng: Rng): Promise<EvalReport> {
  const { results: _results, ...report } = await localEval(model, problems, o, rng);
  return report;
}

function localEval(model: CausalLM, problems: readonly PromptItem[], o: HeldOutOptions, rng: Rng): Promise<EvalRun> {
  const sampler = new LocalSampler({ model, format: o.format, rng, batchSize: o.batchSize ?? 256, modelName: "policy" });
  return evaluate(fromPromptItems(problems), sampler, accuracyJudge, {
    samples: o.samples,
    params: { temperature: o.temperature, topP: o.topP, maxTokens: o.maxCompletionLength },
    onProgress: o.onProgress,
  });
}

/**
 * Each problem's pass rate under `model`: the share of its `samples` completions the `accuracy` reward judges right.
 * Kimi k1.5 §2.3.4 measures a problem's difficulty this way (10 samples at a high temperature; difficulty = 1 − rate).
 * @returns `[problems.length]` rates in [0, 1]
 */
export async function passRates(model: CausalLM, problems: readonly PromptItem[], o: HeldOutOptions, rng: Rng): Promise<number[]> {
  const run = await localEval(model, problems, o, rng);
  return run.results.map((r) => r.num_correct / Math.max(1, r.samples.length));
}

/**
 * `pass@1 23.5%  pass@4 39.8%  format 99.9%  (256 held-out problems × 4 samples, 13 s)`.
 * @param set what the problems are (default `held-out problems`)
 */
export function describeEval(r: EvalReport, set = "held-out problems"): string {
  const pct = (name: string) => `${(100 * (r.metrics[name] ?? NaN)).toFixed(1)}%`;
  return (
    `pass@1 ${pct(METRICS.pass1)}  ${r.samples > 1 ? `pass@${r.samples} ${pct(passAtKName(r.samples))}  ` : ""}` +
    `format ${pct(METRICS.formatRate)}  (${r.numProblems} ${r.numProblems === 1 ? set.replace("problems", "problem") : set} × ${plural(r.samples, "sample")}, ${r.seconds.toFixed(0)} s)`
  );
}

/**
 * A held-out eval saved in a run's `trainer_state.json` (`eval_before`), read back on resume: an `EvalReport`, or
 * the fields runs saved before the metrics were unified (`pass1`, `passAtK` = pass@n, `formatRate`,
 * `meanLength`), renamed. Undefined when there is none.
 */
export function savedEvalReport(saved: unknown): EvalReport | undefined {
  if (typeof saved !== "object" || saved === null) return undefined;
  const s = saved as Record<string, unknown>;
  if (typeof s.metrics === "object" && s.metrics !== null) return s as unknown as EvalReport;
  if (typeof s.pass1 !== "number" || typeof s.samples !== "number") return undefined;
  const metrics: Record<string, number> = { [METRICS.pass1]: s.pass1 };
  if (typeof s.passAtK === "number" && s.samples > 1) metrics[passAtKName(s.samples)] = s.passAtK;
  if (typeof s.formatRate === "number") metrics[METRICS.formatRate] = s.formatRate;
  if (typeof s.meanLength === "number") metrics[METRICS.meanLength] = s.meanLength;
  return { metrics, numProblems: Number(s.numProblems), samples: s.samples, seconds: Number(s.seconds) };
}
