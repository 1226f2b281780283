/**
 * Preference examples (DPO) from dataset records, in TRL's preference layouts:
 * - standard: `prompt`, `chosen`, `rejected` strings;
 * - conversational: `prompt` a list of messages, `chosen` / `rejected` lists holding the assistant reply;
 * - implicit prompt: no `prompt`; `chosen` / `rejected` are whole conversations sharing everything before the last
 *   assistant turn.
 * Chat prompts are flattened as SFT's are (`sft.ts`: system and user turns joined by a blank line) and then rendered
 * with the run's prompt format.
 */
import { DatasetError } from "../../core/errors.js";
import type { ChatMessage } from "../dataset.js";
import { readRecords, type LocatedRecord } from "./records.js";
import { chatToExample, parseMessages } from "./sft.js";

/** Which record fields hold the texts. Flags: `--prompt-field`, `--chosen-field`, `--rejected-field`. */
export interface PreferenceFieldMapping {
  prompt: string;
  chosen: string;
  rejected: string;
}

export const PREFERENCE_FIELD_DEFAULTS: Readonly<PreferenceFieldMapping> = Object.freeze({ prompt: "prompt", chosen: "chosen", rejected: "rejected" });

/** One preference pair: the loss compares `chosen` with `rejected` after the same `prompt`. */
export interface PreferenceExample {
  prompt: string;
  chosen: string;
  rejected: string;
  /** `file:line` / `file:row N` of the source record. */
  where: string;
}

/** A reply field: a string, or a message list whose last assistant turn is the reply (with the turns before it). */
function reply(v: unknown, where: string, field: string): { text: string; history: ChatMessage[] | null } {
  if (typeof v === "string") return { text: v, history: null };
  if (v === undefined || v === null) throw new DatasetError(`${where}: '${field}' is missing`);
  const msgs = parseMessages(v, where, field);
  const last = msgs.length - 1;
  if (last < 0 || msgs[last]!.role !== "assistant") throw new DatasetError(`${where}: '${field}' must end with an assistant message`);
  return { text: msgs[last]!.content, history: msgs.slice(0, last) };
}

/**
 * One preference example from a record (see the module comment).
 * @throws DatasetError naming `file:row` and the field for a missing or mistyped field, an empty answer, or an
 *   implicit-prompt row whose two conversations differ before the reply
 */
export function toPreferenceExample(rec: LocatedRecord, f: PreferenceFieldMapping = PREFERENCE_FIELD_DEFAULTS): PreferenceExample {
  const { where, value } = rec;
  const chosen = reply(value[f.chosen], where, f.chosen);
  const rejected = reply(value[f.rejected], where, f.rejected);
  let prompt: string;
  const p = value[f.prompt];
  if (typeof p === "string") prompt = p;
  else if (p !== undefined && p !== null) prompt = chatToExample([...parseMessages(p, where, f.prompt), { role: "assistant", content: chosen.text }], where).prompt;
  else {
    if (chosen.history === null || chosen.history.length === 0) {
      throw new DatasetError(`${where}: row has no '${f.prompt}' and '${f.chosen}' holds no conversation to take it from`, { hint: `fields present: ${Object.keys(value).join(", ") || "none"}` });
    }
    if (JSON.stringify(chosen.history) !== JSON.stringify(rejected.history)) throw new DatasetError(`${where}: '${f.chosen}' and '${f.rejected}' differ before the last assistant turn (implicit prompt)`);
    prompt = chatToExample([...chosen.history, { role: "assistant", content: chosen.text }], where).prompt;
  }
  if (chosen.text.trim() === "") throw new DatasetError(`${where}: empty '${f.chosen}'`);
  if (rejected.text.trim() === "") throw new DatasetError(`${where}: empty '${f.rejected}'`);
  return { prompt, chosen: chosen.text, rejected: rejected.text, where };
}

/**
 * Reads a `.jsonl` / `.parquet` file of preference rows.
 * @throws DatasetError naming `file:row` for the first bad row, or an empty file
 */
export async function loadPreferenceExamples(path: string, fields: Partial<PreferenceFieldMapping> = {}): Promise<PreferenceExample[]> {
  const f = { ...PREFERENCE_FIELD_DEFAULTS, ...fields };
  const rows = (await readRecords(path)).map((r) => toPreferenceExample(r, f));
  if (rows.length === 0) throw new DatasetError(`${path}: no preference rows`);
  return rows;
}
