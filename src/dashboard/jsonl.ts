/**
 * Reading JSONL that another process is still writing (browser-safe, no `node:`): a chunk of text is split into
 * complete lines (the last, unterminated one is kept for the next chunk: it may be half-written), each line parsed on
 * its own; a line that is not a JSON object is skipped and counted, never fatal.
 */

/** What one chunk of JSONL text gave. */
export interface JsonlChunk<T> {
  rows: T[];
  /** Complete lines that were not JSON objects (blank lines are not counted). */
  skipped: number;
  /** Text after the last newline: an unfinished line, to prepend to the next chunk. */
  rest: string;
}

/**
 * Parses the complete lines of `text`.
 * @param final true when the writer is done (the text after the last newline is then a line of its own, not `rest`)
 */
export function parseJsonlChunk<T = Record<string, unknown>>(text: string, final = false): JsonlChunk<T> {
  const lines = text.split("\n");
  const rest = final ? "" : lines.pop()!;
  const rows: T[] = [];
  let skipped = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "") continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v !== null && typeof v === "object" && !Array.isArray(v)) rows.push(v as T);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { rows, skipped, rest };
}

/**
 * A JSONL file read in pieces as it grows: feed it every new chunk of bytes' text with `push`; it accumulates rows and
 * the count of malformed lines. `reset` starts over (the file was truncated or replaced, e.g. a resumed run).
 */
export class JsonlFollower<T = Record<string, unknown>> {
  readonly rows: T[] = [];
  skipped = 0;
  #rest = "";

  /** Adds the rows of the complete lines in `text` (appended to any unfinished line from the previous chunk). */
  push(text: string): T[] {
    const c = parseJsonlChunk<T>(this.#rest + text);
    this.#rest = c.rest;
    this.skipped += c.skipped;
    for (const r of c.rows) this.rows.push(r);
    return c.rows;
  }

  /** Forgets everything read so far. */
  reset(): void {
    this.rows.length = 0;
    this.skipped = 0;
    this.#rest = "";
  }

  /** Length of the unfinished line held back (bytes of text, for diagnostics). */
  get pending(): number {
    return this.#rest.length;
  }
}
