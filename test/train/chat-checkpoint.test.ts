/**
 * Saved models keep what makes a chat model usable: tokenizer_config.json with its chat template (or
 * chat_template.jinja when the template came from one) and generation_config.json with the loaded model's EOS set
 * and sampling defaults — for `thinkrl sft`'s checkpoints and final/ and `thinkrl train`'s checkpoints, on a tiny
 * Qwen2 fixture given a chat template, an end-of-turn token and a generation_config.json. The embedded model (no
 * tokenizer_config.json) still saves and reloads.
 */
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { loadModelFiles, defaultModelDir, CHAT_TEMPLATE_FILE } = await import("../../src/model/load.js");
const { defaultPromptFormat } = await import("../../src/rollout/prompt.js");
const { samplingDefaults } = await import("../../src/model/generation-config.js");
const { runSft, tokenizeSft } = await import("../../src/train/sft.js");
const { resolveSftConfig } = await import("../../src/train/sft-config.js");
const { listCheckpoints, saveModel } = await import("../../src/train/state.js");
const { runTrain } = await import("../../src/pipeline/r1-zero.js");

/** Ends assistant turns with <|im_end|>; the generation prompt opens <think> (as DeepSeek-R1-Distill's). */
const TEMPLATE =
  "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}{{ 'user: ' + m['content'] + '\\n' }}" +
  "{% else %}{{ 'assistant: ' + m['content'] + '<|im_end|>\\n' }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'assistant: <think>\\n' }}{% endif %}";
const IM_END = 63; // the fixture's "]" made a special token
const GEN = { bos_token_id: 1, eos_token_id: [IM_END, 2], pad_token_id: 0, do_sample: true, temperature: 0.6, top_p: 0.95, top_k: 20 };

let tmp: string;
/** The tiny Qwen2 fixture with a chat template (in tokenizer_config.json, or in chat_template.jinja). */
async function chatFixture(name: string, jinja: boolean): Promise<string> {
  const dir = join(tmp, name);
  await cp(join(import.meta.dirname, "../fixtures/hf/tiny-qwen2"), dir, { recursive: true });
  const tj = JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8")) as { added_tokens: unknown[]; model: { vocab: Record<string, number> } };
  delete tj.model.vocab["]"];
  tj.model.vocab["<|im_end|>"] = IM_END;
  tj.added_tokens.push({ id: IM_END, content: "<|im_end|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(tj));
  const tc = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  if (jinja) await writeFile(join(dir, CHAT_TEMPLATE_FILE), TEMPLATE);
  else tc.chat_template = TEMPLATE;
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(tc));
  await writeFile(join(dir, "generation_config.json"), JSON.stringify(GEN));
  // Room for the chat instruction the prompt carries (the character-level vocabulary spends a token per character).
  const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(dir, "config.json"), JSON.stringify({ ...cfg, max_position_embeddings: 512 }));
  return dir;
}

/** A saved model directory reloads as a chat model with the fixture's EOS set and sampling defaults. */
async function expectChatModel(dir: string, jinja: boolean) {
  const l = await loadModelFiles(dir);
  expect(l.model.tokenizer.chatTemplate?.source).toBe(TEMPLATE);
  expect(defaultPromptFormat(l.model)).toBe("chat");
  expect(new Set(l.model.config.eosTokenId)).toEqual(new Set([2, IM_END]));
  expect(samplingDefaults(l.generationConfig)).toEqual({ temperature: 0.6, topP: 0.95, topK: 20 });
  expect(existsSync(join(dir, CHAT_TEMPLATE_FILE))).toBe(jinja);
  const tc = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  expect(tc.eos_token).toBe("<eos>");
  expect(tc.chat_template).toBe(jinja ? undefined : TEMPLATE);
  l.model.dispose();
}

const EXAMPLES = Array.from({ length: 6 }, (_, i) => ({ prompt: `${i}+${i}`, completion: `<think>\n${i}+${i}=${2 * i}</think><answer>${2 * i}</answer>`, where: `t:${i}` }));
const silent = { info: () => {}, progress: () => {} };

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-chat-ckpt-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("thinkrl sft in the chat format", () => {
  test.each([
    ["tokenizer_config.json", false],
    ["chat_template.jinja", true],
  ])("checkpoints and final/ keep the chat template (%s), EOS set and generation defaults", async (name, jinja) => {
    const src = await chatFixture(`model-${name}`, jinja);
    const { model, generationConfigJson } = await loadModelFiles(src);
    // Targets end with the template's end-of-turn token, without repeating the <think> the prompt opened.
    const { rows } = tokenizeSft(model, EXAMPLES.slice(0, 1), "chat", 512);
    expect(model.tokenizer.decode(rows[0]!.completion)).toBe("0+0=0</think><answer>0</answer><|im_end|>");
    const out = join(tmp, `sft-${name}`);
    const config = resolveSftConfig({ dataset: "x.jsonl", outputDir: out, promptFormat: "chat", batchSize: 3, microBatchSize: 3, evalSplit: 0, maxLength: 512, saveSteps: 1, saveTotalLimit: 0, learningRate: 1e-3 });
    const s = await runSft({ model, examples: EXAMPLES, format: "chat", config, log: silent, generationConfig: generationConfigJson });
    expect(s.steps).toBe(2);
    await expectChatModel(s.finalModel, jinja);
    const cks = await listCheckpoints(out);
    expect(cks.map((c) => c.step)).toEqual([1, 2]);
    await expectChatModel(cks[0]!.dir, jinja);
    model.dispose();
  });
});

test("thinkrl train --prompt-format chat: checkpoints keep the chat template, EOS set and generation defaults", async () => {
  const src = await chatFixture("model-grpo", false);
  const out = join(tmp, "grpo");
  await runTrain(
    {
      model: src,
      outputDir: out,
      promptFormat: "chat",
      maxSteps: 1,
      promptsPerStep: 2,
      numGenerations: 2,
      maxCompletionLength: 4,
      numEvalProblems: 2,
      evalSamples: 1,
      saveSteps: 1,
    },
    { log: silent },
  );
  const cks = await listCheckpoints(out);
  expect(cks.map((c) => c.step)).toEqual([1]);
  await expectChatModel(cks[0]!.dir, false);
});

test("the embedded model (no tokenizer_config.json) saves and reloads: compact format, a minimal generation_config.json", async () => {
  const { model, generationConfigJson } = await loadModelFiles(defaultModelDir());
  expect(generationConfigJson).toBeNull();
  const dir = join(tmp, "embedded");
  await saveModel(dir, model, generationConfigJson);
  expect(existsSync(join(dir, "tokenizer_config.json"))).toBe(false);
  expect(existsSync(join(dir, CHAT_TEMPLATE_FILE))).toBe(false);
  const l = await loadModelFiles(dir);
  expect(defaultPromptFormat(l.model)).toBe("compact");
  expect(l.model.config.eosTokenId).toEqual(model.config.eosTokenId);
  expect(l.generationConfigJson).toEqual({ bos_token_id: model.config.bosTokenId, eos_token_id: model.config.eosTokenId[0], pad_token_id: model.config.padTokenId });
  expect(samplingDefaults(l.generationConfig)).toEqual({});
  model.dispose();
  l.model.dispose();
});
