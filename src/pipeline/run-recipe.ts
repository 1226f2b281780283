/**
 * Runs a recipe (`recipe.ts`): stages in order, stage `s` in `<out>/<s>/`.
 *
 * - Each stage runs in its own child process (`stage-process.ts`, `stage-worker.ts`) with a fresh jax-js engine,
 *   so the Wasm memory one stage's compiled programs and buffers took is returned before the next starts (one
 *   engine for a whole recipe outgrew the 4 GiB memory32 heap). `table` stages, which touch no model, run here.
 *   `inProcess: true` runs every stage in this process instead (the caller starts the engine; memory then
 *   accumulates across stages: for tests and short recipes).
 * - A stage that finished has a `stage.done.json` marker (written atomically, last) holding its outputs, seconds
 *   and metrics; a rerun skips it and wires its outputs from the marker.
 * - A stage that was interrupted continues: `sft`, `dpo` and `grpo` from their latest checkpoint (the `--resume` of
 *   the commands), `sample` from its index (`--resume`), `eval` from the start.
 * - `stage.json` records the options a stage started with; rerunning it with other options is refused (delete the
 *   stage directory — and those of the stages after it — to redo it).
 * - `<out>/pipeline-summary.json`: per stage seconds and, for eval and grpo stages, the held-out metrics
 *   (`eval/metrics.ts` names: `pass@1`, `format_rate`, …).
 *
 * The stage functions are in `stages.ts`.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sameJson } from "../core/json.js";
import { ConfigError } from "../core/errors.js";
import type { RunLog } from "../core/log.js";
import type { DeviceChoice } from "../engine/start.js";
import { METRICS } from "../eval/metrics.js";
import { resolveStageOptions, type Recipe, type StageSpec } from "./recipe.js";
import { PipelineInterrupted, type StageMetrics, type StageResult, type StageRun } from "./stage-run.js";

export { PipelineInterrupted, type StageMetrics, type StageResult } from "./stage-run.js";

export interface PipelineSummary {
  recipe: string;
  out: string;
  stages: StageResult[];
  /** Seconds of this invocation (skipped stages cost ~0). */
  seconds: number;
}

/** The marker a finished stage leaves in its directory. */
export const DONE_FILE = "stage.done.json";
const START_FILE = "stage.json";

export interface RunRecipeOptions {
  log: RunLog;
  /** Stops at the next safe point (an sft or dpo step, a sampled prompt, between stages); rerun to continue. */
  signal?: AbortSignal;
  /** The engine each stage's child process starts (default `wasm`, all cores). */
  device?: DeviceChoice;
  threads?: number;
  /** Runs the stages in this process, on the engine the caller started (default false: a child process each). */
  inProcess?: boolean;
}

/** Runs every stage that is not done yet and writes `<out>/pipeline-summary.json`. */
export async function runRecipe(recipe: Recipe, o: RunRecipeOptions): Promise<PipelineSummary> {
  const t0 = performance.now();
  const { log } = o;
  const outputs = new Map<string, Record<string, string>>();
  const results: StageResult[] = [];
  await mkdir(recipe.out, { recursive: true });
  for (const [i, spec] of recipe.stages.entries()) {
    const dir = join(recipe.out, spec.name);
    const opts = resolveStageOptions(spec, outputs);
    const head = `[${i + 1}/${recipe.stages.length}] ${spec.name} (${spec.type})`;
    const done = await readJson<StageResult & { with: unknown }>(join(dir, DONE_FILE));
    if (done !== null) {
      if (!sameJson(done.with, opts)) throw changedError(spec, dir);
      log.info(`${head}: done, skipped`);
      outputs.set(spec.name, done.outputs);
      results.push({ stage: spec.name, type: spec.type, status: "skipped", seconds: done.seconds, outputs: done.outputs, metrics: done.metrics });
      continue;
    }
    if (o.signal?.aborted) throw new PipelineInterrupted(`interrupted before stage ${spec.name}; rerun the recipe to continue`);
    const started = await readJson<{ with: unknown }>(join(dir, START_FILE));
    if (started !== null && !sameJson(started.with, opts)) throw changedError(spec, dir);
    await mkdir(dir, { recursive: true });
    if (started === null) await writeAtomic(join(dir, START_FILE), { stage: spec.name, type: spec.type, with: opts });
    log.info(`${head}: ${started === null ? "running" : "continuing"} in ${dir}`);
    const ts = performance.now();
    const r = await runStage(spec, dir, opts, o, results);
    const result: StageResult = {
      stage: spec.name,
      type: spec.type,
      status: r.resumed ? "resumed" : "ran",
      seconds: (performance.now() - ts) / 1000,
      outputs: { ...r.outputs, dir },
      metrics: r.metrics,
    };
    await writeAtomic(join(dir, DONE_FILE), { ...result, with: opts, finished: new Date().toISOString() });
    outputs.set(spec.name, result.outputs);
    results.push(result);
    log.info(`${head}: finished in ${result.seconds.toFixed(0)} s${describeMetrics(result.metrics)}`);
  }
  const summary: PipelineSummary = { recipe: recipe.name, out: recipe.out, stages: results, seconds: (performance.now() - t0) / 1000 };
  await writeAtomic(join(recipe.out, "pipeline-summary.json"), summary);
  log.info(formatPipelineTable(summary));
  return summary;
}

