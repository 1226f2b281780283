/**
 * Supervised fine-tuning (`thinkrl sft`): the R1 cold start (DeepSeek-R1 §2.3.1), the rejection-sampling SFT of
 * stage 3 (§2.3.3) and distillation (§2.4) are all this loop — token-mean NLL on completion tokens only, AdamW,
 * length-grouped batches, `eval_loss` on a held-out split, resumable checkpoints.
 *
 * Run directory: `config.json` (resolved `SftConfig`), `metrics.jsonl` (one row per step: `loss`, `learning_rate`,
 * `grad_norm`, `tokens_per_second`, `num_tokens`, `epoch`, `step_seconds`, and `eval_loss` on eval steps),
 * `checkpoint-<step>/` (model + `optimizer.safetensors` + `trainer_state.json` with epoch, batch cursor and RNG
 * state), `final/` (the trained model, a Hugging Face directory) and `summary.json`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SftExample } from "../data/formats/sft.js";
import { Rng } from "../core/rng.js";
import type { PromptFormat } from "../data/template.js";
import { ConfigError } from "../core/errors.js";
import { plural, type RunLog } from "../core/log.js";
import type { CausalLM } from "../model/causal-lm.js";
import { learningRateAt } from "./config.js";
import { Learner, type TrainableBinding } from "./learner.js";
import { nll } from "../rl/losses/nll.js";
import { encodeSftExample, EpochBatcher, sftEndTokenId, sftEvalLoss, sftStep, type EpochCursorState, type SftTokens } from "./sft-batch.js";
import { LENGTH_WINDOW_BATCHES, type SftConfig } from "./sft-config.js";
import { trainLoop, type LoopTrainer, type TrainerCallback } from "./loop.js";
import { nodeRunFiles } from "./run-dir.js";
import { saveModel, saveRunCheckpoint, startEpochRun } from "./state.js";

/** @deprecated the shared `RunLog` (`core/log.ts`). */
export type SftLog = RunLog;

export interface SftSummary {
  outputDir: string;
  /** Directory of the trained model (Hugging Face layout). */
  finalModel: string;
  steps: number;
  trainExamples: number;
  evalExamples: number;
  /** Examples cut to `maxLength` / dropped because the prompt alone reached it. */
  truncated: number;
  dropped: number;
  /** True when `signal` stopped the run early (no `final/`). */
  interrupted: boolean;
  /** Loss of the last step and eval loss at the end (NaN without an eval split). */
  loss: number;
  evalLoss: number;
  seconds: number;
}

/** Seed offset of the eval split, so the split does not move with the shuffling stream. */
const EVAL_SPLIT_SEED = 10_000;

/**
 * Tokenises examples (`encodeSftExample`): prompt rendered with `format` (BOS where the model wants it), completion
 * + the end token (`sftEndTokenId`: the chat template's end-of-turn token for `chat`, else EOS), cut on the right
 * to `maxLength` tokens. Examples whose prompt alone reaches `maxLength` are dropped.
 * @throws ConfigError when the completion would end with EOS and the model has none
 */
export function tokenizeSft(model: CausalLM, examples: SftExample[], format: PromptFormat, maxLength: number): { rows: SftTokens[]; truncated: number; dropped: number } {
  const end = sftEndTokenId(model, format);
  const rows: SftTokens[] = [];
  let truncated = 0;
  let dropped = 0;
  for (const ex of examples) {
    const { prompt, completion } = encodeSftExample(model, format, ex.prompt, ex.completion, end);
    if (prompt.length >= maxLength) {
      dropped++;
      continue;
    }
    if (prompt.length + completion.length > maxLength) truncated++;
    rows.push({ prompt, completion: completion.slice(0, maxLength - prompt.length) });
  }
  return { rows, truncated, dropped };
}

