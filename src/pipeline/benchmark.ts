/**
 * A benchmark run (`thinkrl eval`, pipeline `eval` stages): a model on a benchmark by the R1 protocol (n samples at
 * T 0.6 / top-p 0.95; pass@1, cons@n, pass@k; `eval/metrics.ts`) — a built-in task's held-out set (`arithmetic`,
 * `countdown`: the set `thinkrl train` evaluates on) or a `.jsonl` / `.parquet` file in the GSM8K, MATH, AIME or
 * plain question/answer layout (`eval/problems.ts`). Writes `results.jsonl` (one row per problem: question, gold,
 * samples, extracted answers, correct flags, majority answer) and `summary.json` to `out`.
 *
 * The sampler is a local model (default the embedded one; the jax-js engine must be started first) or an
 * OpenAI-compatible endpoint (sample i of a problem requested with seed `seed` + i; the engine is never loaded).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { isDatasetFile } from "../data/formats/records.js";
import type { PromptFormat } from "../data/template.js";
import { BENCHMARK_DEFAULTS, EVAL_SEED_OFFSET } from "../eval/defaults.js";
import { evaluate, type EvalRun } from "../eval/evaluate.js";
import { accuracyJudge, mathJudge } from "../eval/judge.js";
import { BENCHMARK_LAYOUTS, fromPromptItems, loadBenchmark, type BenchmarkLayout, type EvalProblem } from "../eval/problems.js";
import type { SampleParams } from "../rollout/sampler.js";
import { endpointFromOptions, openSampler, type EndpointOptions } from "./samplers.js";

export interface BenchmarkConfig {
  /** Built-in task (`arithmetic`, `countdown`: its held-out set) or a `.jsonl` / `.parquet` file. Default `arithmetic`. */
  dataset: string;
  /** File layout: `auto` (default: from the first row), `gsm8k`, `math`, `aime`, `fields`. */
  layout: BenchmarkLayout | "auto";
  /** Question field (default: the layout's). */
  questionField: string | null;
  /** Gold answer field (default: the layout's). */
  answerField: string | null;
  /** Built-in tasks: held-out problems (default 256, as `thinkrl train`); files: the first N rows (default all). */
  numEvalProblems: number | null;
  /** n, samples per problem. Default 4. */
  evalSamples: number;
  /** Default 0.6 (`R1_EVAL_SAMPLING`). */
  temperature: number;
  /** Default 0.95 (`R1_EVAL_SAMPLING`). */
  topP: number;
  /** Completion budget in tokens. Default 48 for a local model, 32,768 (R1 §3.1) for an endpoint. */
  maxCompletionLength: number;
  /** Local model: sequences per `generate` call (memory). Default 256. */
  batchSize: number;
  /** Problem drawing (built-in tasks) and sampling. Default 0. */
  seed: number;
  /** Local model directory; null (default): the embedded model, unless `endpoint` is set. */
  model: string | null;
  /** An OpenAI-compatible server instead of a local model. Default none. */
  endpoint: EndpointOptions | null;
  /** Prompt format (default: the local model's; the completions API's template: r1-zero). */
  format: PromptFormat | null;
  /** Directory for `results.jsonl` and `summary.json`. Default `runs/eval-<timestamp>`. */
  out: string;
  /** Local model: SVF expert files to apply (mixed by `expertWeights`). Default none. */
  expert: string[] | null;
  /** α of each expert. Default: 1 for one expert. */
  expertWeights: number[] | null;
  /** Local model: a PEFT LoRA adapter directory to apply. Default none. */
  adapterPath: string | null;
}

export type PartialBenchmarkConfig = Partial<BenchmarkConfig>;

const BENCHMARK_KEYS: readonly (keyof BenchmarkConfig)[] = [
  "dataset", "layout", "questionField", "answerField", "numEvalProblems", "evalSamples", "temperature", "topP",
  "maxCompletionLength", "batchSize", "seed", "model", "endpoint", "format", "out", "expert", "expertWeights", "adapterPath",
];

