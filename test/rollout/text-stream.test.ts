import { describe, expect, test } from "vitest";
import { textStream } from "../../src/rollout/text-stream.js";
import { realTokenizer } from "../model/real-tokenizers.js";

describe("textStream (incremental decode)", () => {
  test("multi-byte characters split over byte-level tokens are held back, never printed as U+FFFD", async () => {
    const tok = await realTokenizer("qwen3");
    const text = "Family: 👨‍👩‍👧‍👦 深度求索 नमस्ते\n\tdef f(): return 1 🇯🇵";
    const ids = tok.encode(text);
    const pieces: string[] = [];
    const s = textStream(tok, (t) => pieces.push(t), [151645]);
    for (const id of ids) s.push(id);
    s.push(151645); // EOS is skipped
    s.end(text);
    expect(pieces.join("")).toBe(text);
    expect(pieces.some((p) => p.includes("\uFFFD"))).toBe(false);
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.length).toBeLessThan(ids.length); // some tokens completed no character
  });

  test("end() without a final text flushes decode(ids); a rewritten text is printed whole after a newline", async () => {
    const tok = await realTokenizer("qwen3");
    const out: string[] = [];
    const s = textStream(tok, (t) => out.push(t));
    for (const id of tok.encode("ab 👍🏽")) s.push(id);
    s.end();
    expect(out.join("")).toBe("ab 👍🏽");
    const out2: string[] = [];
    const s2 = textStream(tok, (t) => out2.push(t));
    for (const id of tok.encode("hello")) s2.push(id);
    s2.end("goodbye");
    expect(out2.join("")).toBe("hello\ngoodbye");
  });
});
