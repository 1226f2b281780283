/**
 * `thinkrl filter-hackable`: Kimi k1.5's easy-to-hack filter (§2.1) as a pass over a prompt set — each problem gets
 * N answers without a chain of thought (`eval/no-cot.ts`); a problem answered correctly at least once is dropped.
 * Writes `kept.jsonl` (usable as `--dataset`) and `dropped.jsonl`, each row with its `no_cot_correct` / `no_cot_tries`
 * counts, and `filter_summary.json`.
 */
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { plural, type RunLog } from "../core/log.js";
import { Rng } from "../core/rng.js";
import { loadJsonlDataset } from "../data/dataset.js";
import { drawPool } from "../data/sampling.js";
import { openPromptSource, type PromptItem } from "../data/source.js";
import { TASK_NAMES } from "../data/tasks/index.js";
import { noCotSuccesses } from "../eval/no-cot.js";
import type { CausalLM } from "../model/causal-lm.js";
import { resolvePromptFormat } from "./samplers.js";

export interface HackFilterOptions {
  /** A built-in task (its training stream: `numPrompts` problems, never held-out ones) or a JSONL file (every row). */
  dataset: string;
  /** Output directory. */
  out: string;
  /** N, tries per problem without a chain of thought (Kimi: 8). Default 8. */
  tries?: number;
  /** Sampling temperature. Default 1. */
  temperature?: number;
  /** Answer budget in tokens. Default 32. */
  maxNewTokens?: number;
  /** Problems drawn from a built-in task. Default 256. */
  numPrompts?: number;
  /** `--format` (null = the model's default). */
  format?: unknown;
  seed?: number;
  /** Replace the result files already in `out` (default false: refuse, so a finished filter is never lost). */
  overwrite?: boolean;
  log?: RunLog;
}

export interface HackFilterSummary {
  dataset: string;
  tries: number;
  temperature: number;
  kept: number;
  dropped: number;
  keptFile: string;
  droppedFile: string;
  /** How many problems were answered right k times without a chain of thought, k = 0..tries. */
  histogram: number[];
  seconds: number;
}

/** The rows to filter: a file's rows as written (prompt or messages, every column), or problems drawn from a task. */
async function openRows(o: HackFilterOptions): Promise<{ items: PromptItem[]; rows: Record<string, unknown>[] }> {
  if ((TASK_NAMES as readonly string[]).includes(o.dataset)) {
    const n = o.numPrompts ?? 256;
    if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(`--num-prompts must be an integer ≥ 1 (got ${n})`);
    const items = drawPool(await openPromptSource(o.dataset, 1, o.seed ?? 0), n);
    return { items, rows: items.map((p) => ({ prompt: p.question, ...p.columns })) };
  }
  if (!/\.jsonl?$/i.test(o.dataset)) throw new ConfigError(`unknown dataset "${o.dataset}"`, { hint: `use a built-in task (${TASK_NAMES.join(", ")}) or a .jsonl file` });
  const data = await loadJsonlDataset(o.dataset);
  const items = data.map((r, i): PromptItem => ({ key: `row:${i}`, question: r.prompt, columns: r.columns }));
  return { items, rows: data.map((r) => ({ ...(r.messages ? { messages: r.messages } : { prompt: r.prompt }), ...r.columns })) };
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/**
 * Runs the filter with `model`.
 * @throws ConfigError for bad options or an unknown dataset; DatasetError for a bad file
 */
export async function runHackFilter(model: CausalLM, o: HackFilterOptions): Promise<HackFilterSummary> {
  const t0 = performance.now();
  const tries = o.tries ?? 8;
  const temperature = o.temperature ?? 1;
  if (!Number.isSafeInteger(tries) || tries < 1) throw new ConfigError(`--tries must be an integer ≥ 1 (got ${tries})`);
  if (!(temperature > 0)) throw new ConfigError(`--temperature must be > 0 (got ${temperature})`);
  const held = ["kept.jsonl", "dropped.jsonl", "filter_summary.json"].filter((f) => existsSync(join(o.out, f)));
  if (held.length > 0 && o.overwrite !== true) throw new ConfigError(`${o.out} already holds a filter result (${held.join(", ")})`, { hint: "--overwrite to replace it, or another --out" });
  const format = await resolvePromptFormat(o.format, model);
  const { items, rows } = await openRows(o);
  o.log?.info(`easy-to-hack filter: ${plural(items.length, "problem")} × ${plural(tries, "answer")} without a chain of thought (${format} format, T=${temperature})`);
  const counts = await noCotSuccesses(model, format, items, { tries, temperature, maxNewTokens: o.maxNewTokens, onProgress: (d, n) => o.log?.progress(`filter: ${d}/${n} problems`) }, new Rng(o.seed ?? 0));
  const tagged = rows.map((r, i) => ({ ...r, no_cot_correct: counts[i]!, no_cot_tries: tries }));
  const kept = tagged.filter((_, i) => counts[i] === 0);
  const dropped = tagged.filter((_, i) => counts[i]! > 0);
  await mkdir(o.out, { recursive: true });
  const keptFile = join(o.out, "kept.jsonl");
  const droppedFile = join(o.out, "dropped.jsonl");
  const jsonl = (xs: object[]) => xs.map((x) => JSON.stringify(x) + "\n").join("");
  await writeAtomic(keptFile, jsonl(kept));
  await writeAtomic(droppedFile, jsonl(dropped));
  const histogram = Array.from({ length: tries + 1 }, (_, k) => counts.filter((c) => c === k).length);
  const summary: HackFilterSummary = { dataset: o.dataset, tries, temperature, kept: kept.length, dropped: dropped.length, keptFile, droppedFile, histogram, seconds: (performance.now() - t0) / 1000 };
  await writeAtomic(join(o.out, "filter_summary.json"), JSON.stringify(summary, null, 1));
  return summary;
}