/** `BENCHMARK_DEFAULTS` filled in, every field checked. @throws ConfigError quoting the offending value */
export function resolveBenchmarkConfig(partial: PartialBenchmarkConfig): Readonly<BenchmarkConfig> {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as PartialBenchmarkConfig;
  const unknown = Object.keys(given).filter((k) => !BENCHMARK_KEYS.includes(k as keyof BenchmarkConfig));
  if (unknown.length > 0) throw new ConfigError(`eval: unknown option ${unknown.map((k) => `"${k}"`).join(", ")}`, { hint: `valid: ${BENCHMARK_KEYS.join(", ")}` });
  const endpoint = given.endpoint ?? null;
  const D = BENCHMARK_DEFAULTS;
  const c: BenchmarkConfig = {
    dataset: D.dataset,
    layout: D.layout,
    questionField: null,
    answerField: null,
    numEvalProblems: null,
    evalSamples: D.evalSamples,
    temperature: D.temperature,
    topP: D.topP,
    maxCompletionLength: endpoint ? D.maxCompletionLengthEndpoint : D.maxCompletionLengthLocal,
    batchSize: D.batchSize,
    seed: D.seed,
    model: null,
    endpoint: null,
    format: null,
    out: `runs/eval-${new Date().toISOString().replace(/[:.]/g, "-")}`,
    expert: null,
    expertWeights: null,
    adapterPath: null,
    ...given,
  };
  const int = (name: string, v: number | null, min: number) => {
    if (v !== null && (!Number.isSafeInteger(v) || v < min)) throw new ConfigError(`eval: ${name} must be an integer ≥ ${min} (got ${String(v)})`);
  };
  int("evalSamples (--eval-samples)", c.evalSamples, 1);
  int("maxCompletionLength (--max-completion-length)", c.maxCompletionLength, 1);
  int("numEvalProblems (--num-eval-problems)", c.numEvalProblems, 1);
  int("batchSize (--batch-size)", c.batchSize, 1);
  if (!Number.isSafeInteger(c.seed)) throw new ConfigError(`eval: seed must be an integer (got ${String(c.seed)})`);
  if (!(c.temperature >= 0)) throw new ConfigError(`eval: temperature must be ≥ 0 (got ${String(c.temperature)})`);
  if (!(c.topP > 0 && c.topP <= 1)) throw new ConfigError(`eval: topP must be in (0, 1] (got ${String(c.topP)})`);
  if (!BENCHMARK_LAYOUTS.includes(c.layout)) throw new ConfigError(`eval: layout must be one of ${BENCHMARK_LAYOUTS.join(", ")} (got "${String(c.layout)}")`);
  if (c.endpoint !== null && c.model !== null) throw new ConfigError("eval: pass --model or --endpoint, not both");
  if (c.endpoint !== null && (c.expert !== null || c.adapterPath !== null)) throw new ConfigError("eval: --expert / --adapter-path apply to a local model, not an endpoint");
  return Object.freeze(c);
}

/**
 * A benchmark config from options under the `thinkrl eval` flag names in camelCase (the CLI's parsed flags, a
 * pipeline stage's `with`): the config fields, plus the endpoint flags (`endpointFromOptions`) and the completion
 * budget's aliases `maxNewTokens` and `maxTokens`.
 * @throws ConfigError for an inconsistent endpoint or two spellings of the completion budget
 */
export function benchmarkConfigFromOptions(rec: Readonly<Record<string, unknown>>): Readonly<BenchmarkConfig> {
  const { endpoint: _e, endpointModel: _m, endpointApi: _a, apiKeyEnv: _k, concurrency: _c, maxNewTokens, maxTokens, maxCompletionLength, ...rest } = rec;
  const budgets = [maxCompletionLength, maxNewTokens, maxTokens].filter((v) => v !== undefined);
  if (budgets.length > 1) throw new ConfigError("eval: give one of --max-completion-length, --max-new-tokens, --max-tokens (they are the same setting)");
  return resolveBenchmarkConfig({ ...(rest as PartialBenchmarkConfig), endpoint: endpointFromOptions(rec, "eval"), maxCompletionLength: budgets[0] as number | undefined });
}

export interface BenchmarkDeps {
  /** Called as each problem's samples are in. */
  onProgress?: (doneProblems: number, total: number) => void;
  signal?: AbortSignal;
  /** Environment holding an endpoint's API key (default `process.env`). */
  env?: Record<string, string | undefined>;
}

export interface BenchmarkResult {
  run: EvalRun;
  /** What `summary.json` holds: the run's settings and counters, then the metrics. */
  summary: Record<string, string | number>;
  layout: BenchmarkLayout | "task";
  /** `results.jsonl` and `summary.json`. */
  resultsPath: string;
  summaryPath: string;
}

