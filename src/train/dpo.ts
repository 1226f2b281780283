/**
 * Direct Preference Optimization (`thinkrl dpo`; Rafailov et al. 2023; Kimi k1.5 §2.4 long2short with shortest
 * correct answers as chosen): the sigmoid loss of `rl/losses/dpo.ts` on (prompt, chosen, rejected) pairs, through the
 * generic learner and the shared training loop (checkpoints, `--resume`, evaluation).
 *
 * - The reference log-probs log π_ref(y|x) of every pair are computed once, before training, from the reference model
 *   (`--ref-model`, else the model training starts from) at temperature 1, and kept on the host.
 * - A step takes `batchSize` pairs; each forward pass `microBatchSize` pairs = 2 × that many sequences, chosen and
 *   rejected rows side by side. The loss is the mean over the step's pairs.
 * - Metrics (TRL's names): `loss`, `rewards/chosen`, `rewards/rejected`, `rewards/accuracies`, `rewards/margins`,
 *   `logps/chosen`, `logps/rejected` (means over the step's pairs), `grad_norm`, `learning_rate`, `num_tokens`,
 *   `tokens_per_second`, `step_seconds`, `epoch`; on evaluation steps `eval_loss` and `eval_rewards/*` on a seeded
 *   `evalSplit` of the pairs.
 *
 * Run directory as `thinkrl sft`'s: `config.json`, `metrics.jsonl`, `evals.jsonl`, `checkpoint-<step>/`, `final/`,
 * `summary.json`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { plural, type RunLog } from "../core/log.js";
import { Rng } from "../core/rng.js";
import type { PreferenceExample } from "../data/formats/preference.js";
import type { PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import { dpo } from "../rl/losses/dpo.js";
import { packSequences } from "./batch.js";
import { learningRateAt } from "./config.js";
import type { DpoConfig } from "./dpo-config.js";
import { DEFAULT_OBJECTIVE_CONFIG, Learner, type MicroBatch } from "./learner.js";
import { trainLoop, type LoopTrainer, type TrainerCallback } from "./loop.js";
import { nodeRunFiles } from "./run-dir.js";
import { encodeSftExample, EpochBatcher, sftEndTokenId, type EpochCursorState } from "./sft-batch.js";
import { LENGTH_WINDOW_BATCHES } from "./sft-config.js";
import { splitEval } from "./sft.js";
import { saveModel, saveRunCheckpoint, startEpochRun } from "./state.js";

/** A tokenised pair with the reference log-probs of each answer's tokens (nats, one per completion token). */
export interface PairTokens {
  prompt: number[];
  chosen: number[];
  rejected: number[];
  refChosen?: Float32Array;
  refRejected?: Float32Array;
}

export interface DpoSummary {
  outputDir: string;
  /** Directory of the trained model (Hugging Face layout); "" when interrupted. */
  finalModel: string;
  steps: number;
  trainPairs: number;
  evalPairs: number;
  /** Pairs with an answer cut to `maxLength` / dropped because the prompt alone reached it. */
  truncated: number;
  dropped: number;
  interrupted: boolean;
  /** Loss of the last step; evaluation at the end (NaN without an eval split). */
  loss: number;
  evalLoss: number;
  evalAccuracy: number;
  evalMargin: number;
  seconds: number;
}

/**
 * Tokenises pairs: the prompt rendered with `format` (as SFT), each answer + the end token, cut on the right so
 * prompt + answer ≤ `maxLength`. Pairs whose prompt alone reaches `maxLength` are dropped.
 */
export function tokenizePairs(model: CausalLM, examples: readonly PreferenceExample[], format: PromptFormat, maxLength: number): { rows: PairTokens[]; truncated: number; dropped: number } {
  const end = sftEndTokenId(model, format);
  const rows: PairTokens[] = [];
  let truncated = 0;
  let dropped = 0;
  for (const ex of examples) {
    const c = encodeSftExample(model, format, ex.prompt, ex.chosen, end);
    const r = encodeSftExample(model, format, ex.prompt, ex.rejected, end);
    const room = maxLength - c.prompt.length;
    if (room <= 0) {
      dropped++;
      continue;
    }
    if (c.completion.length > room || r.completion.length > room) truncated++;
    rows.push({ prompt: c.prompt, chosen: c.completion.slice(0, room), rejected: r.completion.slice(0, room) });
  }
  return { rows, truncated, dropped };
}

