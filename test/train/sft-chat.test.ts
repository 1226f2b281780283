/**
 * SFT in the `chat` format: targets end with the chat template's end-of-turn token (not config.json's EOS), and a
 * `<think>` the generation prompt already opened is not repeated in the target — with the real Qwen3 and Llama-3
 * templates and a DeepSeek-R1-Distill-style one. Tokenisation only (no engine).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { CausalLM } from "../../src/model/causal-lm.js";
import { loadTokenizer, type TextTokenizer } from "../../src/model/tokenizer.js";
import { preparePrompt } from "../../src/rollout/prompt.js";
import { chatEndOfTurnId, encodeSftExample, sftEndTokenId, stripCompletionPrefix } from "../../src/train/sft-batch.js";
import { tokenizeSft } from "../../src/train/sft.js";
import { realTokenizer, realTokenizerDir } from "../model/real-tokenizers.js";

const FIX = join(import.meta.dirname, "../fixtures/tokenizers");
const r1Config = JSON.parse(await readFile(join(FIX, "r1-distill-tokenizer_config.json"), "utf8")) as Record<string, unknown>;

/** Just enough of a CausalLM for prompt and target tokenisation. */
function fakeModel(tokenizer: TextTokenizer, eosTokenId: number[]): CausalLM {
  return { tokenizer, config: { modelType: "qwen2", bosTokenId: null, eosTokenId } } as unknown as CausalLM;
}

/** The Qwen3 tokenizer.json plus DeepSeek's special tokens as added tokens (as R1-Distill-Qwen's has them). */
async function r1Tokenizer(): Promise<TextTokenizer> {
  const json = JSON.parse(await readFile(join(realTokenizerDir("qwen3"), "tokenizer.json"), "utf8")) as { added_tokens: unknown[] };
  const add = (id: number, content: string) => json.added_tokens.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  add(151700, "<｜begin▁of▁sentence｜>");
  add(151701, "<｜end▁of▁sentence｜>");
  add(151702, "<｜User｜>");
  add(151703, "<｜Assistant｜>");
  return loadTokenizer(json, r1Config);
}

const COMPLETION = "<think>\n2+3 = 5\n</think>\n\n<answer>5</answer>";

describe("the target ends with the template's end-of-turn token", () => {
  test("Qwen3: <|im_end|>, not config.json's <|endoftext|>; the completion keeps its own <think>", async () => {
    const tok = await realTokenizer("qwen3");
    const endoftext = tok.tokenToId("<|endoftext|>")!;
    const imEnd = tok.tokenToId("<|im_end|>")!;
    const model = fakeModel(tok, [endoftext]);
    expect(chatEndOfTurnId(model)).toBe(imEnd);
    expect(sftEndTokenId(model, "chat")).toBe(imEnd);
    expect(sftEndTokenId(model, "r1-zero")).toBe(endoftext);
    const row = encodeSftExample(model, "chat", "What is 2+3?", COMPLETION, imEnd);
    expect(row.prompt).toEqual(preparePrompt(model, "chat", "What is 2+3?").ids);
    expect(row.completion).toEqual([...tok.encode(COMPLETION), imEnd]);
    expect(tok.decode(row.completion)).toBe(`${COMPLETION}<|im_end|>`);
  });

  test("Llama-3: <|eot_id|>, not <|end_of_text|>", async () => {
    const tok = await realTokenizer("llama3");
    const eot = tok.tokenToId("<|eot_id|>")!;
    const model = fakeModel(tok, [tok.tokenToId("<|end_of_text|>")!]);
    expect(chatEndOfTurnId(model)).toBe(eot);
    const { rows } = tokenizeSft(model, [{ prompt: "What is 2+3?", completion: COMPLETION, where: "t:1" }], "chat", 4096);
    expect(rows[0]!.completion.at(-1)).toBe(eot);
    expect(tok.decode(rows[0]!.prompt).endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n")).toBe(true);
  });

  test("R1-Distill-style: <｜end▁of▁sentence｜>, and the <think> the prompt opened is not repeated", async () => {
    const tok = await r1Tokenizer();
    const eosId = tok.tokenToId("<｜end▁of▁sentence｜>")!;
    expect(eosId).toBe(151701);
    const model = fakeModel(tok, [tok.tokenToId("<|endoftext|>")!]);
    expect(chatEndOfTurnId(model)).toBe(eosId);
    const p = preparePrompt(model, "chat", "What is 2+3?");
    expect(p.completionPrefix).toBe("<think>\n");
    const { rows } = tokenizeSft(model, [{ prompt: "What is 2+3?", completion: COMPLETION, where: "t:1" }], "chat", 4096);
    expect(tok.decode(rows[0]!.completion)).toBe("2+3 = 5\n</think>\n\n<answer>5</answer><｜end▁of▁sentence｜>");
    expect(tok.decode([...rows[0]!.prompt, ...rows[0]!.completion]).endsWith("<｜Assistant｜><think>\n2+3 = 5\n</think>\n\n<answer>5</answer><｜end▁of▁sentence｜>")).toBe(true);
    // Data without the opening tag is taken as is.
    const bare = encodeSftExample(model, "chat", "What is 2+3?", "2+3 = 5\n</think>\n\n<answer>5</answer>", eosId);
    expect(bare.completion).toEqual(rows[0]!.completion);
  });

  test("a template whose turn end is not one token falls back to EOS", async () => {
    // The R1 template on the plain Qwen3 vocabulary: <｜end▁of▁sentence｜> is several ordinary tokens.
    const tok = await realTokenizer("qwen3", r1Config);
    const endoftext = tok.tokenToId("<|endoftext|>")!;
    const model = fakeModel(tok, [endoftext]);
    expect(chatEndOfTurnId(model)).toBeNull();
    expect(sftEndTokenId(model, "chat")).toBe(endoftext);
    expect(() => sftEndTokenId(fakeModel(tok, []), "chat")).toThrow(/EOS token id/);
  });
});

test("stripCompletionPrefix removes the opened prefix or its bare tag, nothing else", () => {
  expect(stripCompletionPrefix("<think>\nabc", "<think>\n")).toBe("abc");
  expect(stripCompletionPrefix("<think> abc", "<think>\n")).toBe("abc");
  expect(stripCompletionPrefix("abc <think>", "<think>\n")).toBe("abc <think>");
  expect(stripCompletionPrefix("<think>\nabc", "")).toBe("<think>\nabc");
});
