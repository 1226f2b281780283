/**
 * The metrics row of one RL step, TRL's names (`reward`, `frac_reward_zero_std`, `clip_ratio/*`, `completions/*`,
 * `rewards/<fn>/mean`, …) assembled from what the step produced — kept out of the step so it reads as the algorithm.
 */
import { EngineError } from "../core/errors.js";
import type { AdvantageResult } from "../rl/advantages.js";
import type { Completion } from "../rollout/generate.js";
import type { MicroMetrics } from "./learner.js";

export type StepMetrics = Record<string, number>;

const mean = (a: readonly number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);

export interface StepRecord {
  step: number;
  completions: readonly Completion[];
  adv: AdvantageResult;
  perFn: Readonly<Record<string, readonly (number | null)[]>>;
  /** First-epoch micro-batch sums (`Learner.update`) and the completion tokens they cover. */
  sums: MicroMetrics;
  tokens: number;
  gradNorm: number;
  /** Optimizer steps this iteration took (μ × mini-batches that had rows). */
  optimizerSteps?: number;
  learningRate: number;
  /** Rows that entered the loss. */
  lossRows: number;
  /** Phase timings (s). */
  times: Readonly<Record<string, number>>;
  seconds: number;
  /** Phrases counted by the `aha/*` metrics (default `REFLECTION_PHRASES`; [] = no `aha/*` metrics). */
  reflectionPhrases?: readonly string[];
}

/**
 * Phrases of reflection — the "aha moment" of R1-Zero (DeepSeek-R1 §2.2.4: the model learns to "re-evaluate its
 * initial approach", "Wait, wait. Wait. That's an aha moment"). Matched case-insensitively as whole words.
 */
export const REFLECTION_PHRASES: readonly string[] = Object.freeze(["wait", "let me check", "let me verify", "let me re-check", "re-check", "recheck", "double-check", "verify", "re-evaluate", "reconsider", "hmm"]);

/** Reward functions whose score ≥ 1 means a correct answer (for the accuracy split of `aha/*`), in order of preference. */
const CORRECTNESS_REWARDS = ["accuracy", "math_accuracy"];

/**
 * The "aha" statistics over all rollouts of a step: `aha/reflection_ratio` (share of completions with a reflection
 * phrase) and, when a correctness reward scored them, `aha/accuracy_with_reflection` / `aha/accuracy_without_reflection`
 * (each only when that subset is not empty).
 * @param correct per completion: correct, wrong, or null (unscored)
 */
export function reflectionMetrics(texts: readonly string[], correct: readonly (boolean | null)[], phrases: readonly string[] = REFLECTION_PHRASES): StepMetrics {
  const esc = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");
  const re = phrases.length > 0 ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${phrases.map(esc).join("|")})(?![\\p{L}\\p{N}])`, "iu") : null;
  const has = texts.map((t) => re !== null && re.test(t));
  const m: StepMetrics = { "aha/reflection_ratio": mean(has.map(Number)) };
  const acc = (want: boolean) => {
    const c = correct.filter((x, i): x is boolean => x !== null && has[i] === want);
    return c.length > 0 ? mean(c.map(Number)) : undefined;
  };
  const w = acc(true);
  const wo = acc(false);
  if (w !== undefined) m["aha/accuracy_with_reflection"] = w;
  if (wo !== undefined) m["aha/accuracy_without_reflection"] = wo;
  return m;
}

/**
 * @returns the metrics row (per-token means are sums ÷ completion tokens in the loss)
 * @throws EngineError when a metric is not finite (the run must stop)
 */
export function rlStepMetrics(r: StepRecord): StepMetrics {
  const perTok = (k: string) => (r.tokens ? (r.sums[k] ?? 0) / r.tokens : 0);
  const genTokens = r.completions.reduce((n, x) => n + x.ids.length, 0);
  const m: StepMetrics = {
    step: r.step,
    loss: r.sums.loss,
    reward: mean(r.adv.rewards),
    reward_std: mean(r.adv.groupStd),
    frac_reward_zero_std: r.adv.fracZeroStd,
    num_null_rewards: r.adv.numNull,
    kl: perTok("klSum"),
    entropy: perTok("entropySum"),
    "clip_ratio/low_mean": perTok("clipLowSum"),
    "clip_ratio/high_mean": perTok("clipHighSum"),
    "clip_ratio/region_mean": perTok("clipRegionSum"),
    "completions/mean_length": mean(r.completions.map((x) => x.ids.length)),
    "completions/min_length": r.completions.length ? Math.min(...r.completions.map((x) => x.ids.length)) : 0,
    "completions/max_length": r.completions.length ? Math.max(...r.completions.map((x) => x.ids.length)) : 0,
    "completions/clipped_ratio": mean(r.completions.map((x) => Number(x.finishReason === "length"))),
    grad_norm: r.gradNorm,
    learning_rate: r.learningRate,
    num_loss_sequences: r.lossRows,
    tokens_per_second: genTokens / Math.max(1e-9, r.times.generate ?? 0),
    step_seconds: r.seconds,
  };
  // Kimi OMD (§2.3.2): per-sample means over the first pass — (τ/2)·Δ² and |Δ|, Δ = log π_θ(y)/π_θi(y) summed over y.
  if (r.sums.omdRowCount !== undefined) {
    const rows = Math.max(1, r.sums.omdRowCount);
    m["omd/regularizer"] = (r.sums.omdRegRowSum ?? 0) / rows;
    m["omd/abs_log_ratio"] = (r.sums.omdAbsLogRatioRowSum ?? 0) / rows;
  }
  if (r.optimizerSteps !== undefined) m.optimizer_steps = r.optimizerSteps;
  for (const [name, vals] of Object.entries(r.perFn)) m[`rewards/${name}/mean`] = mean(vals.filter((v): v is number => v !== null));
  if (r.perFn.accuracy) m.accuracy = m["rewards/accuracy/mean"]!;
  for (const [k, v] of Object.entries(r.times)) m[`time/${k}`] = v;
  const judged = CORRECTNESS_REWARDS.map((n) => r.perFn[n]).find((v) => v !== undefined);
  const correct = r.completions.map((_, i) => (judged?.[i] === null || judged?.[i] === undefined ? null : judged[i]! >= 1));
  if (r.reflectionPhrases?.length !== 0) Object.assign(m, reflectionMetrics(r.completions.map((x) => x.text), correct, r.reflectionPhrases));
  for (const [k, v] of Object.entries(m)) if (!Number.isFinite(v)) throw new EngineError(`step ${r.step}: metric ${k} is ${v}`);
  return m;
}
