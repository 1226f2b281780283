/**
 * Evaluation defaults, in one place: the R1 sampling settings and `thinkrl eval`'s defaults. Types only and
 * constants (no imports but `core/`), so the CLI can show them in its help without loading anything.
 */

/**
 * R1's evaluation sampling (`core/r1.ts`): the default of every evaluation (`thinkrl eval`, pipeline eval stages), of
 * rejection sampling and of `thinkrl generate` when the model's generation_config.json sets none.
 */
export { R1_EVAL_SAMPLING } from "../core/r1.js";
import { R1_EVAL_SAMPLING } from "../core/r1.js";

/** R1's maximum generation length (R1 §3.1: 32,768 tokens): the completion budget for an endpoint. */
export const R1_MAX_COMPLETION_LENGTH = 32_768;

/**
 * Sampling-seed offset of held-out evaluation: `thinkrl train`'s eval and `thinkrl eval` on the same model, task and
 * seed draw the same samples (and before/after RL use the same noise stream).
 */
export const EVAL_SEED_OFFSET = 20_000;

/** Defaults of a benchmark run (`thinkrl eval`, pipeline `eval` stages); see `BenchmarkConfig` for each field. */
export const BENCHMARK_DEFAULTS = Object.freeze({
  dataset: "arithmetic",
  layout: "auto" as const,
  evalSamples: 4,
  ...R1_EVAL_SAMPLING,
  /** Local model: the embedded model's completion length (as `thinkrl train`'s `maxCompletionLength`). */
  maxCompletionLengthLocal: 48,
  /** Endpoint: R1's maximum generation length. */
  maxCompletionLengthEndpoint: R1_MAX_COMPLETION_LENGTH,
  /** Built-in tasks: held-out problems (as `thinkrl train`'s `numEvalProblems`); files: every row. */
  numEvalProblemsTask: 256,
  batchSize: 256,
  seed: 0,
});
