/**
 * The R1-Zero run behind `thinkrl train`: model (embedded cold-start checkpoint, a fresh cold start, or a user's
 * checkpoint) → held-out eval → GRPO → held-out eval, with metrics, sampled completions, resumable checkpoints and
 * a `summary.json`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Rng } from "../core/rng.js";
import { dataDifficulty, trainingSource, type PoolSource } from "../data/sampling.js";
import { openPromptSource } from "../data/source.js";
import { TASK_NAMES } from "../data/tasks/index.js";
import type { PromptFormat } from "../data/template.js";
import { ConfigError } from "../core/errors.js";
import { plural, type RunLog } from "../core/log.js";
import type { PromptSource } from "../data/source.js";
import { EVAL_SEED_OFFSET } from "../eval/defaults.js";
import type { EvalReport } from "../eval/evaluate.js";
import { describeEval, heldOutEval, passRates, savedEvalReport } from "../eval/heldout.js";
import { METRICS } from "../eval/metrics.js";
import { CausalLM } from "../model/causal-lm.js";
import { defaultModelConfig, defaultTokenizerJson } from "../model/default.js";
import { t2ModelConfig, t2TokenizerJson } from "../model/t2.js";
import { builtinModelDirFor, defaultModelDir, loadModelFiles, multiplicationModelDir, t2ModelDir, type LoadedModel } from "../model/load.js";
import type { PartialRolloutState } from "../rollout/partial.js";
import { initTensors, paramsFromTensors } from "../model/params.js";
import { loadTokenizer } from "../model/tokenizer.js";
import { resolveRewards } from "../reward/registry.js";
import { defaultPromptFormat } from "../rollout/prompt.js";
import { camelCase, curriculumSwitchStepOf, inapplicableOptions, kebabCase, resolveTrainConfig, type TrainConfig } from "../train/config.js";
import { CORRECTNESS_REWARDS, GrpoTrainer, successRewardOf } from "../train/grpo.js";
import { sftColdStart } from "../train/cold-start.js";
import { learningSignalWatch, LOOP_SECONDS_KEY, recordEvaluation, trainLoop, type TrainerCallback } from "../train/loop.js";
import { ignoredOnResume, nodeRunFiles, openResume, prepareRunDir, truncateRunLogs, type ResumePoint } from "../train/run-dir.js";
import { loadOptimizerState, saveRunCheckpoint } from "../train/state.js";
import { BEST_ADAPTER_DIR, carveValidation, openAdapter, type AdapterRun } from "./adapter-run.js";
import { writeDirAtomic } from "../model/checkpoint.js";
import { PROBE_PROMPTS, probeCallback } from "../train/probes.js";

export type { RunLog } from "../core/log.js";

export interface TrainSummary {
  outputDir: string;
  /** Directory of the trained model (Hugging Face layout): the last checkpoint. */
  trainedModel: string;
  evalBefore: EvalReport;
  evalAfter: EvalReport;
  /** pass@1 after − pass@1 before (absolute). */
  gain: number;
  /**
   * Adapter runs with a validation split: the adapter with the best validation pass@1 (the one `evalAfter`
   * evaluated), the step its weights are from, and its file or directory (`<run>/best/…`).
   */
  best?: { step: number; validationScore: number; adapter: string };
  seconds: Record<string, number>;
}


export interface RunTrainOptions {
  /** Continue the run in this directory from its latest checkpoint (its saved config.json is used). */
  resume?: string;
  /** Replace an existing run in `outputDir` (its run files are deleted first). */
  overwrite?: boolean;
  log: RunLog;
  /** Subscribers to step, evaluation and checkpoint events (a dashboard, a weight-sync hook …). */
  callbacks?: readonly TrainerCallback[];
  /** Stop after the current step (its checkpoint is written); `--resume` continues. */
  signal?: AbortSignal;
}

/** Label of the final held-out evaluation in `evals.jsonl` (redone, not duplicated, when a finished run is resumed). */
const AFTER_RL = "after RL";

/** Config keys a resumed run takes from the command line (everything else comes from the run's config.json). */
const RESUME_OVERRIDES = ["maxSteps", "outputDir"];

