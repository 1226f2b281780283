/**
 * The recipe stages (`run-recipe.ts`): each calls the library function behind its command — `sft` `runSftJob`,
 * `grpo` the `thinkrl train` run (`runTrain`), `sample` `runSampleJob`, `eval` `runBenchmark`, `merge` `mergeModels`,
 * `pairs` `runPairs`, `dpo` `runDpoJob`, `adapt` `runAdapt` — with the stage options read as the commands' flags are
 * (`sampleJobFromOptions`, `benchmarkConfigFromOptions`), with the same defaults; `table` lays out earlier stages'
 * metrics. Stages that touch a model need the jax-js engine started (`initEngine`); the runner calls them in a
 * child process (`stage-worker.ts`) that starts it.
 */
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { plural } from "../core/log.js";
import { openPromptSource } from "../data/source.js";
import { TASK_NAMES } from "../data/tasks/index.js";
import { METRICS } from "../eval/metrics.js";
import { SFT_PIPELINE_DEFAULTS, type StageType } from "./recipe.js";
import { PipelineInterrupted, type StageContext, type StageMetrics, type StageResult, type StageRun } from "./stage-run.js";

/** A stage: `dir` its directory (created), `opts` its resolved options, `earlier` the results of the stages before it. */
export type StageFn = (dir: string, opts: Record<string, unknown>, o: StageContext, earlier: readonly StageResult[]) => Promise<StageRun>;

/** The stage function of every stage type. */
export const STAGES = { sft: sftStage, grpo: grpoStage, sample: sampleStage, eval: evalStage, merge: mergeStage, pairs: pairsStage, dpo: dpoStage, adapt: adaptStage, table: tableStage } satisfies Record<StageType, StageFn>;

/**
 * SFT (`thinkrl sft`) in the stage directory. A built-in task (or mix) as `dataset` is first exported as
 * `numExamples` worked solutions to `solutions.jsonl`; `fromScratch` starts from a seeded random init of the
 * embedded model. Continues from the latest checkpoint when there is one.
 */
async function sftStage(dir: string, opts: Record<string, unknown>, o: StageContext): Promise<StageRun> {
  const { resolveSftConfig } = await import("../train/sft-config.js");
  const { listCheckpoints } = await import("../train/state.js");
  const { runSftJob } = await import("./sft-job.js");
  const { fromScratch = SFT_PIPELINE_DEFAULTS.fromScratch, numExamples = SFT_PIPELINE_DEFAULTS.numExamples, solutionStyle = SFT_PIPELINE_DEFAULTS.solutionStyle, ...rest } = opts;
  const partial: Record<string, unknown> = { ...rest, outputDir: dir };
  if (isBuiltinTasks(String(rest.dataset))) {
    partial.dataset = join(dir, "solutions.jsonl");
    await exportSolutions(String(rest.dataset), numExamples as number, (rest.seed as number | undefined) ?? 0, partial.dataset as string, solutionStyle === "checked");
  }
  const cfg = resolveSftConfig(partial);
  const cks = await listCheckpoints(dir);
  const resumeFrom = cks[cks.length - 1] ?? null;
  const model = !resumeFrom && fromScratch ? await randomEmbeddedModel(cfg.seed) : undefined;
  // A run stopped before its first checkpoint starts over: overwrite drops the files it left (the stage's own stay).
  const s = await runSftJob(cfg, { log: o.log, resumeFrom, overwrite: true, signal: o.signal, model });
  if (s.interrupted) throw new PipelineInterrupted(`interrupted in stage ${dir} after SFT step ${s.steps}; rerun the recipe to continue`);
  o.log.info(`SFT: ${plural(s.steps, "step")}, loss ${s.loss.toFixed(4)}${Number.isNaN(s.evalLoss) ? "" : `, eval_loss ${s.evalLoss.toFixed(4)}`}`);
  const metrics: StageMetrics = { loss: s.loss, steps: s.steps, examples: s.trainExamples };
  if (!Number.isNaN(s.evalLoss)) metrics.evalLoss = s.evalLoss;
  return { outputs: { model: s.finalModel }, metrics, resumed: resumeFrom !== null };
}

/** GRPO (`thinkrl train`) in the stage directory; `--resume` semantics when it already holds a run. */
async function grpoStage(dir: string, opts: Record<string, unknown>, o: StageContext): Promise<StageRun> {
  const { runTrain } = await import("./r1-zero.js");
  const { listCheckpoints } = await import("../train/state.js");
  const resume = (await exists(join(dir, "config.json"))) ? dir : undefined;
  if (resume !== undefined && (await listCheckpoints(dir)).length === 0) {
    // Stopped before its first checkpoint: start over without the rows the stopped run logged.
    await rm(join(dir, "metrics.jsonl"), { force: true });
    await rm(join(dir, "completions.jsonl"), { force: true });
  }
  const s = await runTrain({ ...opts, outputDir: dir }, { resume, log: o.log });
  const cks = await listCheckpoints(dir);
  const last = cks[cks.length - 1];
  if (last === undefined) throw new ConfigError(`stage ${dir}: the GRPO run saved no checkpoint`);
  return {
    outputs: { model: last.dir, summary: join(dir, "summary.json") },
    metrics: {
      ...s.evalAfter.metrics,
      [`before/${METRICS.pass1}`]: s.evalBefore.metrics[METRICS.pass1],
      [`before/${METRICS.formatRate}`]: s.evalBefore.metrics[METRICS.formatRate],
    },
    resumed: resume !== undefined,
  };
}

