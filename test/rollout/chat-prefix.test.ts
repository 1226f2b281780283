/**
 * A chat template whose generation prompt opens `<think>` (as DeepSeek-R1-Distill's does): the local sampler (which
 * held-out eval uses too) hands rewards `"<think>\n" + completion` (tiny Qwen2 fixture with a chat template added).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm", { threads: 1 });
const { Rng } = await import("../../src/core/rng.js");
const { loadModel } = await import("../../src/model/load.js");
const { LocalSampler } = await import("../../src/rollout/local-sampler.js");
const { preparePrompt } = await import("../../src/rollout/prompt.js");

const dir = await mkdtemp(join(tmpdir(), "thinkrl-chat-prefix-"));
afterAll(() => rm(dir, { recursive: true, force: true }));
await cp(join(import.meta.dirname, "../fixtures/hf/tiny-qwen2"), dir, { recursive: true });
const tc = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
tc.chat_template = "{{ bos_token }}{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant: <think>\\n' }}{% endif %}";
await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(tc));
const model = await loadModel(dir);

test("the prompt holds one BOS (the template's) and opens <think>", () => {
  const p = preparePrompt(model, "chat", "what is 1+2?", { instruction: "" });
  expect(p.text).toBe("<bos>user: what is 1+2?\nassistant: <think>\n");
  expect(p.ids.filter((id) => id === model.config.bosTokenId)).toHaveLength(1);
  expect(p.completionPrefix).toBe("<think>\n");
});

test("local sampler texts start with the opened <think>", async () => {
  const s = new LocalSampler({ model, format: "chat", rng: new Rng(1), modelName: "tiny" });
  const out = await s.sample([{ question: "1+2" }], 2, { temperature: 1, topP: 1, maxTokens: 6, seed: 3 });
  for (const o of out.flat()) expect(o.text.startsWith("<think>\n")).toBe(true);
});