/** Packs pairs as rows [chosen₀, rejected₀, chosen₁, …] padded to `2·microPairs` rows. */
function packPairs(pairs: readonly PairTokens[], padId: number, microPairs: number) {
  const prompts: number[][] = [];
  const completions: number[][] = [];
  for (const p of pairs) {
    prompts.push(p.prompt, p.prompt);
    completions.push(p.chosen, p.rejected);
  }
  return packSequences(prompts, completions, padId, undefined, 2 * microPairs);
}

/**
 * Per-token log-probs (temperature 1) of each answer of `pairs` under `model`, `microPairs` pairs per forward pass.
 * @returns one `[chosen, rejected]` pair of arrays per pair, one value per answer token
 */
export async function answerLogprobs(model: CausalLM, pairs: readonly PairTokens[], microPairs: number): Promise<[Float32Array, Float32Array][]> {
  const out: [Float32Array, Float32Array][] = [];
  for (let s = 0; s < pairs.length; s += microPairs) {
    const part = pairs.slice(s, s + microPairs);
    const b = packPairs(part, model.padId, microPairs);
    const { logp } = await model.sequenceLogprobs(b);
    const rowValues = (row: number) => {
      const v: number[] = [];
      for (let t = 0; t < b.T; t++) if (b.mask[row * b.T + t]! > 0) v.push(logp[row * b.T + t]!);
      return Float32Array.from(v);
    };
    part.forEach((_, k) => out.push([rowValues(2 * k), rowValues(2 * k + 1)]));
  }
  return out;
}

/** Host-side micro-batches of one optimizer step (`rowWeights` 1/pairs on chosen rows: the mean over the step). */
export function dpoMicroBatches(pairs: readonly PairTokens[], padId: number, microPairs: number): { micro: MicroBatch[]; tokens: number } {
  const micro: MicroBatch[] = [];
  let tokens = 0;
  for (let s = 0; s < pairs.length; s += microPairs) {
    const part = pairs.slice(s, s + microPairs);
    const b = packPairs(part, padId, microPairs);
    const { B, T } = b;
    const refLogp = new Float32Array(B * T);
    const pairIds = new Float32Array(B).fill(-1);
    const pairSigns = new Float32Array(B);
    const rowWeights = new Float32Array(B);
    part.forEach((p, k) => {
      for (const [row, ref] of [[2 * k, p.refChosen], [2 * k + 1, p.refRejected]] as const) {
        if (ref === undefined) throw new Error("dpoMicroBatches: reference log-probs missing");
        let j = 0;
        for (let t = 0; t < T; t++) if (b.mask[row * T + t]! > 0) refLogp[row * T + t] = ref[j++]!;
        pairIds[row] = k;
        pairSigns[row] = row === 2 * k ? 1 : -1;
      }
      rowWeights[2 * k] = 1 / pairs.length;
    });
    tokens += b.mask.reduce((a, x) => a + x, 0);
    micro.push({ B, T, tokens: b.tokens, targets: b.targets, mask: b.mask, weights: new Float32Array(B * T), refLogp, pairIds, pairSigns, rowWeights });
  }
  return { micro, tokens };
}

/** −log σ(x·β) computed stably. */
const softplusNeg = (x: number): number => Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sum = (a: Float32Array) => a.reduce((s, x) => s + x, 0);

/**
 * Loss and TRL's reward metrics of `pairs` under `model` without gradients (the evaluation split).
 * @returns means over the pairs; NaN for an empty list
 */
export async function dpoEvaluate(model: CausalLM, pairs: readonly PairTokens[], beta: number, microPairs: number): Promise<Record<string, number>> {
  const lp = await answerLogprobs(model, pairs, microPairs);
  let loss = 0, acc = 0, margin = 0, chosen = 0, rejected = 0;
  pairs.forEach((p, i) => {
    const rc = beta * (sum(lp[i]![0]) - sum(p.refChosen!));
    const rr = beta * (sum(lp[i]![1]) - sum(p.refRejected!));
    loss += softplusNeg(rc - rr);
    acc += rc > rr ? 1 : 0;
    margin += rc - rr;
    chosen += rc;
    rejected += rr;
  });
  const n = pairs.length;
  return { eval_loss: loss / n, "eval_rewards/accuracies": acc / n, "eval_rewards/margins": margin / n, "eval_rewards/chosen": chosen / n, "eval_rewards/rejected": rejected / n };
}

interface DpoTrainerState extends EpochCursorState {
  last_loss?: number;
}

/** DPO as a `LoopTrainer`: epochs of shuffled pair batches, one optimizer step each. */
class DpoTrainer implements LoopTrainer {
  readonly #batches: EpochBatcher;
  lastLoss: number | undefined;