/**
 * The run's configuration: `partial` resolved, or (resume) the run's saved config with `maxSteps` from `partial`.
 * Settings `partial` gives that a resume ignores are named in one line.
 * @throws ConfigError when a resumed `maxSteps` is below the checkpoint's step
 */
async function resolveRun(partial: Record<string, unknown>, o: RunTrainOptions): Promise<{ cfg: Readonly<TrainConfig>; resume: ResumePoint | null }> {
  if (!o.resume) return { cfg: resolveTrainConfig(partial), resume: null };
  const resume = await openResume(o.resume);
  const given = Object.fromEntries(Object.entries(partial).map(([k, v]) => [camelCase(k), v]));
  const ignored = ignoredOnResume(resume.config, given, RESUME_OVERRIDES);
  if (ignored.length > 0) o.log.info(`note: --resume uses the run's config.json; ignored: ${ignored.map((k) => `--${kebabCase(k)}`).join(", ")} (only --max-steps can change)`);
  const cfg = resolveTrainConfig({ ...resume.config, outputDir: o.resume, ...(given.maxSteps !== undefined ? { maxSteps: given.maxSteps } : {}) });
  const at = resume.trainerState.global_step;
  if (cfg.maxSteps < at) throw new ConfigError(`--max-steps ${cfg.maxSteps} is below the step the run's checkpoint is at (${at})`, { hint: `pass --max-steps ${at} or more` });
  if (resume.checkpoint === null) o.log.info(`no checkpoint in ${o.resume}: starting it from the beginning`);
  return { cfg, resume };
}

/**
 * The policy to train: a resumed checkpoint, the user's model, a fresh cold start of the embedded model, or the
 * embedded model's shipped cold-start checkpoint.
 */
