/**
 * `thinkrl generate` as a user runs it (a real spawn of the CLI on the tiny Qwen2 fixture, with a chat template
 * and sampling defaults written into a copy): one sample streams to stdout and equals the final text; the
 * chat template's open `<think>` is printed first; generation_config.json supplies sampling defaults.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT, thinkrl } from "../helpers/cli.js";


let tmp: string;
let model: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-generate-"));
  model = join(tmp, "tiny-qwen2-chat");
  await cp(join(ROOT, "test/fixtures/hf/tiny-qwen2"), model, { recursive: true });
  // A chat template the fixture's lowercase character vocabulary can spell; it opens <think> like R1-Distill's.
  const tc = JSON.parse(await readFile(join(model, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  tc.chat_template =
    "{{ bos_token }}{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant: <think>\\n' }}{% endif %}";
  await writeFile(join(model, "tokenizer_config.json"), JSON.stringify(tc));
  const gc = JSON.parse(await readFile(join(model, "generation_config.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(model, "generation_config.json"), JSON.stringify({ ...gc, do_sample: true, temperature: 0.7, top_p: 0.9 }));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("thinkrl generate", () => {
  const base = () => ["generate", "--model", model, "--prompt", "what is 1+2?", "--max-new-tokens", "24"];

  test("one greedy sample streams exactly the text that two (printed at the end) give", async () => {
    const [one, two] = await Promise.all([
      thinkrl([...base(), "--temperature", "0"]),
      thinkrl([...base(), "--temperature", "0", "--num-samples", "2"]),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(one.stdout.startsWith("<think>\n")).toBe(true); // the template's open <think> comes first
    expect(one.stdout.length).toBeGreaterThan("<think>\n\n".length);
    expect(two.stdout).toBe(one.stdout + one.stdout);
    expect(one.stderr).toMatch(/\[generation_config\.json: top_p 0\.9\]/);
    expect(two.stderr).toMatch(/\[sample 1\/2\][\s\S]*\[sample 2\/2\]/); // sample boundaries (on stderr)
  }, 60_000);

  test("sampling defaults come from generation_config.json; flags win", async () => {
    const r = await thinkrl([...base(), "--format", "chat", "--system-prompt", "be brief", "--top-p", "0.5"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[generation_config\.json: temperature 0\.7\]/);
  }, 60_000);

  test("chat-only flags with another format: one error line, exit 1", async () => {
    const r = await thinkrl([...base(), "--format", "r1-zero", "--system-prompt", "be brief"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --system-prompt applies to the chat format only/);
    expect(r.stdout).toBe("");
  }, 60_000);

  test("--weights-dtype float16 needs --device webgpu: one error line on Wasm; an unknown dtype is refused", async () => {
    const [f16, bad] = await Promise.all([thinkrl(["--weights-dtype", "float16", ...base()]), thinkrl(["--weights-dtype", "bf16", ...base()])]);
    expect(f16.code).toBe(1);
    expect(f16.stderr).toMatch(/^error: --weights-dtype float16 needs --device webgpu \(the engine runs on wasm\)/);
    expect(f16.stdout).toBe("");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: --weights-dtype must be one of float32, float16 \(got "bf16"\)/);
    // sample and eval open their local model through `openSampler`, which applies the flag too
    const [sample, evalRun] = await Promise.all([
      thinkrl(["--weights-dtype", "float16", "sample", "--model", model, "--dataset", "arithmetic", "--num-samples", "1", "--out", join(tmp, "s.jsonl")]),
      thinkrl(["--weights-dtype", "float16", "eval", "--model", model, "--dataset", "arithmetic", "--num-eval-problems", "1", "--eval-samples", "1", "--out", join(tmp, "eval-out")]),
    ]);
    for (const r of [sample, evalRun]) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^error: --weights-dtype float16 needs --device webgpu \(the engine runs on wasm\)/m);
    }
  }, 60_000);

  test("--format chat on a model without a chat template: one error line, exit 1", async () => {
    const r = await thinkrl(["generate", "--model", join(ROOT, "test/fixtures/hf/tiny-llama"), "--prompt", "1+2", "--format", "chat"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: the chat prompt format needs a chat template/);
    expect(r.stdout).toBe("");
    const embedded = await thinkrl(["generate", "--prompt", "47+85", "--format", "chat"]);
    expect(embedded.code).toBe(1);
    expect(embedded.stderr).toMatch(/hint: use --format compact for this model/); // the format it can read
  }, 60_000);
});