  constructor(
    readonly learner: Learner,
    readonly train: PairTokens[],
    readonly c: Readonly<DpoConfig>,
    rng: Rng,
    readonly lrAt: (step: number) => number,
    st: DpoTrainerState,
  ) {
    const { last_loss, ...cursor } = st;
    this.lastLoss = last_loss;
    const lengths = train.map((p) => p.prompt.length + Math.max(p.chosen.length, p.rejected.length));
    this.#batches = new EpochBatcher(lengths, c.batchSize, c.groupByLength, rng, cursor, LENGTH_WINDOW_BATCHES);
  }

  async step(step: number): Promise<{ metrics: Record<string, number> }> {
    const ts = performance.now();
    const pairs = this.#batches.current().map((i) => this.train[i]!);
    const lr = this.lrAt(step);
    const { micro, tokens } = dpoMicroBatches(pairs, this.learner.model.padId, this.c.microBatchSize);
    const s: Record<string, number> = {};
    for (const mb of micro) {
      const m = await this.learner.accumulate(mb);
      for (const k of dpo.metricKeys) s[k] = (s[k] ?? 0) + m[k]!;
    }
    const { gradNorm } = await this.learner.apply(lr);
    const epoch = this.#batches.advance();
    const n = s.dpoPairCount!;
    this.lastLoss = s.dpoLossSum! / n;
    const dt = (performance.now() - ts) / 1000;
    return {
      metrics: {
        step,
        epoch,
        loss: this.lastLoss,
        "rewards/chosen": s.dpoChosenRewardSum! / n,
        "rewards/rejected": s.dpoRejectedRewardSum! / n,
        "rewards/accuracies": s.dpoAccuracySum! / n,
        "rewards/margins": s.dpoMarginSum! / n,
        "logps/chosen": s.dpoChosenLogpSum! / n,
        "logps/rejected": s.dpoRejectedLogpSum! / n,
        learning_rate: lr,
        grad_norm: gradNorm,
        num_tokens: tokens,
        tokens_per_second: tokens / dt,
        step_seconds: dt,
      },
    };
  }