/** Rejection sampling (`thinkrl sample --resume`) into `<dir>/samples.jsonl`. */
async function sampleStage(dir: string, opts: Record<string, unknown>, o: StageContext): Promise<StageRun> {
  const { runSampleJob, sampleJobFromOptions } = await import("./rejection-sampling.js");
  const out = join(dir, "samples.jsonl");
  const resumed = await exists(`${out}.done.jsonl`);
  const { summary } = await runSampleJob(sampleJobFromOptions({ ...opts, out, resume: true }), { log: o.log, signal: o.signal }).catch((e: unknown) => {
    throw o.signal?.aborted ? new PipelineInterrupted(`interrupted in stage ${dir}; rerun the recipe to continue`) : e;
  });
  o.log.info(`sample: ${plural(summary.samples, "sample")}, ${plural(summary.rowsThisRun, "row")} kept (${summary.rows} in all)`);
  const text = await readFile(out, "utf8");
  const rows = text.split("\n").filter((l) => l.trim() !== "").length;
  if (rows === 0) throw new ConfigError(`stage ${dir}: sampling kept no rows (no sample passed the keep policy)`, { hint: "more prompts or samples, or a stronger model" });
  return { outputs: { output: out }, metrics: { rows }, resumed };
}

/** Benchmark evaluation (`thinkrl eval --out <dir>`); restarts when interrupted. */
async function evalStage(dir: string, opts: Record<string, unknown>, o: StageContext): Promise<StageRun> {
  const { benchmarkConfigFromOptions, runBenchmark } = await import("./benchmark.js");
  const r = await runBenchmark(benchmarkConfigFromOptions({ ...opts, out: dir }), { signal: o.signal }).catch((e: unknown) => {
    throw o.signal?.aborted ? new PipelineInterrupted(`interrupted in stage ${dir}; rerun the recipe to run it again`) : e;
  });
  const { formatSummaryTable } = await import("../eval/evaluate.js");
  o.log.info(formatSummaryTable(`eval ${r.summary.dataset} (${r.layout})`, r.run.metrics, { problems: r.run.numProblems, samples: r.run.samples }));
  const adapterParams = r.summary.adapter_params;
  return { outputs: { summary: r.summaryPath }, metrics: { ...r.run.metrics, ...(typeof adapterParams === "number" ? { adapter_params: adapterParams } : {}) }, resumed: false };
}

/** Linear model merge (`thinkrl merge`) into `<dir>/model`; restarts when interrupted (it writes atomically). */
async function mergeStage(dir: string, opts: Record<string, unknown>, o: StageContext): Promise<StageRun> {
  const { mergeModels } = await import("./merge.js");
  const s = await mergeModels({ models: opts.models as string[], weights: opts.weights as number[] | undefined, maxShardBytes: opts.maxShardSize as number | undefined, out: join(dir, "model"), overwrite: true, log: o.log });
  return { outputs: { model: s.out }, metrics: { tensors: s.tensors, parameters: s.parameters }, resumed: false };
}

/** Preference pairs (`thinkrl pairs`) into `<dir>/pairs.jsonl`; refuses an empty result. */
async function pairsStage(dir: string, opts: Record<string, unknown>, _o: StageContext): Promise<StageRun> {
  const { runPairs } = await import("./pairs.js");
  const out = join(dir, "pairs.jsonl");
  const s = await runPairs(String(opts.samples), out, { longRatio: opts.longRatio as number | undefined, maxPairsPerPrompt: opts.maxPairsPerPrompt as number | undefined, correctReward: opts.correctReward as string | undefined });
  if (s.pairs === 0) throw new ConfigError(`stage ${dir}: no preference pair (${s.prompts} prompts: ${s.noCorrect} without a correct answer, ${s.noRejected} with nothing longer to reject)`);
  return { outputs: { output: out }, metrics: { pairs: s.pairs, wrong: s.wrong, longCorrect: s.longCorrect, prompts: s.prompts }, resumed: false };
}

