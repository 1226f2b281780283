/**
 * One training loop for every trainer (GRPO/REINFORCE, SFT, and the DPO/SVF trainers to come): steps, the evaluation
 * schedule, checkpoints, logging, resume bookkeeping and callbacks — TRL's `Trainer.train` loop with its
 * `TrainerCallback` events. Browser-safe: files go through `RunFiles` and checkpoints through `save`, so a Node run
 * directory (`run-dir.ts`), a browser page or a test can host it.
 *
 * Files it writes (through `RunFiles`): `metrics.jsonl` (one row per step; evaluation metrics merged into the row of
 * the step they ran after), `evals.jsonl` (every evaluation with its step and label), `completions.jsonl`.
 */
import { formatDuration, type RunLog } from "../core/log.js";

export type Metrics = Record<string, number>;

/** One evaluation: when, what, and its metrics. */
export interface EvalEntry {
  step: number;
  label: string;
  metrics: Metrics;
}

/** TRL-style callback events; every handler may be async (awaited in order). */
export interface TrainerCallback {
  /** After each step's row is written. */
  onStepEnd?(e: { step: number; maxSteps: number; metrics: Readonly<Metrics>; samples: readonly object[] }): void | Promise<void>;
  /** After each evaluation (in-loop or before/after training). */
  onEvaluate?(e: EvalEntry): void | Promise<void>;
  /** After a checkpoint is written. */
  onSave?(e: { step: number; dir: string }): void | Promise<void>;
  /** When the loop ends (also when interrupted). */
  onTrainEnd?(e: { step: number; interrupted: boolean }): void | Promise<void>;
}

/** Append/write of run files by name (`metrics.jsonl`, …). */
export interface RunFiles {
  append(name: string, text: string): Promise<void>;
  write(name: string, text: string): Promise<void>;
}

/** What the loop drives. */
export interface LoopTrainer {
  /** One step (1-based). `samples`: rows for `completions.jsonl` (may be empty). */
  step(step: number): Promise<{ metrics: Metrics; samples?: readonly object[] }>;
  /**
   * Extension point: the trainer's own JSON state for `trainer_state.json` (RNG, data cursor, epoch, a replay
   * buffer, per-problem success rates …), restored by the trainer itself on resume.
   */
  state(): Record<string, unknown>;
}

export interface TrainLoopOptions {
  trainer: LoopTrainer;
  files: RunFiles;
  log: RunLog;
  maxSteps: number;
  /** Last step already done (0, or the resumed checkpoint's step). */
  startStep: number;
  /** Checkpoint every N steps (0: only the last step). The last step is always saved. */
  saveSteps: number;
  /** Writes a checkpoint of `step` with the trainer state; returns its directory. */
  save(step: number, trainerState: Record<string, unknown>): Promise<string>;
  /** Evaluate every N steps (0 = never inside the loop). */
  evalSteps?: number;
  /** Also evaluate after the last step (SFT's eval loss); GRPO evaluates "after RL" outside the loop. */
  evalAtLastStep?: boolean;
  /** Runs one evaluation; its metrics are merged into the step's row (prefix them: `eval_loss`, `eval/pass@1`). */
  evaluate?(step: number): Promise<Metrics>;
  /** Write `completions.jsonl` rows every N steps (0 = never). */
  logCompletionsSteps?: number;
  /** Keep a persistent step line every N steps (and at the first and last); the rest are live progress. Default 10. */
  loggingSteps?: number;
  /** The step line's text (metrics it shows). */
  describe(metrics: Readonly<Metrics>): string;
  callbacks?: readonly TrainerCallback[];
  /** Seconds trained by earlier processes of this run (resume), and their evaluations. */
  resumed?: { seconds: number };
  /** Stop after the current step (its checkpoint is written first); `interrupted` is then true. */
  signal?: AbortSignal;
}

export interface TrainLoopResult {
  /** Last step done. */
  step: number;
  interrupted: boolean;
  /** Training seconds of the whole run (earlier processes included). */
  seconds: number;
  /** Metrics of the last step run by this process (null when none ran). */
  last: Metrics | null;
  /** Directory of the last checkpoint written (null when none). */
  lastCheckpoint: string | null;
}

/** `trainer_state.json` key the loop keeps its own seconds under. */
export const LOOP_SECONDS_KEY = "train_seconds";

/**
 * Runs steps `startStep + 1 … maxSteps`.
 * @throws whatever the trainer, evaluation or save throws (the run stops; `--resume` continues from the last
 *   checkpoint)
 */
/** Whether step `step` of `maxSteps` writes completions: every `n`-th step and the last one (`n` 0 or unset: never). */
export function logsCompletions(n: number | undefined, step: number, maxSteps: number): boolean {
  return n !== undefined && n > 0 && (step % n === 0 || step === maxSteps);
}

