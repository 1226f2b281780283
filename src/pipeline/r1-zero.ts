/**
 * The R1-Zero run behind `thinkrl train`: model (embedded cold-start checkpoint, a fresh cold start, or a user's
 * checkpoint) → held-out eval → GRPO → held-out eval, with metrics, sampled completions, resumable checkpoints and
 * a `summary.json`.
 */
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tree } from "@jax-js/jax";
import { Rng } from "../core/rng.js";
import { openPromptSource } from "../data/source.js";
import type { PromptFormat } from "../data/template.js";
import { CheckpointError, ConfigError } from "../core/errors.js";
import { EVAL_SEED_OFFSET } from "../eval/defaults.js";
import type { EvalReport } from "../eval/evaluate.js";
import { describeEval, heldOutEval, savedEvalReport } from "../eval/heldout.js";
import { METRICS } from "../eval/metrics.js";
import { CausalLM } from "../model/causal-lm.js";
import { defaultModelConfig, defaultTokenizerJson } from "../model/default.js";
import { defaultModelDir, loadModelFiles, type LoadedModel } from "../model/load.js";
import { initTensors, paramsFromTensors } from "../model/params.js";
import { loadTokenizer } from "../model/tokenizer.js";
import { getReward } from "../reward/index.js";
import { defaultPromptFormat } from "../rollout/prompt.js";
import { resolveTrainConfig, type TrainConfig } from "../train/config.js";
import { GrpoTrainer } from "../train/grpo.js";
import { sftColdStart } from "../train/sft.js";
import { listCheckpoints, loadOptimizerState, readTrainerState, saveRunCheckpoint } from "../train/state.js";

export interface RunLog {
  info(msg: string): void;
  /** Transient progress (a terminal line that is overwritten). */
  progress(msg: string): void;
}

export interface TrainSummary {
  outputDir: string;
  evalBefore: EvalReport;
  evalAfter: EvalReport;
  /** pass@1 after − pass@1 before (absolute). */
  gain: number;
  seconds: Record<string, number>;
}

/**
 * Runs (or resumes) a training job.
 * @param partial config fields (camelCase or snake_case); ignored on resume except `maxSteps` (the run's saved
 *   `config.json` is used so the resumed run is the same run)
 */
