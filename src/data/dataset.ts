/**
 * User datasets in JSON Lines: one JSON object per line with `prompt` (string), `messages` (array of
 * `{role, content}`; the last user message is the question) or, as in benchmark files (`thinkrl eval`'s `fields`
 * and GSM8K layouts), `question` (string). Every other field is kept as a column and handed to reward functions
 * (e.g. `answer`, `task`, `nums`, `target`), as in TRL.
 */
import { readFile } from "node:fs/promises";
import { DatasetError } from "../core/errors.js";
import { parseJsonlRecords } from "./formats/records.js";

export interface ChatMessage {
  role: string;
  content: string;
}

export interface DatasetRow {
  /** The question: the `prompt` field, else the content of the last `user` message, else the `question` field. */
  prompt: string;
  /** The original `messages`, when the row had them. */
  messages?: ChatMessage[];
  /** Every other field of the row, passed to rewards. */
  columns: Record<string, unknown>;
}

/** Column names that would clash with the fields of a RewardBatch. */
const RESERVED_COLUMNS = new Set(["prompts", "completions", "completionIds"]);

function parseRow(value: unknown, where: string): DatasetRow {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DatasetError(`${where}: expected a JSON object`);
  }
  const obj = value as Record<string, unknown>;
  // `question` is the prompt only in rows with neither `prompt` nor `messages`; else it stays a column.
  const questionIsPrompt = obj.prompt === undefined && obj.messages === undefined && obj.question !== undefined;
  const columns: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === "prompt" || k === "messages" || (k === "question" && questionIsPrompt)) continue;
    if (RESERVED_COLUMNS.has(k)) throw new DatasetError(`${where}: column name '${k}' is reserved; rename it`);
    columns[k] = v;
  }
  let messages: ChatMessage[] | undefined;
  if (obj.messages !== undefined) {
    if (!Array.isArray(obj.messages)) throw new DatasetError(`${where}: 'messages' must be an array`);
    messages = obj.messages.map((m, j) => {
      if (typeof m !== "object" || m === null || typeof m.role !== "string" || typeof m.content !== "string") {
        throw new DatasetError(`${where}: messages[${j}] must be {role: string, content: string}`);
      }
      return { role: m.role, content: m.content };
    });
  }
  if (obj.prompt !== undefined) {
    if (typeof obj.prompt !== "string") throw new DatasetError(`${where}: 'prompt' must be a string (got ${typeName(obj.prompt)})`);
    return messages ? { prompt: obj.prompt, messages, columns } : { prompt: obj.prompt, columns };
  }
  if (messages) {
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    if (!lastUser) throw new DatasetError(`${where}: 'messages' has no message with role 'user'`);
    return { prompt: lastUser.content, messages, columns };
  }
  if (questionIsPrompt) {
    if (typeof obj.question !== "string") throw new DatasetError(`${where}: 'question' must be a string (got ${typeName(obj.question)})`);
    return { prompt: obj.question, columns };
  }
  throw new DatasetError(`${where}: row needs a 'prompt' string, a 'messages' array or a 'question' string`);
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/**
 * Parse JSONL text. Blank lines are skipped. `source` names the file in error messages.
 * Throws DatasetError naming `source` and the 1-based line on invalid JSON, a missing or mistyped
 * prompt/messages, a reserved column name, or when there are no rows at all.
 */
export function parseJsonlDataset(text: string, source: string): DatasetRow[] {
  const rows = parseJsonlRecords(text, source).map((r) => parseRow(r.value, r.where));
  if (rows.length === 0) throw new DatasetError(`${source}: dataset is empty`);
  return rows;
}

/** Read and parse a JSONL dataset file (see parseJsonlDataset). Unreadable file → DatasetError. */
export async function loadJsonlDataset(path: string): Promise<DatasetRow[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new DatasetError(`${path}: cannot read dataset (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  return parseJsonlDataset(text.replace(/^\uFEFF/, ""), path);
}