export async function trainLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  const t0 = performance.now();
  const seconds = () => (o.resumed?.seconds ?? 0) + (performance.now() - t0) / 1000;
  const every = (n: number | undefined, step: number) => n !== undefined && n > 0 && step % n === 0;
  const cbs = o.callbacks ?? [];
  const emit = async <K extends keyof TrainerCallback>(k: K, e: Parameters<NonNullable<TrainerCallback[K]>>[0]) => {
    for (const cb of cbs) await (cb[k] as ((x: typeof e) => void | Promise<void>) | undefined)?.call(cb, e);
  };
  const logEvery = o.loggingSteps ?? 10;
  let last: Metrics | null = null;
  let lastCheckpoint: string | null = null;
  let step = o.startStep;
  let interrupted = false;
  while (step < o.maxSteps) {
    step++;
    const { metrics, samples = [] } = await o.trainer.step(step);
    const row: Metrics = { ...metrics };
    if (o.evaluate && (every(o.evalSteps, step) || (o.evalAtLastStep && step === o.maxSteps))) {
      const ev = await o.evaluate(step);
      Object.assign(row, ev);
      const entry: EvalEntry = { step, label: `step ${step}`, metrics: ev };
      await o.files.append(EVALS_FILE, JSON.stringify({ step, label: entry.label, ...ev }) + "\n");
      await emit("onEvaluate", entry);
    }
    await o.files.append("metrics.jsonl", JSON.stringify(row) + "\n");
    // Every N-th step and the last one, so a run shorter than N steps can still be browsed.
    if (logsCompletions(o.logCompletionsSteps, step, o.maxSteps) && samples.length > 0) {
      await o.files.append("completions.jsonl", samples.map((s) => JSON.stringify({ step, ...s })).join("\n") + "\n");
    }
    last = row;
    const done = step - o.startStep;
    const elapsed = (performance.now() - t0) / 1000;
    const eta = (elapsed / done) * (o.maxSteps - step);
    const line = `step ${step}/${o.maxSteps}  ${o.describe(row)}  [${formatDuration(seconds())} elapsed, ETA ${formatDuration(eta)}]`;
    if (step === o.startStep + 1 || step === o.maxSteps || every(logEvery, step)) o.log.info(line);
    else o.log.progress(line);
    await emit("onStepEnd", { step, maxSteps: o.maxSteps, metrics: row, samples });
    interrupted = o.signal?.aborted === true && step < o.maxSteps;
    if (every(o.saveSteps, step) || step === o.maxSteps || interrupted) {
      lastCheckpoint = await o.save(step, { ...o.trainer.state(), [LOOP_SECONDS_KEY]: seconds() });
      o.log.info(`saved ${lastCheckpoint}`);
      await emit("onSave", { step, dir: lastCheckpoint });
    }
    if (interrupted) break;
  }
  await emit("onTrainEnd", { step, interrupted });
  return { step, interrupted, seconds: seconds(), last, lastCheckpoint };
}

/** Every evaluation of a run, one JSON row each: `{step, label, ...metrics}`. */
export const EVALS_FILE = "evals.jsonl";

/** Appends an evaluation done outside the loop (e.g. before/after RL) to `evals.jsonl` and tells the callbacks. */
export async function recordEvaluation(files: RunFiles, e: EvalEntry, callbacks: readonly TrainerCallback[] = []): Promise<void> {
  await files.append(EVALS_FILE, JSON.stringify({ step: e.step, label: e.label, ...e.metrics }) + "\n");
  for (const cb of callbacks) await cb.onEvaluate?.(e);
}

/**
 * Warns once when a run has no learning signal (DESIGN.md, "Recurring user problems"): every group's rewards equal
 * (`frac_reward_zero_std` = 1: zero advantages, the optimizer never steps), or every completion truncated
 * (`completions/clipped_ratio` = 1), for `patience` consecutive steps.
 */
export function learningSignalWatch(log: RunLog, o: { patience?: number; maxCompletionLength: number }): TrainerCallback {
  const patience = o.patience ?? 3;
  let zeroStd = 0;
  let truncated = 0;
  let warnedZero = false;
  let warnedTrunc = false;
  return {
    onStepEnd({ metrics: m }) {
      // REINFORCE learns from equal rewards (r = ±1, no baseline; one rollout per prompt is a zero-std "group"):
      // no signal means no gradient too.
      zeroStd = m.frac_reward_zero_std === 1 && !((m.grad_norm ?? 0) > 0) ? zeroStd + 1 : 0;
      truncated = m["completions/clipped_ratio"] === 1 ? truncated + 1 : 0;
      if (truncated >= patience && !warnedTrunc) {
        warnedTrunc = true;
        log.info(
          `warning: every completion of the last ${truncated} steps hit maxCompletionLength ${o.maxCompletionLength}: ` +
            `rewards cannot tell them apart; raise --max-completion-length or check the model ends its answers (EOS / stop strings)`,
        );
      }
      if (zeroStd >= patience && !warnedZero) {
        warnedZero = true;
        log.info(
          `warning: no learning signal for ${zeroStd} steps — every group's rewards are equal (frac_reward_zero_std 100%), ` +
            `so advantages are 0 and the optimizer does not step; the task may be too hard or too easy for the model, ` +
            `or a reward cannot parse the completions (look at them: --log-completions-steps 1 writes completions.jsonl every step)`,
        );
      }
    },
  };
}