/**
 * Loads the problems (a bad file fails before the model loads), opens the sampler, evaluates and writes the
 * results. A local model draws from `new Rng(seed + EVAL_SEED_OFFSET)`: on a built-in task with the same seed and
 * sampling settings, the samples of `thinkrl train`'s held-out eval.
 */
export async function runBenchmark(cfg: Readonly<BenchmarkConfig>, deps: BenchmarkDeps = {}): Promise<BenchmarkResult> {
  const { problems, layout } = await loadProblems(cfg);
  const opened = await openSampler(
    { model: cfg.model ?? (cfg.endpoint === null && layout === "task" ? await shippedModelFor(cfg.dataset) : null), endpoint: cfg.endpoint, format: cfg.format, adapter: { expert: cfg.expert, expertWeights: cfg.expertWeights, adapterPath: cfg.adapterPath } },
    { seed: cfg.seed + EVAL_SEED_OFFSET, jitterSeed: cfg.seed, batchSize: cfg.batchSize, env: deps.env },
  );
  const params: SampleParams = { temperature: cfg.temperature, topP: cfg.topP, maxTokens: cfg.maxCompletionLength };
  // Endpoints: sample i is requested with seed + i. A local model continues its generator instead.
  if (opened.kind === "endpoint") params.seed = cfg.seed;
  const run = await evaluate(problems, opened.sampler, layout === "task" ? accuracyJudge : mathJudge(), {
    samples: cfg.evalSamples,
    params,
    onProgress: deps.onProgress,
    signal: deps.signal,
  });
  const e = opened.endpoint;
  const summary: Record<string, string | number> = {
    dataset: cfg.dataset,
    layout,
    model: opened.modelName,
    ...(e ? { endpoint: e.url, api: e.api, max_tokens: cfg.maxCompletionLength } : {}),
    problems: problems.length,
    samples: cfg.evalSamples,
    temperature: cfg.temperature,
    top_p: cfg.topP,
    seconds: Number(run.seconds.toFixed(1)),
    ...(e ? { requests: e.stats.requests, retries: e.stats.retries } : {}),
    ...(opened.adapterParams !== undefined ? { adapter_params: opened.adapterParams } : {}),
    ...run.metrics,
  };
  await mkdir(cfg.out, { recursive: true });
  const resultsPath = join(cfg.out, "results.jsonl");
  const summaryPath = join(cfg.out, "summary.json");
  await writeFile(resultsPath, run.results.map((r) => JSON.stringify(r)).join("\n") + "\n");
  await writeFile(summaryPath, JSON.stringify(summary, null, 1) + "\n");
  return { run, summary, layout, resultsPath, summaryPath };
}

/** A built-in task's held-out set (judged by the accuracy reward) or a benchmark file (judged by the maths verifier). */
async function loadProblems(cfg: Readonly<BenchmarkConfig>): Promise<{ problems: EvalProblem[]; layout: BenchmarkLayout | "task" }> {
  const { TASK_NAMES } = await import("../data/tasks/index.js");
  if ((TASK_NAMES as string[]).includes(cfg.dataset)) {
    const { openPromptSource } = await import("../data/source.js");
    const source = await openPromptSource(cfg.dataset, cfg.numEvalProblems ?? BENCHMARK_DEFAULTS.numEvalProblemsTask, cfg.seed);
    return { problems: fromPromptItems(source.heldOut), layout: "task" };
  }
  if (!isDatasetFile(cfg.dataset)) {
    throw new ConfigError(`unknown dataset "${cfg.dataset}"`, { hint: `use a built-in task (${TASK_NAMES.join(", ")}) or a .jsonl / .parquet file` });
  }
  return loadBenchmark(cfg.dataset, {
    layout: cfg.layout,
    questionField: cfg.questionField ?? undefined,
    answerField: cfg.answerField ?? undefined,
    limit: cfg.numEvalProblems ?? undefined,
  });
}

/**
 * The shipped checkpoint a built-in task evaluates on when no `--model` is given: the Transformer² model for the
 * `t2-*` tasks (they need its character vocabulary), else null (the embedded default model).
 */
async function shippedModelFor(dataset: string): Promise<string | null> {
  const { builtinModelDirFor, t2ModelDir } = await import("../model/load.js");
  return builtinModelDirFor(dataset) === t2ModelDir() ? t2ModelDir() : null;
}