/** Seeded split: `round(n · frac)` rows (≥ 1 when frac > 0) for evaluation, the rest for training. */
export function splitEval<T>(rows: T[], frac: number, seed: number): { train: T[]; eval: T[] } {
  if (frac <= 0 || rows.length < 2) return { train: rows, eval: [] };
  const order = new Rng(seed + EVAL_SPLIT_SEED).shuffle(rows.map((_, i) => i));
  const n = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * frac)));
  const ev = new Set(order.slice(0, n));
  return { train: rows.filter((_, i) => !ev.has(i)), eval: rows.filter((_, i) => ev.has(i)) };
}

/** What `trainer_state.json` holds besides `global_step` (and the loop's `train_seconds`). */
interface SftTrainerState extends EpochCursorState {
  /** Loss of the last step trained (the summary's `loss` when a finished run is resumed). */
  last_loss?: number;
}

/** SFT as a `LoopTrainer`: epochs of length-grouped batches, one optimizer step each. */
class SftTrainer implements LoopTrainer {
  readonly #batches: EpochBatcher;
  #lastLoss: number | undefined;

  constructor(
    readonly learner: Learner,
    readonly train: SftTokens[],
    readonly c: Readonly<SftConfig>,
    rng: Rng,
    readonly lrAt: (step: number) => number,
    st: SftTrainerState,
  ) {
    const { last_loss, ...cursor } = st;
    this.#lastLoss = last_loss;
    this.#batches = new EpochBatcher(train.map((r) => r.prompt.length + r.completion.length), c.batchSize, c.groupByLength, rng, cursor, LENGTH_WINDOW_BATCHES);
  }