  state(): Record<string, unknown> {
    return { ...this.#batches.st, last_loss: this.lastLoss };
  }
}

export interface DpoRunOptions {
  /** The policy (trained in place): the starting model, or the resumed checkpoint's weights. */
  model: CausalLM;
  /** π_ref; null = `model` as given (only for a run that is not resumed). */
  reference: CausalLM | null;
  examples: PreferenceExample[];
  format: PromptFormat;
  config: Readonly<DpoConfig>;
  /** generation_config.json object to keep in checkpoints and `final/`. */
  generationConfig?: unknown;
  log: RunLog;
  resumeFrom?: { step: number; dir: string } | null;
  callbacks?: readonly TrainerCallback[];
  signal?: AbortSignal;
}

/** The shape fields compared by `assertSameShape` (ModelConfig keys). */
const SHAPE_KEYS = ["modelType", "vocabSize", "hiddenSize", "intermediateSize", "numHiddenLayers", "numAttentionHeads", "numKeyValueHeads", "headDim"] as const;

/**
 * Refuses a reference model whose architecture differs from the policy's. DPO's π_ref is the model the policy
 * started from (Rafailov et al. 2023, §4: π_ref = π_SFT), so another shape is a wrong directory, and another
 * vocabulary would score different tokens.
 * @throws ConfigError naming the first differing config field
 */
export function assertSameShape(reference: Pick<CausalLM, "config">, policy: Pick<CausalLM, "config">): void {
  for (const k of SHAPE_KEYS) {
    if (reference.config[k] !== policy.config[k]) throw new ConfigError(`the reference model's ${k} (${String(reference.config[k])}) differs from the policy's (${String(policy.config[k])}): --ref-model must have the policy's shape`);
  }
}

/**
 * Trains `o.model` in place by DPO and writes the run directory (see the module comment).
 * @throws ConfigError when no pair fits in `maxLength`, when a resumed run has no reference model, or when the
 *   reference model's shape differs from the policy's (`assertSameShape`)
 */
export async function runDpo(o: DpoRunOptions): Promise<DpoSummary> {
  const { model, config: c, log } = o;
  if (o.resumeFrom && o.reference === null) throw new ConfigError("a resumed DPO run needs its reference model (the starting model)");
  const ref = o.reference ?? model;
  assertSameShape(ref, model);
  const tok = tokenizePairs(model, o.examples, o.format, c.maxLength);
  if (tok.rows.length === 0) throw new ConfigError(`no pair fits in maxLength ${c.maxLength} (all ${tok.dropped} prompts are longer)`);
  if (tok.truncated + tok.dropped > 0) log.info(`note: ${tok.truncated} pairs cut to ${c.maxLength} tokens, ${tok.dropped} dropped (prompt alone too long)`);
  const t0 = performance.now();
  const refLp = await answerLogprobs(ref, tok.rows, c.microBatchSize);
  tok.rows.forEach((p, i) => ([p.refChosen, p.refRejected] = refLp[i]!));
  log.info(`reference log-probs of ${plural(tok.rows.length, "pair")} in ${((performance.now() - t0) / 1000).toFixed(1)} s${o.reference === null ? " (the starting model)" : ""}`);
  const { train, eval: evalPairs } = splitEval(tok.rows, c.evalSplit, c.seed);
  const perEpoch = Math.ceil(train.length / c.batchSize);
  const maxSteps = perEpoch * c.epochs;
  const runDir = c.outputDir;
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, "config.json"), JSON.stringify(c, null, 1));

  const learner = new Learner(model, dpo, { beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEpsilon, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm }, { objectiveConfig: { ...DEFAULT_OBJECTIVE_CONFIG, beta: c.beta } });
  const rng = new Rng(c.seed);
  const { step, st, resumedSeconds } = await startEpochRun(o.resumeFrom, learner, runDir, rng);
  if (o.resumeFrom) {
    log.info(`resuming from ${o.resumeFrom.dir} (step ${step}, epoch ${st.epoch + 1}, batch ${st.cursor}/${perEpoch})`);
  }
  log.info(`DPO: ${train.length} train / ${plural(evalPairs.length, "eval pair")}, ${plural(c.epochs, "epoch")} × ${plural(perEpoch, "step")} of up to ${plural(c.batchSize, "pair")}, β ${c.beta}`);

  const trainer = new DpoTrainer(learner, train, c, rng, (s) => learningRateAt({ ...c, maxSteps }, s), st);
  let evaluated: Record<string, number> = {};
  let evaluatedAt = -1;
  const evaluate = async (s: number) => {
    evaluated = await dpoEvaluate(model, evalPairs, c.beta, c.microBatchSize);
    evaluatedAt = s;
    return evaluated;
  };
  const loop = await trainLoop({
    trainer,
    files: nodeRunFiles(runDir),
    log,
    maxSteps,
    startStep: step,
    saveSteps: c.saveSteps,
    save: (s, state) => saveRunCheckpoint(runDir, s, model, learner.state, state, c.saveTotalLimit, o.generationConfig),
    evalSteps: c.evalSteps,
    evalAtLastStep: true,
    evaluate: evalPairs.length > 0 ? evaluate : undefined,
    describe: (m) =>
      `loss ${m.loss!.toFixed(4)}  margin ${m["rewards/margins"]!.toFixed(3)}  acc ${(100 * m["rewards/accuracies"]!).toFixed(0)}%` +
      `${m.eval_loss === undefined ? "" : `  eval_loss ${m.eval_loss.toFixed(4)}`}  lr ${m.learning_rate!.toExponential(2)}`,
    callbacks: o.callbacks ?? [],
    resumed: { seconds: resumedSeconds },
    signal: o.signal,
  });
  const base = { outputDir: runDir, steps: loop.step, trainPairs: train.length, evalPairs: evalPairs.length, truncated: tok.truncated, dropped: tok.dropped, loss: loop.last?.loss ?? trainer.lastLoss ?? NaN };
  const ev = () => ({ evalLoss: evaluated.eval_loss ?? NaN, evalAccuracy: evaluated["eval_rewards/accuracies"] ?? NaN, evalMargin: evaluated["eval_rewards/margins"] ?? NaN });
  if (loop.interrupted) {
    learner.dispose();
    log.info(`stopped after step ${loop.step}; continue with --resume ${runDir}`);
    return { ...base, finalModel: "", interrupted: true, ...ev(), seconds: loop.seconds };
  }
  if (evalPairs.length > 0 && evaluatedAt !== loop.step) await evaluate(loop.step);
  learner.dispose();
  const finalModel = join(runDir, "final");
  await saveModel(finalModel, model, o.generationConfig);
  const summary: DpoSummary = { ...base, finalModel, interrupted: false, ...ev(), seconds: loop.seconds };
  await writeFile(join(runDir, "summary.json"), JSON.stringify(summary, null, 1));
  return summary;
}