async function openPolicy(cfg: Readonly<TrainConfig>, source: PromptSource, resume: ResumePoint | null, log: RunLog): Promise<{ model: CausalLM; generationConfig: unknown; coldStartSeconds?: number }> {
  const load = async (dir: string) => {
    const l: LoadedModel = await loadModelFiles(dir);
    return { model: l.model, generationConfig: l.generationConfigJson };
  };
  if (resume?.checkpoint) {
    log.info(`resuming ${cfg.outputDir} from ${resume.checkpoint.dir}${cfg.adapter === "none" ? "" : ` (its ${cfg.adapter} adapter on the run's base model)`}`);
    // An adapter run's checkpoint holds the merged weights: the frozen base is opened as the run first did.
    if (cfg.adapter === "none") return load(resume.checkpoint.dir);
  }
  if (cfg.model !== null) {
    log.info(`loading ${cfg.model}`);
    return load(cfg.model);
  }
  if (cfg.coldStartSteps > 0) {
    const t0 = performance.now();
    // The Transformer² tasks need the character vocabulary of the T2 model; every other task the embedded default's.
    const t2 = builtinModelDirFor(cfg.dataset) === t2ModelDir();
    const mc = t2 ? t2ModelConfig() : defaultModelConfig();
    const model = new CausalLM(mc, paramsFromTensors(mc, initTensors(mc, new Rng(cfg.seed))), loadTokenizer(t2 ? t2TokenizerJson() : defaultTokenizerJson()));
    log.info(`cold start: ${cfg.coldStartSteps} SFT steps on worked ${source.name} solutions (batch ${cfg.coldStartBatchSize})`);
    await sftColdStart(model, source, {
      steps: cfg.coldStartSteps,
      batchSize: cfg.coldStartBatchSize,
      learningRate: cfg.coldStartLearningRate,
      warmupSteps: Math.min(50, cfg.coldStartSteps),
      format: cfg.promptFormat ?? "compact",
      onStep: (s, loss) => log.progress(`cold start ${s}/${cfg.coldStartSteps}  loss ${loss.toFixed(4)}`),
    });
    return { model, generationConfig: null, coldStartSeconds: (performance.now() - t0) / 1000 };
  }
  if (cfg.dataset === "multiplication") {
    log.info(`loading the embedded long-multiplication model's cold-start checkpoint`);
    return load(multiplicationModelDir());
  }
  if (builtinModelDirFor(cfg.dataset) === t2ModelDir()) {
    log.info(`loading the Transformer² model's cold-start checkpoint (assets/t2-model)`);
    return load(t2ModelDir());
  }
  const builtin = cfg.dataset.split(",").every((t) => (TASK_NAMES as readonly string[]).includes(t.split(":")[0]!.trim()));
  if (builtin && cfg.dataset !== "arithmetic") {
    throw new ConfigError(`the shipped cold-start checkpoint was trained on arithmetic (dataset is ${cfg.dataset})`, {
      hint: "pass --cold-start-steps 300 to cold-start on this task's worked solutions, or --model <dir>",
    });
  }
  if (!builtin) {
    log.info(`note: the embedded model's shipped checkpoint was cold-started on arithmetic only; its 26-token vocabulary reads digits and + - * / ( ) = , : (--model <dir> for other text)`);
  }
  log.info(`loading the embedded default model's cold-start checkpoint`);
  return load(defaultModelDir());
}

/**
 * The prompt format: `cfg.promptFormat`, else the model's default (chat for models with a chat template, r1-zero for
 * other real tokenizers, compact for the embedded model's vocabulary).
 * @throws ConfigError for `chat` on a model without a chat template
 */
function resolveFormat(cfg: Readonly<TrainConfig>, model: CausalLM, log: RunLog): PromptFormat {
  const format: PromptFormat = cfg.promptFormat ?? defaultPromptFormat(model);
  if (format === "chat" && !model.tokenizer.chatTemplate) {
    throw new ConfigError("promptFormat chat needs a model with a chat template (tokenizer_config.json chat_template or chat_template.jinja)", {
      hint: "use --prompt-format r1-zero for base models, compact for the embedded model",
    });
  }
  log.info(`prompt format: ${format}${cfg.promptFormat === null ? " (the model's default; --prompt-format to change)" : ""}`);
  return format;
}

/**
 * The training source: the dataset/task as opened (uniform, no pool), or a finite pool drawn from it once with
 * prioritized or curriculum sampling (Kimi k1.5 §2.3.4).
 * @throws ConfigError for prioritized sampling without a reward that judges success
 */
function openTrainingSource(cfg: Readonly<TrainConfig>, base: PromptSource, rewards: readonly { name: string }[], log: RunLog): PromptSource {
  if (cfg.sampling === "prioritized" && successRewardOf(cfg, rewards) === null) {
    throw new ConfigError(`--sampling prioritized needs a reward that judges success (${CORRECTNESS_REWARDS.join(", ")}) among --reward-funcs`, { hint: "or name one with --success-reward" });
  }
  if (cfg.successReward && !rewards.some((r) => r.name === cfg.successReward)) {
    throw new ConfigError(`--success-reward ${cfg.successReward} is not among the run's rewards (${rewards.map((r) => r.name).join(", ")})`);
  }
  const switchStep = curriculumSwitchStepOf(cfg);
  const source = trainingSource(base, {
    strategy: cfg.sampling, trainPool: cfg.trainPool, seed: cfg.seed + 3, priorityFloor: cfg.priorityFloor,
    curriculumSwitchStep: switchStep, curriculumHardFraction: cfg.curriculumHardFraction,
  });
  if (source !== base) {
    const pool = (source as PoolSource).pool.length;
    const how = cfg.sampling === "curriculum" ? `, the hardest ${(100 * cfg.curriculumHardFraction).toFixed(0)}% from step ${switchStep}` : "";
    log.info(`training pool: ${pool} ${base.size === undefined ? "problems drawn once" : "rows"} from ${base.name}; ${cfg.sampling} sampling${how}`);
  }
  return source;
}

/**
 * Gives a curriculum pool its difficulty (unless a resumed checkpoint already holds it): from the data, or measured
 * as 1 − the starting model's pass rate over `difficultySamples` samples at `difficultyTemperature` (Kimi §2.3.4).
 * @returns seconds spent measuring (0 when taken from the data)
 */
async function setCurriculumDifficulty(cfg: Readonly<TrainConfig>, pool: PoolSource, model: CausalLM, format: PromptFormat, log: RunLog): Promise<number> {
  if (pool.difficulty !== null) return 0;
  const fromData = dataDifficulty(pool.pool, cfg.difficulty);
  if (fromData !== "measure") {
    pool.difficulty = fromData;
    return 0;
  }
  const t0 = performance.now();
  const n = pool.pool.length;
  const rates = await passRates(
    model,
    pool.pool,
    {
      samples: cfg.difficultySamples, temperature: cfg.difficultyTemperature, topP: 1, maxCompletionLength: cfg.maxCompletionLength, format,
      onProgress: (d) => log.progress(`measuring difficulty: ${d}/${plural(n, "problem")} × ${plural(cfg.difficultySamples, "sample")}`),
    },
    new Rng(cfg.seed + 5),
  );
  pool.difficulty = rates.map((r) => 1 - r);
  const unsolved = rates.filter((r) => r === 0).length;
  log.info(`difficulty: measured on ${plural(n, "problem")} × ${plural(cfg.difficultySamples, "sample")} at T=${cfg.difficultyTemperature} (mean pass rate ${(100 * rates.reduce((a, b) => a + b, 0) / n).toFixed(1)}%, ${unsolved} never solved)`);
  return (performance.now() - t0) / 1000;
}

/** The step line: reward, accuracy, zero-std groups, truncation, length, step time. */
function describeStep(m: Readonly<Record<string, number>>): string {
  return (
    `reward ${m.reward!.toFixed(3)}  acc ${(m.accuracy ?? 0).toFixed(3)}  zero-std ${(100 * m.frac_reward_zero_std!).toFixed(0)}%  ` +
    `trunc ${(100 * m["completions/clipped_ratio"]!).toFixed(0)}%  len ${m["completions/mean_length"]!.toFixed(1)}  ${m.step_seconds!.toFixed(1)} s/step` +
    (m["partial/buffer_size"] === undefined ? "" : `  groups ${m["partial/groups_scored"]}  buffer ${m["partial/buffer_size"]}`)
  );
}

/**
 * Runs (or resumes) an RL job: model → held-out eval → `maxSteps` steps of the objective → held-out eval, writing
 * the run directory (`train/run-dir.ts`, `train/loop.ts`) and `summary.json`.
 * @param partial config fields (camelCase or snake_case); on resume only `maxSteps` is taken (the run's saved
 *   `config.json` is used so the resumed run is the same run; the others are named as ignored)
 * @throws ConfigError for a bad config, a run directory that already holds a run (without `resume`/`overwrite`),
 *   or a resumed `maxSteps` below the checkpoint's step; CheckpointError for a bad model or run directory
 */
export async function runTrain(partial: Record<string, unknown>, opts: RunTrainOptions): Promise<TrainSummary> {
  const { log } = opts;
  const seconds: Record<string, number> = {};
  const tStart = performance.now();
  const { cfg, resume } = await resolveRun(partial, opts);
  const runDir = cfg.outputDir;

  // Inputs first (rewards, dataset, model), so a bad one fails before any slow work or any file is written.
  const rewards = resolveRewards(cfg.rewardFuncs, cfg.rewardWeights, cfg.rewardKwargs);
  const opened = await openPromptSource(cfg.dataset, cfg.numEvalProblems, cfg.seed);
  // The validation split comes from the training stream (never the held-out evaluation set).
  const { source: base, validation } = cfg.validationProblems > 0 ? carveValidation(opened, cfg.validationProblems) : { source: opened, validation: [] };
  const source = openTrainingSource(cfg, base, rewards, log);
  for (const w of inapplicableOptions(cfg)) log.info(`warning: ${w}`);
  if (!resume) await prepareRunDir(runDir, { overwrite: opts.overwrite });
  const t0 = performance.now();
  const { model, generationConfig, coldStartSeconds } = await openPolicy(cfg, base, resume, log);
  if (coldStartSeconds !== undefined) seconds.cold_start = coldStartSeconds;
  seconds.load = coldStartSeconds === undefined ? (performance.now() - t0) / 1000 : 0;
  const format = resolveFormat(cfg, model, log);
  // With an adapter the base stays frozen; rollouts and evaluations sample from the adapted policy.
  const adapter: AdapterRun | null = cfg.adapter === "none" ? null : await openAdapter(cfg, model, log, resume?.checkpoint?.dir ?? null);
  const policy = adapter?.policy ?? model;
  // config.json records the resolved prompt format, so the run (and a resume of it) says which one it used.
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, "config.json"), JSON.stringify({ ...cfg, promptFormat: format }, null, 1));
  if (cfg.rewardFuncs.includes("code")) {
    // Model output is hostile: refuse to start unless the code sandbox's isolation is verified.
    const { assertSandbox, resolveSandboxConfig } = await import("../reward/code/sandbox.js");
    await assertSandbox(resolveSandboxConfig());
  }
  const files = nodeRunFiles(runDir);
  const callbacks = [learningSignalWatch(log, { maxCompletionLength: cfg.maxCompletionLength }), ...(opts.callbacks ?? [])];
  const startStep = resume?.trainerState.global_step ?? 0;
  const resumedSeconds = (resume?.trainerState[LOOP_SECONDS_KEY] as number | undefined) ?? 0;
  // A resumed run drops what its stopped process logged after the checkpoint; without a checkpoint it starts over.
  if (resume) await truncateRunLogs(runDir, resume.checkpoint ? startStep : -1, [AFTER_RL]);

  // ── held-out evaluation (R1 protocol) ───────────────────────────────────────────────────────────────
  const runEval = async (label: string, on: CausalLM = policy, problems = source.heldOut, set?: string): Promise<EvalReport> => {
    const r = await heldOutEval(
      on,
      problems,
      {
        samples: cfg.evalSamples,
        temperature: cfg.evalTemperature,
        topP: cfg.evalTopP,
        maxCompletionLength: cfg.maxCompletionLength,
        format,
        onProgress: (d, n) => log.progress(`eval ${label}: ${d}/${plural(n, "problem")}`),
      },
      new Rng(cfg.seed + EVAL_SEED_OFFSET),
    );
    log.info(`eval ${label}: ${describeEval(r, set)}`);
    return r;
  };
  const evalMetrics = (r: EvalReport) => Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [`eval/${k}`, v]));
  let evalBefore = savedEvalReport(resume?.trainerState.eval_before);
  if (evalBefore === undefined) {
    evalBefore = await runEval("before RL", model); // the base model (with an adapter: before the adapter)
    await recordEvaluation(files, { step: 0, label: "before RL", metrics: evalMetrics(evalBefore) }, callbacks);
  }
  seconds.eval_before = evalBefore.seconds;

  // ── RL steps ───────────────────────────────────────────────────────────────────────────────────────
  if (resume?.checkpoint) source.setState(resume.trainerState.data_state);
  if (cfg.sampling === "curriculum") seconds.difficulty = await setCurriculumDifficulty(cfg, source as PoolSource, model, format, log);
  const rng = new Rng(cfg.seed + 1);
  const trainer = new GrpoTrainer({
    model: policy, source, rewards, rng, format, config: cfg, onWarning: (m) => log.info(`warning: ${m}`),
    ...(adapter ? { binding: adapter.binding, reference: model } : {}),
  });
  // Best checkpoint on the validation split (`--validation-problems` with `--eval-steps`); restored on resume.
  let bestValidation = adapter?.best()?.score ?? -Infinity;
  let lastValidation: { step: number; score: number } | null = null;
  let bestWritten = false; // run-level best/ is (re)written at the next checkpoint after a new best (and after a resume)
  const validate = async (step: number) => {
    const r = await runEval(`validation step ${step}`, policy, validation, "validation problems (from the training data)");
    const score = r.metrics[METRICS.pass1]!;
    lastValidation = { step, score };
    if (adapter && score > bestValidation) {
      await adapter.markBest(score, step);
      bestWritten = false;
    }
    bestValidation = Math.max(bestValidation, score);
    return Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [`validation/${k}`, v]));
  };
  if (resume?.checkpoint) {
    rng.setState(resume.trainerState.rng_state as number[]);
    trainer.learner.state = await loadOptimizerState(resume.checkpoint.dir, trainer.learner.state);
    // Partial rollouts: the unfinished trajectories (tokens, versions, generator states, groups) continue.
    const saved = resume.trainerState.partial_rollouts as PartialRolloutState | null | undefined;
    if (trainer.partial && saved) trainer.partial.restore(saved);
    if (cfg.beta > 0 && !adapter) log.info("note: β > 0 on resume uses the resumed weights as the reference model");
  }
  // The probe set: the same held-out prompts sampled at every completions log, for the dashboard's side-by-side view.
  callbacks.push(
    probeCallback({
      model, problems: source.heldOut.slice(0, PROBE_PROMPTS), rewards, format, samples: cfg.numGenerations, seed: cfg.seed, every: cfg.logCompletionsSteps, files,
      sampling: { maxNewTokens: cfg.maxCompletionLength, temperature: cfg.temperature, topP: cfg.topP, topK: cfg.topK },
    }),
  );
  const loop = await trainLoop({
    trainer: { step: (s) => trainer.step(s), state: () => ({ rng_state: rng.getState(), data_state: source.getState(), eval_before: evalBefore, partial_rollouts: trainer.partialState() }) },
    files,
    log,
    maxSteps: cfg.maxSteps,
    startStep,
    saveSteps: cfg.saveSteps,
    save: async (step, state) => {
      // An adapter checkpoint holds the merged weights (loadable anywhere), the adapter's own files (metadata: this
      // step, and the validation score of these weights when validated now), and the best adapter so far in best/.
      const best = adapter?.best() ?? null;
      const files = adapter ? await adapter.files(step, lastValidation?.step === step ? lastValidation.score : null) : {};
      if (best) for (const [rel, data] of Object.entries(best.files)) files[join(BEST_ADAPTER_DIR, rel)] = data;
      const dir = await saveRunCheckpoint(runDir, step, policy, trainer.learner.state, state, cfg.saveTotalLimit, generationConfig, files);
      if (best && !bestWritten) {
        await writeDirAtomic(join(runDir, BEST_ADAPTER_DIR), Object.entries(best.files).map(([path, data]) => ({ path, data })));
        bestWritten = true;
      }
      return dir;
    },
    evalSteps: cfg.evalSteps,
    evaluate: async (step) => (validation.length > 0 ? validate(step) : evalMetrics(await runEval(`step ${step}`))),
    logCompletionsSteps: cfg.logCompletionsSteps,
    loggingSteps: cfg.loggingSteps,
    describe: describeStep,
    callbacks,
    resumed: { seconds: resumedSeconds },
    signal: opts.signal,
  });
  seconds.rl = loop.seconds;
  log.info(`${cfg.objective.toUpperCase()}: ${plural(loop.step - startStep, "step")} in ${(loop.seconds - resumedSeconds).toFixed(0)} s`);
  trainer.dispose();

  // The final evaluation uses the adapter chosen on the validation split, when there is one.
  const bestAdapter = adapter?.best() ?? null;
  const best = adapter?.bestModel() ?? null;
  if (best) log.info(`evaluating the adapter with the best validation pass@1 (${(100 * bestValidation).toFixed(1)}% at step ${bestAdapter!.step}; ${join(runDir, BEST_ADAPTER_DIR, adapter!.path)})`);
  const evalAfter = await runEval(AFTER_RL, best ?? policy);
  if (best) adapter!.disposeModel(best);
  adapter?.dispose();
  await recordEvaluation(files, { step: loop.step, label: AFTER_RL, metrics: evalMetrics(evalAfter) }, callbacks);
  seconds.eval_after = evalAfter.seconds;
  // Phases of the whole run (a resumed run counts its earlier processes' training time too).
  seconds.total = Object.values(seconds).reduce((a, b) => a + b, 0);
  seconds.this_process = (performance.now() - tStart) / 1000;
  const trainedModel = loop.lastCheckpoint ?? join(runDir, `checkpoint-${loop.step}`);
  const summary: TrainSummary = { outputDir: runDir, trainedModel, evalBefore, evalAfter, gain: evalAfter.metrics[METRICS.pass1]! - evalBefore.metrics[METRICS.pass1]!, seconds };
  if (bestAdapter) summary.best = { step: bestAdapter.step, validationScore: bestAdapter.score, adapter: join(runDir, BEST_ADAPTER_DIR, adapter!.path) };
  await writeFile(join(runDir, "summary.json"), JSON.stringify(summary, null, 1));
  log.info(
    `held-out pass@1: ${(100 * evalBefore.metrics[METRICS.pass1]!).toFixed(1)}% → ${(100 * evalAfter.metrics[METRICS.pass1]!).toFixed(1)}% ` +
      `(${summary.gain >= 0 ? "+" : ""}${(100 * summary.gain).toFixed(1)} points); summary in ${join(runDir, "summary.json")}`,
  );
  log.info(`trained model: ${trainedModel}`);
  return summary;
}