/** DPO (`thinkrl dpo`) in the stage directory; continues from its latest checkpoint when there is one. */
async function dpoStage(dir: string, opts: Record<string, unknown>, o: StageContext): Promise<StageRun> {
  const { resolveDpoConfig } = await import("../train/dpo-config.js");
  const { listCheckpoints } = await import("../train/state.js");
  const { runDpoJob } = await import("./dpo-job.js");
  const cfg = resolveDpoConfig({ ...opts, outputDir: dir });
  const resumeFrom = (await listCheckpoints(dir)).at(-1) ?? null;
  const s = await runDpoJob(cfg, { log: o.log, resumeFrom, overwrite: true, signal: o.signal });
  if (s.interrupted) throw new PipelineInterrupted(`interrupted in stage ${dir} after DPO step ${s.steps}; rerun the recipe to continue`);
  const metrics: StageMetrics = { loss: s.loss, steps: s.steps, pairs: s.trainPairs };
  if (!Number.isNaN(s.evalLoss)) Object.assign(metrics, { evalLoss: s.evalLoss, evalAccuracy: s.evalAccuracy, evalMargin: s.evalMargin });
  return { outputs: { model: s.finalModel }, metrics, resumed: resumeFrom !== null };
}

/** Transformer² self-adaptation (`thinkrl adapt --out <dir>`); restarts when interrupted. */
async function adaptStage(dir: string, opts: Record<string, unknown>, o: StageContext): Promise<StageRun> {
  const { resolveAdaptConfig } = await import("./adapt-config.js");
  const { runAdapt, formatAdaptSummary } = await import("./adapt-job.js");
  const s = await runAdapt(resolveAdaptConfig({ ...opts, out: dir }), { log: o.log });
  o.log.info(formatAdaptSummary(s));
  const metrics: StageMetrics = { ...s.metrics, first_pass_seconds: s.firstPass.seconds, first_pass_forward_passes: s.firstPass.forwardPasses };
  for (const [task, t] of Object.entries(s.perTask)) {
    metrics[`${METRICS.pass1}/${task}`] = t.pass1;
    if (t.seconds !== undefined) metrics[`cem_seconds/${task}`] = t.seconds;
  }
  if (s.classificationAccuracy !== null) metrics.classification_accuracy = s.classificationAccuracy;
  return { outputs: { summary: join(dir, "summary.json") }, metrics, resumed: false };
}

/** A markdown table of earlier stages' metrics (`recipe.ts` `checkTableStage`), printed and written to `<dir>/table.md`. */
async function tableStage(dir: string, opts: Record<string, unknown>, o: StageContext, earlier: readonly StageResult[]): Promise<StageRun> {
  const { isRateMetric } = await import("../eval/metrics.js");
  const metric = (opts.metric as string | undefined) ?? METRICS.pass1;
  const cell = (c: string): string => {
    if (c === "") return "";
    const [stage, key = metric] = c.split(/:(.*)/s) as [string, string?];
    const v = earlier.find((r) => r.stage === stage)?.metrics[key];
    if (v === undefined || !Number.isFinite(v)) return "—";
    return isRateMetric(key.split("/")[0]!) || key === "classification_accuracy" ? `${(100 * v).toFixed(1)}%` : Number.isInteger(v) ? v.toLocaleString("en-US") : v.toFixed(1);
  };
  const cols = opts.columns as string[];
  const rows = Object.entries(opts.rows as Record<string, string[]>);
  const lines = [`| | ${cols.join(" | ")} |`, `|---|${cols.map(() => "---:").join("|")}|`, ...rows.map(([label, cells]) => `| ${label} | ${cells.map(cell).join(" | ")} |`)];
  const text = `${opts.title ? `${String(opts.title)}\n\n` : ""}${lines.join("\n")}\n`;
  o.log.info(text);
  const out = join(dir, "table.md");
  await writeFile(out, text);
  return { outputs: { table: out }, metrics: {}, resumed: false };
}

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────

function isBuiltinTasks(dataset: string): boolean {
  return dataset.split(",").every((part) => (TASK_NAMES as string[]).includes(part.trim().split(":")[0]!));
}

/**
 * Writes `n` worked solutions of a built-in task (or mix) as SFT rows `{prompt, completion, …columns}`, drawn from
 * its training stream (`numEval` 0: the held-out pool is still excluded, so evaluation problems never become SFT
 * data). Deterministic for a seed, so rewriting it on resume gives the same file.
 */
async function exportSolutions(dataset: string, n: number, seed: number, path: string, checked = false): Promise<void> {
  const source = await openPromptSource(dataset, 0, seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = source.next();
    const solution = checked ? p.checkedSolution : p.solution;
    if (solution === undefined) throw new ConfigError(`${dataset} has no ${checked ? "checked" : "worked"} solutions to export`);
    lines.push(JSON.stringify({ ...p.columns, prompt: p.question, completion: solution }));
  }
  await writeFile(path, lines.join("\n") + "\n");
}

/** The embedded model's architecture with seeded random weights (the "base model" of the tiny setting). */
async function randomEmbeddedModel(seed: number) {
  const { CausalLM } = await import("../model/causal-lm.js");
  const { defaultModelConfig, defaultTokenizerJson } = await import("../model/default.js");
  const { initTensors, paramsFromTensors } = await import("../model/params.js");
  const { loadTokenizer } = await import("../model/tokenizer.js");
  const { Rng } = await import("../core/rng.js");
  const mc = defaultModelConfig();
  return new CausalLM(mc, paramsFromTensors(mc, initTensors(mc, new Rng(seed))), loadTokenizer(defaultTokenizerJson()));
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}
