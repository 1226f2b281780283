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
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SftExample } from "../data/formats/sft.js";
import { Rng } from "../core/rng.js";
import type { PromptFormat } from "../data/template.js";
import { ConfigError } from "../core/errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import { learningRateAt } from "./config.js";
import { Learner } from "./learner.js";
import { nll } from "../rl/losses/nll.js";
import { encodeSftExample, epochBatches, sftEndTokenId, sftEvalLoss, sftStep, type SftTokens } from "./sft-batch.js";
import { LENGTH_WINDOW_BATCHES, type SftConfig } from "./sft-config.js";
import { loadOptimizerState, readTrainerState, saveModel, saveRunCheckpoint } from "./state.js";

export interface SftLog {
  info(msg: string): void;
  /** Transient progress (a terminal line that is overwritten). */
  progress(msg: string): void;
}

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

/** What `trainer_state.json` holds besides `global_step`. */
interface SftTrainerState {
  epoch: number;
  /** Batches of the current epoch already trained on. */
  cursor: number;
  /** RNG state at the start of the current epoch (its batch plan is redrawn from it on resume). */
  epoch_rng_state: number[];
  sft_seconds: number;
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
  /** Stop after the current step (e.g. Ctrl-C): no final model then; `--resume` continues from the last checkpoint. */
  signal?: AbortSignal;
}

/** Trains `model` in place and writes the run directory. */
export async function runSft(o: SftRunOptions): Promise<SftSummary> {
  const { model, config: c, log } = o;
  const tok = tokenizeSft(model, o.examples, o.format, c.maxLength);
  if (tok.rows.length === 0) throw new ConfigError(`no example fits in maxLength ${c.maxLength} (all ${tok.dropped} prompts are longer)`);
  if (tok.truncated + tok.dropped > 0) log.info(`note: ${tok.truncated} examples cut to ${c.maxLength} tokens, ${tok.dropped} dropped (prompt alone too long)`);
  const { train, eval: evalRows } = splitEval(tok.rows, c.evalSplit, c.seed);
  const lengths = train.map((r) => r.prompt.length + r.completion.length);
  const perEpoch = Math.ceil(train.length / c.batchSize);
  const maxSteps = perEpoch * c.epochs;
  const lrAt = (step: number) => learningRateAt({ ...c, maxSteps }, step);
  const runDir = c.outputDir;
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, "config.json"), JSON.stringify(c, null, 1));
  const metricsPath = join(runDir, "metrics.jsonl");

  const up = new Learner(model, nll, { beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEpsilon, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm });
  const rng = new Rng(c.seed);
  let st: SftTrainerState = { epoch: 0, cursor: 0, epoch_rng_state: rng.getState(), sft_seconds: 0 };
  let step = 0;
  if (o.resumeFrom) {
    const saved = await readTrainerState(o.resumeFrom.dir);
    step = saved.global_step;
    st = saved as unknown as SftTrainerState;
    up.state = await loadOptimizerState(o.resumeFrom.dir, up.state);
    // Rows logged after the checkpoint by the interrupted process are recomputed identically: drop them.
    const old = await readFile(metricsPath, "utf8").catch(() => "");
    const keep = old.split("\n").filter((l) => l.trim() && (JSON.parse(l) as { step: number }).step <= step);
    await writeFile(metricsPath, keep.map((l) => l + "\n").join(""));
    log.info(`resuming from ${o.resumeFrom.dir} (step ${step}, epoch ${st.epoch + 1}, batch ${st.cursor}/${perEpoch})`);
  }
  log.info(`SFT: ${train.length} train / ${evalRows.length} eval examples, ${c.epochs} epochs × ${perEpoch} steps of ${c.batchSize}`);

  const t0 = performance.now();
  const seconds = () => st.sft_seconds + (performance.now() - t0) / 1000;
  let lastLoss = NaN;
  let evalLoss = NaN;
  let evaluatedAt = -1;
  for (; st.epoch < c.epochs; st = { ...st, epoch: st.epoch + 1, cursor: 0, epoch_rng_state: rng.getState() }) {
    rng.setState(st.epoch_rng_state);
    const plan = epochBatches(lengths, c.batchSize, rng, c.groupByLength, LENGTH_WINDOW_BATCHES);
    for (; st.cursor < plan.length; ) {
      const ts = performance.now();
      step++;
      const lr = lrAt(step);
      const r = await sftStep(up, plan[st.cursor]!.map((i) => train[i]!), c.microBatchSize, lr);
      st.cursor++;
      const dt = (performance.now() - ts) / 1000;
      lastLoss = r.loss;
      const row: Record<string, number> = {
        step,
        epoch: st.epoch + st.cursor / plan.length,
        loss: r.loss,
        learning_rate: lr,
        grad_norm: r.gradNorm,
        num_tokens: r.tokens,
        tokens_per_second: r.tokens / dt,
        step_seconds: dt,
      };
      if (evalRows.length > 0 && ((c.evalSteps > 0 && step % c.evalSteps === 0) || step === maxSteps)) {
        evalLoss = row.eval_loss = await sftEvalLoss(model, evalRows, c.microBatchSize);
        evaluatedAt = step;
      }
      await appendFile(metricsPath, JSON.stringify(row) + "\n");
      log.progress(`step ${step}/${maxSteps}  loss ${r.loss.toFixed(4)}${row.eval_loss === undefined ? "" : `  eval_loss ${row.eval_loss.toFixed(4)}`}  lr ${lr.toExponential(2)}`);
      if ((c.saveSteps > 0 && step % c.saveSteps === 0) || step === maxSteps) {
        await saveRunCheckpoint(runDir, step, model, up.state, { ...st, sft_seconds: seconds() }, c.saveTotalLimit, o.generationConfig);
      }
      o.onStep?.(row);
      if (o.signal?.aborted) break;
    }
    if (o.signal?.aborted) break;
  }
  const summary0 = { outputDir: runDir, steps: step, trainExamples: train.length, evalExamples: evalRows.length, truncated: tok.truncated, dropped: tok.dropped, loss: lastLoss };
  if (o.signal?.aborted) {
    up.dispose();
    log.info(`stopped after step ${step}; continue with --resume ${runDir}`);
    return { ...summary0, finalModel: "", interrupted: true, evalLoss, seconds: seconds() };
  }
  if (evalRows.length > 0 && evaluatedAt !== step) evalLoss = await sftEvalLoss(model, evalRows, c.microBatchSize);
  up.dispose();
  const finalModel = join(runDir, "final");
  await saveModel(finalModel, model, o.generationConfig);
  const summary: SftSummary = { ...summary0, finalModel, interrupted: false, evalLoss, seconds: seconds() };
  await writeFile(join(runDir, "summary.json"), JSON.stringify(summary, null, 1));
  return summary;
}
