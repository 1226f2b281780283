/**
 * `thinkrl eval`: a model on a benchmark by the R1 protocol (n samples at T 0.6 / top-p 0.95; pass@1, cons@n,
 * pass@k) — a built-in task's held-out set (`arithmetic`, `countdown`) or a `.jsonl` / `.parquet` file in the GSM8K,
 * MATH, AIME or plain question/answer layout. Prints a summary table; writes `results.jsonl` (one row per problem:
 * question, gold, samples, extracted answers, correct flags, majority answer) and `summary.json` to `--out`.
 *
 * The solver is a local model (`--model`, default the embedded one) or an OpenAI-compatible endpoint
 * (`--endpoint` + `--endpoint-model`; sample i of a problem is requested with seed `--seed` + i). An endpoint
 * evaluation never starts the jax-js engine.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../../core/errors.js";
import type { EvalSampler } from "../../eval/solver.js";
import { endpointFlags, openModel, pickFormat } from "./shared.js";

/** Sampling-seed offset, as in `thinkrl train`'s held-out evaluation (same samples for the same model and seed). */
const EVAL_SEED = 20_000;
/** Endpoint default for `--max-tokens`: R1's maximum generation length (R1 §3.1, 32,768 tokens). */
const ENDPOINT_MAX_TOKENS = 32_768;

export async function runEval(o: Record<string, unknown>): Promise<void> {
  const dataset = String(o.dataset);
  const samples = Number(o.evalSamples);
  if (!Number.isInteger(samples) || samples < 1) throw new ConfigError(`--eval-samples must be an integer ≥ 1 (got ${String(o.evalSamples)})`);
  const { TASK_NAMES } = await import("../../data/tasks/index.js");
  const isTask = (TASK_NAMES as string[]).includes(dataset);
  const { isDatasetFile } = await import("../../data/formats/records.js");
  if (!isTask && !isDatasetFile(dataset)) {
    throw new ConfigError(`unknown dataset "${dataset}"`, { hint: `use a built-in task (${TASK_NAMES.join(", ")}) or a .jsonl / .parquet file` });
  }
  const limit = o.numEvalProblems === undefined ? undefined : Number(o.numEvalProblems);

  // Problems and judge first: a bad file fails before the model loads.
  const { loadBenchmark } = await import("../../eval/problems.js");
  let problems;
  let layout = "task";
  if (!isTask) {
    const layoutFlag = (o.layout ?? "auto") as "auto";
    ({ problems, layout } = await loadBenchmark(dataset, { layout: layoutFlag, questionField: o.questionField as string | undefined, answerField: o.answerField as string | undefined, limit }));
  }
  const { runBenchmark, mathJudge, taskJudge, formatSummaryTable } = await import("../../eval/benchmark.js");
  if (isTask) {
    const { openPromptSource } = await import("../../data/source.js");
    const source = await openPromptSource(dataset, limit ?? 256, Number(o.seed));
    problems = source.heldOut.map((p) => ({ id: p.key, question: p.question, gold: p.columns.target === undefined ? null : String(p.columns.target), columns: p.columns }));
  }
  // A bar on a TTY; plain lines (at 10% steps, ≥ 5 s apart) in a log.
  const { progressBar } = await import("../progress.js");
  const bar = progressBar(process.stderr, o.endpoint !== undefined ? "eval problems" : "eval samples");
  const progress = (d: number, n: number) => bar.update(d, n, d);
  const solver = o.endpoint !== undefined ? await endpointSolver(o, progress) : await localSolver(o, progress);
  // One sampler call for all problems: the local model batches them itself (same samples as `thinkrl train`'s
  // eval); an endpoint keeps `--concurrency` requests in flight across all of them.
  const run = await runBenchmark(problems!, solver.sampler, isTask ? taskJudge : mathJudge(), { samples, chunk: Math.max(1, problems!.length) });
  bar.end();

  const out = String(o.out ?? `runs/eval-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "results.jsonl"), run.results.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const meta = { dataset, layout, ...solver.meta, problems: problems!.length, samples, temperature: Number(o.temperature), top_p: Number(o.topP), seconds: Number(run.seconds.toFixed(1)), ...solver.stats?.() };
  await writeFile(join(out, "summary.json"), JSON.stringify({ ...meta, ...run.summary }, null, 1) + "\n");
  if (o.json) console.log(JSON.stringify({ ...meta, ...run.summary }, null, 1));
  else console.log(formatSummaryTable(`eval ${dataset} (${layout})`, run.summary, { problems: problems!.length, samples, seconds: meta.seconds }) + `\nper-problem results: ${join(out, "results.jsonl")}`);
}

interface Solver {
  sampler: EvalSampler;
  /** What `summary.json` says about the solver. */
  meta: Record<string, string | number>;
  /** Counters added to `summary.json` after the run. */
  stats?: () => Record<string, number>;
}

/** The local model (`--model`, default the embedded one), seeded as `thinkrl train`'s held-out eval. */
async function localSolver(o: Record<string, unknown>, onProgress: (done: number, total: number) => void): Promise<Solver> {
  if (o.endpointModel !== undefined) throw new ConfigError("eval: --endpoint-model needs --endpoint <url>");
  const { model, isDefault } = await openModel(o.model);
  const { Rng } = await import("../../core/rng.js");
  const { localSampler } = await import("../../eval/solver.js");
  const format = await pickFormat(o.format, model);
  const sampler = localSampler(
    model,
    { format, temperature: Number(o.temperature), topP: Number(o.topP), maxNewTokens: Number(o.maxNewTokens), batchSize: Number(o.batchSize ?? 256), onProgress },
    new Rng(Number(o.seed) + EVAL_SEED),
  );
  return { sampler, meta: { model: o.model === undefined ? "embedded" : String(o.model) } };
}

/** An OpenAI-compatible server (`--endpoint`): the question as the user message (chat) or in the R1-Zero template (completions). */
async function endpointSolver(o: Record<string, unknown>, onProgress: (done: number, total: number) => void): Promise<Solver> {
  if (o.model !== undefined) throw new ConfigError("eval: pass --model or --endpoint, not both");
  if (o.endpointModel === undefined) throw new ConfigError("eval: --endpoint needs --endpoint-model <name> (the model the server serves)");
  const maxTokens = Number(o.maxTokens ?? ENDPOINT_MAX_TOKENS);
  if (!Number.isSafeInteger(maxTokens) || maxTokens < 1) throw new ConfigError(`eval: --max-tokens must be an integer ≥ 1 (got ${String(o.maxTokens)})`);
  const { EndpointClient } = await import("../../rollout/endpoint.js");
  const { samplerSolver } = await import("../../eval/sampler-solver.js");
  const client = new EndpointClient(
    {
      ...endpointFlags(o),
      promptFormat: await pickFormat(o.format ?? "r1-zero", null), // refuses chat: the server applies its own template
      jitterSeed: Number(o.seed),
    },
    { env: process.env },
  );
  const params = { temperature: Number(o.temperature), topP: Number(o.topP), maxTokens, seed: Number(o.seed) };
  return {
    sampler: samplerSolver(client, params, { onProgress }),
    meta: { model: client.config.model, endpoint: client.url, api: client.config.api, max_tokens: maxTokens },
    stats: () => ({ requests: client.stats.requests, retries: client.stats.retries }),
  };
}