export async function runTrain(partial: Record<string, unknown>, opts: { resume?: string; log: RunLog }): Promise<TrainSummary> {
  const { log } = opts;
  const seconds: Record<string, number> = {};
  const tStart = performance.now();

  let cfg: Readonly<TrainConfig>;
  let resumeFrom: { step: number; dir: string } | null = null;
  if (opts.resume) {
    const saved = await readFile(join(opts.resume, "config.json"), "utf8").catch(() => {
      throw new CheckpointError(`${opts.resume} is not a thinkrl run directory (config.json missing)`);
    });
    const savedCfg = JSON.parse(saved) as Record<string, unknown>;
    cfg = resolveTrainConfig({ ...savedCfg, outputDir: opts.resume, ...(partial.maxSteps !== undefined ? { maxSteps: partial.maxSteps } : {}) });
    const cks = await listCheckpoints(opts.resume);
    resumeFrom = cks[cks.length - 1] ?? null;
    if (resumeFrom === null) log.info(`no checkpoint in ${opts.resume}: starting it from the beginning`);
  } else {
    cfg = resolveTrainConfig(partial);
  }
  const runDir = cfg.outputDir;

  // ── model ───────────────────────────────────────────────────────────────────────────────────────────
  // Fail on unknown reward names before any slow work.
  const rewards = cfg.rewardFuncs.map((name, i) => ({ name, fn: getReward(name), weight: cfg.rewardWeights[i]! }));
  const source = await openPromptSource(cfg.dataset, cfg.numEvalProblems, cfg.seed);
  let model: CausalLM;
  // generation_config.json of the loaded model, kept in every checkpoint (null: a minimal one is written).
  let generationConfig: unknown = null;
  const load = async (dir: string): Promise<CausalLM> => {
    const l: LoadedModel = await loadModelFiles(dir);
    generationConfig = l.generationConfigJson;
    return l.model;
  };
  let trainerState: Record<string, unknown> = {};
  const t0 = performance.now();
  if (resumeFrom) {
    log.info(`resuming ${runDir} from ${resumeFrom.dir}`);
    model = await load(resumeFrom.dir);
    trainerState = await readTrainerState(resumeFrom.dir);
  } else if (cfg.model !== null) {
    log.info(`loading ${cfg.model}`);
    model = await load(cfg.model);
  } else if (cfg.coldStartSteps > 0) {
    const mc = defaultModelConfig();
    model = new CausalLM(mc, paramsFromTensors(mc, initTensors(mc, new Rng(cfg.seed))), loadTokenizer(defaultTokenizerJson()));
    log.info(`cold start: ${cfg.coldStartSteps} SFT steps on worked ${source.name} solutions (batch ${cfg.coldStartBatchSize})`);
    await sftColdStart(model, source, {
      steps: cfg.coldStartSteps,
      batchSize: cfg.coldStartBatchSize,
      learningRate: cfg.coldStartLearningRate,
      warmupSteps: Math.min(50, cfg.coldStartSteps),
      format: cfg.promptFormat ?? "compact",
      onStep: (s, loss) => log.progress(`cold start ${s}/${cfg.coldStartSteps}  loss ${loss.toFixed(4)}`),
    });
    seconds.cold_start = (performance.now() - t0) / 1000;
  } else {
    if (cfg.dataset !== "arithmetic") {
      throw new ConfigError(`the shipped cold-start checkpoint was trained on arithmetic (dataset is ${cfg.dataset})`, {
        hint: "pass --cold-start-steps 300 to cold-start on this task, or --model <dir>",
      });
    }
    log.info(`loading the embedded default model's cold-start checkpoint`);
    model = await load(defaultModelDir());
  }
  seconds.load = seconds.cold_start === undefined ? (performance.now() - t0) / 1000 : 0;
  // Without --prompt-format: chat for models with a chat template, r1-zero for other real tokenizers, compact for the
  // embedded model's vocabulary.
  const format: PromptFormat = cfg.promptFormat ?? defaultPromptFormat(model);
  if (format === "chat" && !model.tokenizer.chatTemplate) {
    throw new ConfigError("promptFormat chat needs a model with a chat template (tokenizer_config.json chat_template or chat_template.jinja)", {
      hint: "use --prompt-format r1-zero for base models, compact for the embedded model",
    });
  }
  log.info(`prompt format: ${format}${cfg.promptFormat === null ? " (the model's default; --prompt-format to change)" : ""}`);
  // Inputs are valid (config, dataset, model): only now does the run directory get created. config.json records
  // the resolved prompt format, so the run (and a resume of it) says which one it used.
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, "config.json"), JSON.stringify({ ...cfg, promptFormat: format }, null, 1));

  if (cfg.rewardFuncs.includes("code")) {
    // Model output is hostile: refuse to start unless the code sandbox's isolation is verified.
    const { assertSandbox, resolveSandboxConfig } = await import("../reward/code/sandbox.js");
    await assertSandbox(resolveSandboxConfig());
  }

  // ── held-out evaluation (R1 protocol) ───────────────────────────────────────────────────────────────
  const runEval = async (label: string): Promise<EvalReport> => {
    const r = await heldOutEval(
      model,
      source.heldOut,
      {
        samples: cfg.evalSamples,
        temperature: cfg.evalTemperature,
        topP: cfg.evalTopP,
        maxCompletionLength: cfg.maxCompletionLength,
        format,
        onProgress: (d, n) => log.progress(`eval ${label}: ${d}/${n} problems`),
      },
      new Rng(cfg.seed + EVAL_SEED_OFFSET),
    );
    log.info(`eval ${label}: ${describeEval(r)}`);
    return r;
  };
  let evalBefore = savedEvalReport(trainerState.eval_before);
  if (evalBefore === undefined) evalBefore = await runEval("before RL");
  seconds.eval_before = evalBefore.seconds;

  // ── GRPO ────────────────────────────────────────────────────────────────────────────────────────────
  const rng = new Rng(cfg.seed + 1);
  const trainer = new GrpoTrainer({
    model,
    refParams: cfg.beta > 0 ? tree.ref(model.params) : null,
    source,
    rewards,
    rng,
    format,
    config: cfg,
    onWarning: (m) => log.info(`warning: ${m}`),
  });
  let startStep = 0;
  const metricsPath = join(runDir, "metrics.jsonl");
  if (resumeFrom) {
    startStep = trainerState.global_step as number;
    rng.setState(trainerState.rng_state as number[]);
    source.setState(trainerState.data_state);
    trainer.updater.state = await loadOptimizerState(resumeFrom.dir, trainer.updater.state);
    // Drop rows logged after the checkpoint by the interrupted process: they are recomputed identically.
    const old = await readFile(metricsPath, "utf8").catch(() => "");
    const keep = old.split("\n").filter((l) => l.trim() && (JSON.parse(l) as { step: number }).step <= startStep);
    await writeFile(metricsPath, keep.map((l) => l + "\n").join(""));
    if (cfg.beta > 0) log.info("note: β > 0 on resume uses the resumed weights as the reference model");
  }
  const state = () => ({ rng_state: rng.getState(), data_state: source.getState(), eval_before: evalBefore });
  const tRl = performance.now();
  let rlSeconds = (trainerState.rl_seconds as number | undefined) ?? 0;
  for (let step = startStep + 1; step <= cfg.maxSteps; step++) {
    const { metrics, samples } = await trainer.step(step);
    await appendFile(metricsPath, JSON.stringify(metrics) + "\n");
    if (cfg.logCompletionsSteps > 0 && step % cfg.logCompletionsSteps === 0) {
      await appendFile(join(runDir, "completions.jsonl"), samples.map((s) => JSON.stringify({ step, ...s })).join("\n") + "\n");
    }
    log.progress(
      `step ${step}/${cfg.maxSteps}  reward ${metrics.reward!.toFixed(3)}  acc ${(metrics.accuracy ?? 0).toFixed(3)}  ` +
        `zero-std ${(100 * metrics.frac_reward_zero_std!).toFixed(0)}%  len ${metrics["completions/mean_length"]!.toFixed(1)}  ` +
        `${metrics.step_seconds!.toFixed(1)} s/step`,
    );
    if (cfg.evalSteps > 0 && step % cfg.evalSteps === 0 && step < cfg.maxSteps) await runEval(`step ${step}`);
    if ((cfg.saveSteps > 0 && step % cfg.saveSteps === 0) || step === cfg.maxSteps) {
      const now = rlSeconds + (performance.now() - tRl) / 1000;
      await saveRunCheckpoint(runDir, step, model, trainer.updater.state, { ...state(), rl_seconds: now }, cfg.saveTotalLimit, generationConfig);
    }
  }
  rlSeconds += (performance.now() - tRl) / 1000;
  seconds.rl = rlSeconds;
  log.info(`GRPO: ${cfg.maxSteps - startStep} steps in ${((performance.now() - tRl) / 1000).toFixed(0)} s`);

  const evalAfter = await runEval("after RL");
  seconds.eval_after = evalAfter.seconds;
  // Phases of the whole run (a resumed run counts its earlier processes' GRPO time too, from trainer_state.json).
  seconds.total = Object.values(seconds).reduce((a, b) => a + b, 0);
  seconds.this_process = (performance.now() - tStart) / 1000;
  const summary: TrainSummary = { outputDir: runDir, evalBefore, evalAfter, gain: evalAfter.metrics[METRICS.pass1]! - evalBefore.metrics[METRICS.pass1]!, seconds };
  await writeFile(join(runDir, "summary.json"), JSON.stringify(summary, null, 1));
  log.info(
    `held-out pass@1: ${(100 * evalBefore.metrics[METRICS.pass1]!).toFixed(1)}% → ${(100 * evalAfter.metrics[METRICS.pass1]!).toFixed(1)}% ` +
      `(${summary.gain >= 0 ? "+" : ""}${(100 * summary.gain).toFixed(1)} points); summary in ${join(runDir, "summary.json")}`,
  );
  trainer.updater.dispose();
  return summary;
}
