/**
 * Chat templates rendered by @huggingface/jinja equal transformers' `apply_chat_template` (reference.json from
 * `scripts/tokenizer_reference.py`: transformers 5.17.0), for Qwen3's and Llama-3's real templates and a
 * DeepSeek-R1-Distill-style one; the `chat` prompt format built on them; the `<think>` completion prefix.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CheckpointError, ThinkrlError } from "../../src/core/errors.js";
import { ChatTemplate, chatTemplateSource, loadChatTemplate, openThinkPrefix, specialTokenText } from "../../src/model/chat-template.js";
import type { CausalLM } from "../../src/model/causal-lm.js";
import type { TextTokenizer } from "../../src/model/tokenizer.js";
import { formatReward } from "../../src/reward/format.js";
import { defaultPromptFormat, preparePrompt, stopStringsFor, withCompletionPrefix } from "../../src/rollout/prompt.js";
import { CHAT_INSTRUCTION } from "../../src/data/template.js";
import { realTokenizer } from "./real-tokenizers.js";

const FIX = join(import.meta.dirname, "../fixtures/tokenizers");
const readJson = async <T>(f: string) => JSON.parse(await readFile(join(FIX, f), "utf8")) as T;

interface ChatCase {
  template: "qwen3" | "llama3" | "r1-distill";
  messages: string;
  add_generation_prompt: boolean;
  kwargs: Record<string, unknown>;
  text: string;
  ids: number[];
}
const ref = await readJson<{ chat: ChatCase[] }>("reference.json");
const inputs = await readJson<{ messages: Record<string, { role: string; content: string }[]> }>("inputs.json");
const r1Config = await readJson<Record<string, unknown>>("r1-distill-tokenizer_config.json");

/** The Qwen3 tokenizer.json with the R1-Distill-style tokenizer_config fixture (built once). */
const r1Tokenizer = realTokenizer("qwen3", r1Config);
async function tokenizerFor(t: ChatCase["template"]): Promise<TextTokenizer> {
  return t === "r1-distill" ? r1Tokenizer : realTokenizer(t);
}

/** Just enough of a CausalLM for `preparePrompt` (tokenizer + config's modelType / BOS). */
function fakeModel(tokenizer: TextTokenizer): CausalLM {
  return { tokenizer, config: { modelType: "qwen2", bosTokenId: null } } as unknown as CausalLM;
}

describe("rendering equals transformers' apply_chat_template", () => {
  const cases = ref.chat.map((c) => [`${c.template} ${c.messages} gen=${c.add_generation_prompt} ${JSON.stringify(c.kwargs)}`, c] as const);
  test.each(cases)("%s", async (_, c) => {
    const tok = await tokenizerFor(c.template);
    const text = tok.chatTemplate!.render(inputs.messages[c.messages]!, { addGenerationPrompt: c.add_generation_prompt, kwargs: c.kwargs });
    expect(text).toBe(c.text);
    expect(tok.encode(text)).toEqual(c.ids);
  });
});

describe("chat_template forms and errors", () => {
  test("string, list-of-named-templates (picks 'default'), none", () => {
    expect(chatTemplateSource({ chat_template: "x" })).toBe("x");
    expect(chatTemplateSource({ chat_template: [{ name: "tool_use", template: "t" }, { name: "default", template: "d" }] })).toBe("d");
    expect(chatTemplateSource({ chat_template: [{ name: "tool_use", template: "t" }] }, "tool_use")).toBe("t");
    expect(chatTemplateSource({})).toBeNull();
    expect(chatTemplateSource(null)).toBeNull();
    expect(() => chatTemplateSource({ chat_template: [{ name: "tool_use", template: "t" }] })).toThrow(/no template named "default" \(has: tool_use\)/);
    expect(() => chatTemplateSource({ chat_template: 3 })).toThrow(CheckpointError);
  });

  test("special tokens may be strings or AddedToken objects; chat_template.jinja wins", () => {
    expect(specialTokenText("<s>")).toBe("<s>");
    expect(specialTokenText({ __type: "AddedToken", content: "<s>" })).toBe("<s>");
    expect(specialTokenText(null)).toBeUndefined();
    const t = loadChatTemplate({ bos_token: { content: "<s>" }, eos_token: "</s>", chat_template: "config" }, "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}");
    expect(t!.render([{ role: "user", content: "hi" }])).toBe("<s>hi</s>");
  });

  test("raise_exception becomes a one-line ThinkrlError; a broken template a CheckpointError", () => {
    const r1 = loadChatTemplate(r1Config)!;
    expect(() => r1.render([{ role: "tool", content: "x" }])).toThrow(ThinkrlError);
    expect(() => r1.render([{ role: "tool", content: "x" }])).toThrow(/chat template: .*cannot start with a tool message/);
    expect(() => new ChatTemplate("{% if %}").render([])).toThrow(CheckpointError);
  });

  test("the chat format on a model without a chat template fails with a one-line CheckpointError", async () => {
    const tok = await realTokenizer("qwen3", { eos_token: "<|im_end|>" });
    expect(tok.chatTemplate).toBeNull();
    expect(() => preparePrompt(fakeModel(tok), "chat", "1+1")).toThrow(/needs a chat template/);
    expect(defaultPromptFormat(fakeModel(tok))).toBe("r1-zero");
  });
});

