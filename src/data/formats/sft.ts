/**
 * Supervised fine-tuning examples from dataset records: either a prompt/completion pair (TRL's
 * "prompt-completion" layout) or a Hugging Face chat `messages` list (TRL's "conversational" layout).
 *
 * Chat rows are flattened until chat templates arrive (issue 4): the completion is the LAST `assistant` message;
 * the prompt is the `system` and `user` messages before it, joined by a blank line; earlier assistant turns are
 * dropped. The prompt is then rendered with the run's prompt format (`compact` or `r1-zero`) like any question.
 */
import { DatasetError } from "../../core/errors.js";
import type { ChatMessage } from "../dataset.js";
import type { LocatedRecord } from "./records.js";

/** Which record fields hold the text. Flags: `--prompt-field`, `--completion-field`, `--messages-field`. */
export interface SftFieldMapping {
  /** Prompt (question) field. Default `prompt`. */
  prompt: string;
  /** Completion (target) field. Default `completion`. */
  completion: string;
  /** Chat messages field (`[{role, content}]`, or that list as a JSON string). Default `messages`. */
  messages: string;
}

export const SFT_FIELD_DEFAULTS: Readonly<SftFieldMapping> = Object.freeze({ prompt: "prompt", completion: "completion", messages: "messages" });

/** One training example: the loss is taken on `completion` tokens only. */
export interface SftExample {
  prompt: string;
  completion: string;
  /** `file:line` / `file:row N` of the source record. */
  where: string;
}

const typeName = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/** Parses a `messages` value (array or JSON string of one). @throws DatasetError naming `where` */
export function parseMessages(v: unknown, where: string, field = "messages"): ChatMessage[] {
  let list = v;
  if (typeof v === "string") {
    try {
      list = JSON.parse(v);
    } catch {
      throw new DatasetError(`${where}: '${field}' is a string but not JSON`);
    }
  }
  if (!Array.isArray(list)) throw new DatasetError(`${where}: '${field}' must be an array of {role, content} (got ${typeName(list)})`);
  return list.map((m: unknown, j) => {
    const o = m as Record<string, unknown> | null;
    if (typeof o !== "object" || o === null || typeof o.role !== "string" || typeof o.content !== "string") {
      throw new DatasetError(`${where}: ${field}[${j}] must be {role: string, content: string}`);
    }
    return { role: o.role, content: o.content };
  });
}

/** Flattens a chat into prompt + completion (see the module comment). @throws DatasetError naming `where` */
export function chatToExample(messages: ChatMessage[], where: string): SftExample {
  let last = -1;
  for (let i = messages.length - 1; i >= 0 && last < 0; i--) if (messages[i]!.role === "assistant") last = i;
  if (last < 0) throw new DatasetError(`${where}: messages have no 'assistant' turn to learn from`);
  const prompt = messages
    .slice(0, last)
    .filter((m) => m.role === "user" || m.role === "system")
    .map((m) => m.content)
    .join("\n\n");
  if (!messages.slice(0, last).some((m) => m.role === "user")) throw new DatasetError(`${where}: messages have no 'user' turn before the last assistant turn`);
  return { prompt, completion: messages[last]!.content, where };
}

/**
 * One SFT example from a record: the messages field when the record has it, else the prompt and completion fields.
 * @throws DatasetError naming `file:row` and the field for a missing or mistyped field or an empty completion
 */
export function toSftExample(rec: LocatedRecord, f: SftFieldMapping = SFT_FIELD_DEFAULTS): SftExample {
  const { where, value } = rec;
  let ex: SftExample;
  if (value[f.messages] !== undefined && value[f.messages] !== null) {
    ex = chatToExample(parseMessages(value[f.messages], where, f.messages), where);
  } else {
    const p = value[f.prompt];
    const c = value[f.completion];
    if (p === undefined && c === undefined) {
      throw new DatasetError(`${where}: row has neither '${f.messages}' nor '${f.prompt}'/'${f.completion}'`, {
        hint: `fields present: ${Object.keys(value).join(", ") || "none"}; map them with --prompt-field/--completion-field/--messages-field`,
      });
    }
    if (typeof p !== "string") throw new DatasetError(`${where}: '${f.prompt}' must be a string (got ${typeName(p)})`);
    if (typeof c !== "string") throw new DatasetError(`${where}: '${f.completion}' must be a string (got ${typeName(c)})`);
    ex = { prompt: p, completion: c, where };
  }
  if (ex.completion.trim() === "") throw new DatasetError(`${where}: empty completion`);
  return ex;
}
