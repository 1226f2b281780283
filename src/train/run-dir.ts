/**
 * The run directory on disk (Node): refusing to mix runs, opening a run to resume, and the files the training loop
 * writes. Layout: `config.json`, `metrics.jsonl`, `evals.jsonl`, `completions.jsonl`, `checkpoint-<step>/`,
 * `final/`, `best/` (adapter runs: the best-validation adapter), `summary.json`.
 */
import { appendFile, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, CheckpointError } from "../core/errors.js";
import { sameJson } from "../core/json.js";
import { EVALS_FILE, type RunFiles } from "./loop.js";

/** A checkpoint's trainer state (`global_step`, RNG states, data cursor, the trainer's own state). */
export const TRAINER_STATE_FILE = "trainer_state.json";

/**
 * `checkpoint-<step>` directories of a run, ascending by step (none when `runDir` is missing). Loads no jax-js, so
 * the CLI can look before the engine starts.
 */
export async function listCheckpoints(runDir: string): Promise<{ step: number; dir: string }[]> {
  const names = await readdir(runDir).catch(() => [] as string[]);
  return names
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: join(runDir, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

/**
 * Reads `trainer_state.json` of a checkpoint.
 * @throws CheckpointError when it is missing, not JSON, or has no `global_step`
 */
export async function readTrainerState(dir: string): Promise<Record<string, unknown> & { global_step: number }> {
  try {
    const s = JSON.parse(await readFile(join(dir, TRAINER_STATE_FILE), "utf8")) as Record<string, unknown>;
    if (typeof s.global_step !== "number") throw new Error("global_step missing");
    return s as Record<string, unknown> & { global_step: number };
  } catch (e) {
    throw new CheckpointError(`${join(dir, TRAINER_STATE_FILE)}: cannot read trainer state (${(e as Error).message})`);
  }
}

/** Files a run writes; a directory holding any of them (or a `checkpoint-*`) is a run directory. */
const RUN_FILES = ["config.json", "metrics.jsonl", EVALS_FILE, "completions.jsonl", "summary.json", "final", "best"];
const JSONL_LOGS = ["metrics.jsonl", EVALS_FILE, "completions.jsonl"];

/** The run files already in `dir` (empty when it is missing or holds none). */
async function runArtifacts(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => RUN_FILES.includes(n) || /^checkpoint-\d+$/.test(n));
}

/**
 * Makes `dir` ready for a new run: refuses one that already holds a run (config overwritten, metrics appended and
 * checkpoints pruned by step would mix two runs and could delete the new model) unless `overwrite`, which deletes
 * the old run's files (and only those).
 * @throws ConfigError naming the directory, with `--resume` / `--overwrite` as the way out
 */
export async function prepareRunDir(dir: string, o: { overwrite?: boolean } = {}): Promise<void> {
  const found = await runArtifacts(dir);
  if (found.length === 0) return;
  if (!o.overwrite) {
    throw new ConfigError(`${dir} already holds a run (${found.slice(0, 3).join(", ")}${found.length > 3 ? ", …" : ""})`, {
      hint: `continue it with --resume ${dir}, replace it with --overwrite, or pass another --out`,
    });
  }
  for (const n of found) await rm(join(dir, n), { recursive: true, force: true });
}

export interface ResumePoint {
  /** The run's saved `config.json`. */
  config: Record<string, unknown>;
  /** The latest checkpoint, or null (the run restarts from the beginning). */
  checkpoint: { step: number; dir: string } | null;
  /** Its `trainer_state.json` (`{global_step: 0}` without a checkpoint). */
  trainerState: Record<string, unknown> & { global_step: number };
}

/**
 * Opens a run to continue: its config and latest checkpoint.
 * @throws CheckpointError when `dir` has no `config.json`
 */
export async function openResume(dir: string, what = "thinkrl run"): Promise<ResumePoint> {
  const text = await readFile(join(dir, "config.json"), "utf8").catch(() => {
    throw new CheckpointError(`${dir} is not a ${what} directory (config.json missing)`);
  });
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`${join(dir, "config.json")}: invalid JSON (${(e as Error).message})`);
  }
  const cks = await listCheckpoints(dir);
  const checkpoint = cks[cks.length - 1] ?? null;
  const trainerState = checkpoint ? await readTrainerState(checkpoint.dir) : { global_step: 0 };
  return { config, checkpoint, trainerState };
}

/**
 * The settings a resumed run ignores: keys of `given` (flags / config file) other than `allowed` whose value differs
 * from the run's saved config (a resumed run is the same run).
 */
export function ignoredOnResume(saved: Record<string, unknown>, given: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.entries(given)
    .filter(([k, v]) => v !== undefined && !allowed.includes(k) && !sameJson(saved[k], v))
    .map(([k]) => k);
}

/**
 * Drops the rows an interrupted process logged after the checkpoint it is resumed from (they are recomputed
 * identically): rows of `metrics.jsonl`, `evals.jsonl` and `completions.jsonl` with `step > step`, and evaluations
 * labelled in `redoLabels` (e.g. "after RL": a resumed run evaluates again at its end).
 */
export async function truncateRunLogs(dir: string, step: number, redoLabels: readonly string[] = []): Promise<void> {
  for (const name of JSONL_LOGS) {
    const path = join(dir, name);
    const old = await readFile(path, "utf8").catch(() => null);
    if (old === null) continue;
    const keep = old.split("\n").filter((l) => {
      if (!l.trim()) return false;
      try {
        const row = JSON.parse(l) as { step: number; label?: string };
        return row.step <= step && !(row.label !== undefined && redoLabels.includes(row.label));
      } catch {
        return false; // a torn last line of a killed process
      }
    });
    await writeFile(path, keep.map((l) => l + "\n").join(""));
  }
}

/** `RunFiles` on a directory. */
export function nodeRunFiles(dir: string): RunFiles {
  return {
    append: (name, text) => appendFile(join(dir, name), text),
    write: (name, text) => writeFile(join(dir, name), text),
  };
}
