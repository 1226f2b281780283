/**
 * What a recipe stage is and returns, shared by the recipe runner (`run-recipe.ts`), the stage functions
 * (`stages.ts`) and the stage's child process (`stage-process.ts`, `stage-worker.ts`).
 */
import { ThinkrlError } from "../core/errors.js";
import type { RunLog } from "../core/log.js";
import type { StageType } from "./recipe.js";

/**
 * What a stage reports: eval and grpo stages their held-out metrics under the `eval/metrics.ts` names (`pass@1`,
 * `cons@n`, `pass@k`, `format_rate`, …; grpo: after RL, and `before/pass@1`, `before/format_rate`), sample stages
 * `rows`, sft stages `loss`, `steps`, `examples`, `evalLoss`.
 */
export type StageMetrics = Record<string, number | undefined>;

export interface StageResult {
  stage: string;
  type: StageType;
  /** `ran` (from the start), `resumed` (continued an interrupted run), `skipped` (already done). */
  status: "ran" | "resumed" | "skipped";
  /** Seconds this stage took when it ran (a skipped stage reports its original time). */
  seconds: number;
  outputs: Record<string, string>;
  metrics: StageMetrics;
}

/** What a stage function returns. */
export interface StageRun {
  outputs: Record<string, string>;
  metrics: StageMetrics;
  /** True when an interrupted run of this stage was continued. */
  resumed: boolean;
}

/** What a stage function gets besides its directory and options. */
export interface StageContext {
  log: RunLog;
  /** Stops at the next safe point (an sft or dpo step, a sampled prompt); the stage then throws `PipelineInterrupted`. */
  signal?: AbortSignal;
}

/** Interrupted by the caller's signal; rerunning the recipe continues. */
export class PipelineInterrupted extends ThinkrlError {}