/**
 * The final table: stage, type, status, seconds, and for eval and grpo stages held-out pass@1, format rate, mean
 * completion length (tokens) and tokens per correct answer (mean length / pass@1: Kimi k1.5's token efficiency).
 */
export function formatPipelineTable(s: PipelineSummary): string {
  const pct = (x: number | undefined) => (x === undefined ? "" : `${(100 * x).toFixed(1)}%`);
  const num = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "" : x.toFixed(1));
  const rows = [
    ["stage", "type", "status", "seconds", "pass@1", "format", "mean len", "tok/correct"],
    ...s.stages.map((r) => {
      const p = r.metrics[METRICS.pass1];
      const len = r.metrics[METRICS.meanLength];
      return [r.stage, r.type, r.status, r.seconds.toFixed(0), pct(p), pct(r.metrics[METRICS.formatRate]), num(len), len !== undefined && p ? num(len / p) : ""];
    }),
  ];
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((x, c) => (c >= 3 ? x.padStart(w[c]!) : x.padEnd(w[c]!))).join("  ");
  const note = s.stages.some((r) => r.type === "grpo" && r.metrics[METRICS.pass1] !== undefined)
    ? ["grpo rows: the stage's own held-out set after RL (its numEvalProblems × evalSamples); eval rows: the eval stage's set"]
    : [];
  return [`pipeline ${s.recipe} (${s.out}):`, ...rows.map(line), ...note, `summary: ${join(s.out, "pipeline-summary.json")}`].join("\n");
}

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────

/** A stage in a child process, or here (`inProcess`, and `table` stages, which touch no model). */
async function runStage(spec: StageSpec, dir: string, opts: Record<string, unknown>, o: RunRecipeOptions, earlier: readonly StageResult[]): Promise<StageRun> {
  const ctx = { log: o.log, signal: o.signal };
  if (o.inProcess === true || spec.type === "table") {
    const { STAGES } = await import("./stages.js");
    return STAGES[spec.type](dir, opts, ctx, earlier);
  }
  const { runStageInChild } = await import("./stage-process.js");
  return runStageInChild(spec.type, dir, opts, ctx, earlier, { device: o.device ?? "wasm", threads: o.threads });
}

function changedError(spec: StageSpec, dir: string): ConfigError {
  return new ConfigError(`stage ${spec.name}: its options changed since it ran in ${dir}`, {
    hint: `delete ${dir} (and the directories of the stages after it) to run it again with the new options`,
  });
}

function describeMetrics(m: StageMetrics): string {
  const pass1 = m[METRICS.pass1];
  const format = m[METRICS.formatRate];
  if (pass1 === undefined) return "";
  return `: held-out pass@1 ${(100 * pass1).toFixed(1)}%${format === undefined ? "" : `, format ${(100 * format).toFixed(1)}%`}`;
}

async function readJson<T>(p: string): Promise<T | null> {
  const text = await readFile(p, "utf8").catch(() => null);
  return text === null ? null : (JSON.parse(text) as T);
}

/** Writes JSON under a temporary name, then renames it: readers see the whole file or none. */
async function writeAtomic(p: string, v: unknown): Promise<void> {
  await writeFile(`${p}.tmp`, JSON.stringify(v, null, 1) + "\n");
  await rename(`${p}.tmp`, p);
}

