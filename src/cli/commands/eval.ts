/**
 * `thinkrl eval`: a model on a benchmark by the R1 protocol (n samples at T 0.6 / top-p 0.95; pass@1, cons@n,
 * pass@k) — a built-in task's held-out set (`arithmetic`, `countdown`) or a `.jsonl` / `.parquet` file in the GSM8K,
 * MATH, AIME or plain question/answer layout. Prints a summary table; writes `results.jsonl` (one row per problem:
 * question, gold, samples, extracted answers, correct flags, majority answer) and `summary.json` to `--out`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../../errors.js";
import { openModel, pickFormat } from "./shared.js";

/** Sampling-seed offset, as in `thinkrl train`'s held-out evaluation (same samples for the same model and seed). */
const EVAL_SEED = 20_000;

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
  const { model, isDefault } = await openModel(o.model);
  const { Rng } = await import("../../data/rng.js");
  const { runBenchmark, mathJudge, taskJudge, formatSummaryTable } = await import("../../eval/benchmark.js");
  const { localSampler } = await import("../../eval/solver.js");
  if (isTask) {
    const { openPromptSource } = await import("../../data/source.js");
    const source = await openPromptSource(dataset, limit ?? 256, Number(o.seed));
    problems = source.heldOut.map((p) => ({ id: p.key, question: p.question, gold: p.columns.target === undefined ? null : String(p.columns.target), columns: p.columns }));
  }
  const format = pickFormat(o.format, isDefault) as "compact" | "r1-zero";
  const progress = (d: number, n: number) => process.stderr.isTTY && process.stderr.write(`\r\x1b[2Keval ${d}/${n} samples`);
  // The solver. An OpenAI-compatible endpoint plugs in here as another EvalSampler.
  const sampler = localSampler(
    model,
    { format, temperature: Number(o.temperature), topP: Number(o.topP), maxNewTokens: Number(o.maxNewTokens), batchSize: Number(o.batchSize ?? 256), onProgress: progress },
    new Rng(Number(o.seed) + EVAL_SEED),
  );
  // One sampler call for all problems: the local model batches them itself (same samples as `thinkrl train`'s eval).
  const run = await runBenchmark(problems!, sampler, isTask ? taskJudge : mathJudge(), { samples, chunk: Math.max(1, problems!.length) });
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");

  const out = String(o.out ?? `runs/eval-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "results.jsonl"), run.results.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const meta = { dataset, layout, model: o.model === undefined ? "embedded" : String(o.model), problems: problems!.length, samples, temperature: Number(o.temperature), top_p: Number(o.topP), seconds: Number(run.seconds.toFixed(1)) };
  await writeFile(join(out, "summary.json"), JSON.stringify({ ...meta, ...run.summary }, null, 1) + "\n");
  if (o.json) console.log(JSON.stringify({ ...meta, ...run.summary }, null, 1));
  else console.log(formatSummaryTable(`eval ${dataset} (${layout})`, run.summary, { problems: problems!.length, samples, seconds: meta.seconds }) + `\nper-problem results: ${join(out, "results.jsonl")}`);
}
