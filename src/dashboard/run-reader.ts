/**
 * A run directory followed as it grows (Node): `metrics.jsonl`, `evals.jsonl`, `completions.jsonl` (and the probe
 * set's rows in it) are read incrementally from the byte offset reached last time, so a dashboard polling a long run
 * reads each byte once; a file that shrank or was replaced (a resumed or overwritten run) is read again from the
 * start. `config.json` and `summary.json` are re-read when they change. Half-written and malformed lines are skipped
 * and counted (`jsonl.ts`).
 */
import { open, readFile, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { CompletionRow } from "./completions.js";
import { JsonlFollower } from "./jsonl.js";

/** The JSONL files of a run the dashboard reads. */
export const RUN_LOGS = ["metrics.jsonl", "evals.jsonl", "completions.jsonl"] as const;
export type RunLogName = (typeof RUN_LOGS)[number];

/** One JSONL file followed from a byte offset. */
class FileTail<T> {
  readonly follower = new JsonlFollower<T>();
  /** Bumped whenever the file is read again from the start (clients holding rows must refetch). */
  generation = 0;
  #offset = 0;
  #ino = -1;
  #decoder = new TextDecoder("utf-8");

  constructor(readonly path: string) {}

  /** Reads what was appended since the last call. */
  async refresh(): Promise<void> {
    const s = await stat(this.path).catch(() => null);
    if (s === null) {
      if (this.#offset > 0) this.#restart(-1);
      return;
    }
    if (s.ino !== this.#ino || s.size < this.#offset) this.#restart(s.ino);
    if (s.size === this.#offset) return;
    const fh = await open(this.path, "r");
    try {
      const len = s.size - this.#offset;
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, this.#offset);
      this.#offset += bytesRead;
      this.follower.push(this.#decoder.decode(buf.subarray(0, bytesRead), { stream: true }));
    } finally {
      await fh.close();
    }
  }

  #restart(ino: number): void {
    this.follower.reset();
    this.#offset = 0;
    this.#ino = ino;
    this.#decoder = new TextDecoder("utf-8");
    this.generation++;
  }
}

/** What the page gets to know about a run besides its rows. */
export interface RunInfo {
  /** Index in the dashboard's run list (the only way the page names a run). */
  id: number;
  /** Short display name: the directory's base name (made unique by the caller). */
  name: string;
  /** The directory as given on the command line. */
  dir: string;
  config: Record<string, unknown> | null;
  summary: Record<string, unknown> | null;
  /** Rows and malformed lines per JSONL file, and each file's generation (see `FileTail`). */
  files: Record<RunLogName, { rows: number; skipped: number; generation: number }>;
}

/** A run directory the dashboard follows. */
export class RunReader {
  readonly tails: { [K in RunLogName]: FileTail<K extends "completions.jsonl" ? CompletionRow : Record<string, unknown>> };
  config: Record<string, unknown> | null = null;
  summary: Record<string, unknown> | null = null;

  constructor(
    readonly id: number,
    readonly dir: string,
    readonly name: string,
  ) {
    this.tails = {
      "metrics.jsonl": new FileTail(join(dir, "metrics.jsonl")),
      "evals.jsonl": new FileTail(join(dir, "evals.jsonl")),
      "completions.jsonl": new FileTail<CompletionRow>(join(dir, "completions.jsonl")),
    };
  }

  /** Reads whatever changed on disk. */
  async refresh(): Promise<void> {
    await Promise.all(Object.values(this.tails).map((t) => t.refresh()));
    this.config = await readJsonObject(join(this.dir, "config.json"));
    this.summary = await readJsonObject(join(this.dir, "summary.json"));
  }

  /** Rows of `file` from index `from` (after a `refresh`). */
  rows(file: "metrics.jsonl" | "evals.jsonl", from = 0): Record<string, unknown>[] {
    return this.tails[file].follower.rows.slice(Math.max(0, from));
  }

  get completions(): readonly CompletionRow[] {
    return this.tails["completions.jsonl"].follower.rows;
  }

  info(): RunInfo {
    const files = Object.fromEntries(
      RUN_LOGS.map((f) => [f, { rows: this.tails[f].follower.rows.length, skipped: this.tails[f].follower.skipped, generation: this.tails[f].generation }]),
    ) as RunInfo["files"];
    return { id: this.id, name: this.name, dir: this.dir, config: this.config, summary: this.summary, files };
  }
}

/** A JSON object file, or null when it is missing, half-written or not an object. */
async function readJsonObject(path: string): Promise<Record<string, unknown> | null> {
  try {
    const v = JSON.parse(await readFile(path, "utf8")) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Opens the run directories to show: each must exist and be a run directory (hold `metrics.jsonl`, `config.json`
 * or `evals.jsonl`) — or `allowEmpty` (a run about to start, `thinkrl train --dashboard`).
 * @throws ConfigError naming the first directory that is missing or holds no run
 */
export async function openRuns(dirs: readonly string[], o: { allowEmpty?: boolean } = {}): Promise<RunReader[]> {
  if (dirs.length === 0) throw new ConfigError("no run directory given", { hint: "thinkrl dashboard runs/<run> [more runs …]" });
  const names = new Map<string, number>();
  const readers: RunReader[] = [];
  for (const [i, dir] of dirs.entries()) {
    const s = await stat(dir).catch(() => null);
    if (!o.allowEmpty) {
      if (s === null) throw new ConfigError(`${dir}: no such directory`);
      if (!s.isDirectory()) throw new ConfigError(`${dir}: not a directory`);
      const has = await Promise.all(["metrics.jsonl", "config.json", "evals.jsonl"].map((f) => stat(join(dir, f)).then(() => true, () => false)));
      if (!has.some(Boolean)) throw new ConfigError(`${dir}: not a run directory (no metrics.jsonl, config.json or evals.jsonl)`);
    }
    let name = basename(resolve(dir)) || dir;
    const n = names.get(name) ?? 0;
    names.set(name, n + 1);
    if (n > 0) name = `${name} (${n + 1})`;
    const r = new RunReader(i, dir, name);
    await r.refresh();
    readers.push(r);
  }
  return readers;
}
