/**
 * Reading dataset files as plain records, whatever the container: JSON Lines (`.jsonl`, `.json` with one object
 * per line) or Apache Parquet (`.parquet`, read by the pure-JS `hyparquet`). Each record carries its location
 * (`file:line` for JSONL, `file:row N` for Parquet, 1-based) so every later error can point at it.
 */
import { readFile } from "node:fs/promises";
import { DatasetError } from "../../core/errors.js";

/** One row of a dataset file and where it came from. */
export interface LocatedRecord {
  /** `path:line` (JSONL) or `path:row N` (Parquet), 1-based; used in error messages. */
  where: string;
  value: Record<string, unknown>;
}

/** Container formats, chosen by file extension. */
export type FileFormat = "jsonl" | "parquet";

/** @throws DatasetError for an extension that is neither JSONL nor Parquet */
export function fileFormat(path: string): FileFormat {
  if (/\.jsonl?$/i.test(path)) return "jsonl";
  if (/\.parquet$/i.test(path)) return "parquet";
  throw new DatasetError(`${path}: unknown dataset file type`, { hint: "use a .jsonl or .parquet file" });
}

/** True when `name` looks like a dataset file thinkrl can read (by extension). */
export function isDatasetFile(name: string): boolean {
  return /\.(jsonl?|parquet)$/i.test(name);
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new DatasetError(`${path}: cannot read dataset (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

/**
 * Parses JSON Lines text: one JSON object per non-blank line.
 * @throws DatasetError naming `source:line` for invalid JSON or a non-object line
 */
export function parseJsonlRecords(text: string, source: string): LocatedRecord[] {
  const out: LocatedRecord[] = [];
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const where = `${source}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new DatasetError(`${where}: invalid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new DatasetError(`${where}: expected a JSON object`);
    out.push({ where, value: value as Record<string, unknown> });
  }
  return out;
}

/** Parquet INT64 columns arrive as bigint: make them numbers when exact, strings otherwise (never lose digits). */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object" && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/**
 * Reads every row of a Parquet file as an object (nested `list<struct>` columns such as Hugging Face `messages`
 * become arrays of objects).
 * @throws DatasetError when the file is not valid Parquet
 */
export async function readParquetRecords(path: string): Promise<LocatedRecord[]> {
  const buf = await readBytes(path);
  const { parquetReadObjects } = await import("hyparquet");
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: ab });
  } catch (e) {
    throw new DatasetError(`${path}: cannot read Parquet (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  return rows.map((r, i) => ({ where: `${path}:row ${i + 1}`, value: plain(r) as Record<string, unknown> }));
}

/**
 * Reads a `.jsonl` or `.parquet` dataset file as located records.
 * @throws DatasetError for an unreadable, malformed or empty file
 */
export async function readRecords(path: string): Promise<LocatedRecord[]> {
  const records = fileFormat(path) === "parquet" ? await readParquetRecords(path) : parseJsonlRecords((await readBytes(path)).toString("utf8"), path);
  if (records.length === 0) throw new DatasetError(`${path}: dataset is empty`);
  return records;
}