  get st(): SftTrainerState {
    return { ...this.#batches.st, last_loss: this.#lastLoss };
  }

  async step(step: number): Promise<{ metrics: Record<string, number> }> {
    const ts = performance.now();
    const batch = this.#batches.current();
    const lr = this.lrAt(step);
    const r = await sftStep(this.learner, batch.map((i) => this.train[i]!), this.c.microBatchSize, lr);
    this.#lastLoss = r.loss;
    const epoch = this.#batches.advance();
    const dt = (performance.now() - ts) / 1000;
    const metrics = {
      step,
      epoch,
      loss: r.loss,
      learning_rate: lr,
      grad_norm: r.gradNorm,
      num_tokens: r.tokens,
      tokens_per_second: r.tokens / dt,
      step_seconds: dt,
    };
    return { metrics };
  }

  state(): Record<string, unknown> {
    return { ...this.st };
  }
}

export interface SftRunOptions {
  model: CausalLM;
  examples: SftExample[];
  format: PromptFormat;
  config: Readonly<SftConfig>;
  /**
   * The generation_config.json object `model` was loaded with (`LoadedModel.generationConfigJson`): checkpoints and
   * `final/` keep its sampling defaults (EOS ids come from `model.config`). Default: a minimal one.
   */
  generationConfig?: unknown;
  log: SftLog;
  /** Checkpoint to continue from (`listCheckpoints(outputDir)`'s last); `model` must already hold its weights. */
  resumeFrom?: { step: number; dir: string } | null;
  /** Each step's metrics row, after it is logged. */
  onStep?: (row: Readonly<Record<string, number>>) => void;
  /** Subscribers to step, evaluation and checkpoint events. */
  callbacks?: readonly TrainerCallback[];
  /** Stop after the current step (e.g. Ctrl-C): no final model then; `--resume` continues from the last checkpoint. */
  signal?: AbortSignal;
  /**
   * What trains (default: all of `model`'s weights): e.g. a LoRA adapter's binding, `model` then being its merged
   * policy; `files(step)` are the adapter's files, written inside every checkpoint and `final/` (relative paths).
   */
  trainable?: { binding: TrainableBinding; files(step: number): Promise<Record<string, string | Uint8Array>> };
}

/** Trains `model` in place and writes the run directory (`train/loop.ts`: metrics.jsonl, evals.jsonl, checkpoints). */
export async function runSft(o: SftRunOptions): Promise<SftSummary> {
  const { model, config: c, log } = o;
  const tok = tokenizeSft(model, o.examples, o.format, c.maxLength);
  if (tok.rows.length === 0) throw new ConfigError(`no example fits in maxLength ${c.maxLength} (all ${tok.dropped} prompts are longer)`);
  if (tok.truncated + tok.dropped > 0) log.info(`note: ${plural(tok.truncated, "example")} cut to ${c.maxLength} tokens, ${tok.dropped} dropped (prompt alone too long)`);
  const { train, eval: evalRows } = splitEval(tok.rows, c.evalSplit, c.seed);
  const perEpoch = Math.ceil(train.length / c.batchSize);
  const maxSteps = perEpoch * c.epochs;
  const runDir = c.outputDir;
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, "config.json"), JSON.stringify(c, null, 1));

  const learner = new Learner(model, nll, { beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEpsilon, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm }, o.trainable ? { binding: o.trainable.binding } : {});
  const adapterFiles = async (s: number) => (o.trainable ? o.trainable.files(s) : {});
  const rng = new Rng(c.seed);
  const { step, st, resumedSeconds } = await startEpochRun(o.resumeFrom, learner, runDir, rng);
  if (o.resumeFrom) {
    log.info(`resuming from ${o.resumeFrom.dir} (step ${step}, epoch ${st.epoch + 1}, batch ${st.cursor}/${perEpoch})`);
  }
  log.info(`SFT: ${train.length} train / ${plural(evalRows.length, "eval example")}, ${plural(c.epochs, "epoch")} × ${plural(perEpoch, "step")} of ${c.batchSize}`);

  const trainer = new SftTrainer(learner, train, c, rng, (s) => learningRateAt({ ...c, maxSteps }, s), st);
  let evalLoss = NaN;
  let evaluatedAt = -1;
  const evaluate = async (s: number) => {
    evalLoss = await sftEvalLoss(model, evalRows, c.microBatchSize);
    evaluatedAt = s;
    return { eval_loss: evalLoss };
  };
  const loop = await trainLoop({
    trainer,
    files: nodeRunFiles(runDir),
    log,
    maxSteps,
    startStep: step,
    saveSteps: c.saveSteps,
    save: async (s, state) => saveRunCheckpoint(runDir, s, model, learner.state, state, c.saveTotalLimit, o.generationConfig, await adapterFiles(s)),
    evalSteps: c.evalSteps,
    evalAtLastStep: true,
    evaluate: evalRows.length > 0 ? evaluate : undefined,
    describe: (m) => `loss ${m.loss!.toFixed(4)}${m.eval_loss === undefined ? "" : `  eval_loss ${m.eval_loss.toFixed(4)}`}  lr ${m.learning_rate!.toExponential(2)}`,
    callbacks: [...(o.onStep ? [{ onStepEnd: (e: { metrics: Readonly<Record<string, number>> }) => o.onStep!(e.metrics) }] : []), ...(o.callbacks ?? [])],
    resumed: { seconds: resumedSeconds },
    signal: o.signal,
  });
  const summary0 = { outputDir: runDir, steps: loop.step, trainExamples: train.length, evalExamples: evalRows.length, truncated: tok.truncated, dropped: tok.dropped, loss: loop.last?.loss ?? trainer.st.last_loss ?? NaN };
  if (loop.interrupted) {
    learner.dispose();
    log.info(`stopped after step ${loop.step}; continue with --resume ${runDir}`);
    return { ...summary0, finalModel: "", interrupted: true, evalLoss, seconds: loop.seconds };
  }
  if (evalRows.length > 0 && evaluatedAt !== loop.step) evalLoss = await sftEvalLoss(model, evalRows, c.microBatchSize);
  learner.dispose();
  const finalModel = join(runDir, "final");
  await saveModel(finalModel, model, o.generationConfig, await adapterFiles(loop.step));
  const summary: SftSummary = { ...summary0, finalModel, interrupted: false, evalLoss, seconds: loop.seconds };
  await writeFile(join(runDir, "summary.json"), JSON.stringify(summary, null, 1));
  return summary;
}