describe("chat prompt format", () => {
  test("Qwen3: user turn = question + instruction, generation prompt, no extra special tokens, chat is the default", async () => {
    const model = fakeModel(await realTokenizer("qwen3"));
    const p = preparePrompt(model, "chat", "What is 2+3?");
    expect(p.text).toBe(`<|im_start|>user\nWhat is 2+3?\n\n${CHAT_INSTRUCTION}<|im_end|>\n<|im_start|>assistant\n`);
    expect(p.ids).toEqual(model.tokenizer.encode(p.text));
    expect(p.ids[0]).toBe(model.tokenizer.tokenToId("<|im_start|>"));
    expect(p.completionPrefix).toBe("");
    expect(defaultPromptFormat(model)).toBe("chat");
    expect(stopStringsFor("chat")).toEqual(["</answer>"]);
    const sys = preparePrompt(model, "chat", "Q", { systemPrompt: "Be brief.", instruction: "" });
    expect(sys.text).toBe("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n");
  });

  test("Qwen3: a well-formed completion gets format reward 1; enable_thinking=false closes the block (no prefix)", async () => {
    const model = fakeModel(await realTokenizer("qwen3"));
    const p = preparePrompt(model, "chat", "What is 2+3?", { enableThinking: true });
    const comps = withCompletionPrefix([{ text: "<think>\n2+3 = 5\n</think>\n\n<answer>5</answer>" }], [p.completionPrefix]);
    expect(await formatReward({ prompts: ["q"], completions: comps.map((c) => c.text), completionIds: [[]] }, { step: 0, groupSize: 1, maxCompletionLength: 10 })).toEqual([1]);
    const off = preparePrompt(model, "chat", "What is 2+3?", { enableThinking: false });
    expect(off.text.endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n")).toBe(true);
    expect(off.completionPrefix).toBe("");
  });

  test("R1-Distill-style template opens <think>: one BOS, prefix '<think>\\n', format reward > 0 only with it", async () => {
    const model = fakeModel(await r1Tokenizer);
    const p = preparePrompt(model, "chat", "What is 2+3?");
    expect(p.text.startsWith("<｜begin▁of▁sentence｜><｜User｜>What is 2+3?")).toBe(true);
    expect(p.text.endsWith("<｜Assistant｜><think>\n")).toBe(true);
    expect(p.completionPrefix).toBe("<think>\n");
    expect(p.text.split("<｜begin▁of▁sentence｜>")).toHaveLength(2);
    const completion = "2+3 = 5\n</think>\n\n<answer>5</answer>";
    const score = async (texts: string[]) =>
      formatReward({ prompts: texts.map(() => "q"), completions: texts, completionIds: texts.map(() => []) }, { step: 0, groupSize: 1, maxCompletionLength: 10 });
    expect(await score([completion])).toEqual([0]);
    expect(await score(withCompletionPrefix([{ text: completion }], [p.completionPrefix]).map((c) => c.text))).toEqual([1]);
  });

  test("openThinkPrefix reads only what the generation prompt added", () => {
    expect(openThinkPrefix("U: <think> me<A><think>\n", "U: <think> me")).toBe("<think>\n");
    expect(openThinkPrefix("U: <think> me<A>", "U: <think> me")).toBe("");
    expect(openThinkPrefix("U<A><think>\n\n</think>\n\n", "U")).toBe("");
    expect(openThinkPrefix("same", "same")).toBe("");
  });
});
