/**
 * Incremental detokenization for streaming output (what transformers' `TextStreamer` does): after each token,
 * decode the whole completion so far and emit only the new suffix. A character split over several byte-level
 * tokens decodes to U+FFFD until its last byte arrives, so a trailing U+FFFD is held back until the next token
 * completes it (or the stream ends). The concatenated output equals `decode(all ids)`.
 */
import type { TextTokenizer } from "../model/tokenizer.js";

export interface TextStream {
  /** Adds one token; writes the text it completes, if any. Ids in `skipIds` (EOS) are ignored. */
  push(id: number): void;
  /**
   * Ends the stream: writes what is still held back, so that everything written equals `finalText` when given
   * (the completion's own decoded text), else `decode(all ids)`. When a decoder rewrote earlier text (never for
   * byte-level BPE) the rest cannot be appended; then a newline and the whole `finalText` are written.
   */
  end(finalText?: string): void;
}

/**
 * @param tokenizer decodes the ids
 * @param write receives each new piece of text, in order
 * @param skipIds token ids left out of the text (the model's EOS ids: `Completion.text` excludes the final EOS)
 */
export function textStream(tokenizer: TextTokenizer, write: (text: string) => void, skipIds: Iterable<number> = []): TextStream {
  const skip = new Set(skipIds);
  const ids: number[] = [];
  let written = "";
  const flush = (text: string) => {
    if (text.length > written.length && text.startsWith(written)) {
      write(text.slice(written.length));
      written = text;
    }
  };
  return {
    push(id) {
      if (skip.has(id)) return;
      ids.push(id);
      let text = tokenizer.decode(ids);
      while (text.endsWith("\uFFFD")) text = text.slice(0, -1); // an incomplete character: wait for its last byte
      flush(text);
    },
    end(finalText) {
      const text = finalText ?? tokenizer.decode(ids);
      if (text.startsWith(written)) flush(text);
      else {
        write("\n" + text);
        written = text;
      }
    },
  };
}
