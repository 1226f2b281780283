/**
 * The BOS rule of raw prompts (issue 13): `thinkrl generate --format raw` encodes the prompt as transformers'
 * `tokenizer(text)` does (the Llama post-processor's BOS first) and its greedy tokens equal transformers'
 * `generate`; an empty prompt starts from BOS. Reference: `test/fixtures/hf/tiny-llama-bos/bos-reference.json`,
 * computed on the GPU machine by `scripts/bos_reference.py --reference` (transformers 5.17, torch 2.11).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import { ROOT, thinkrl } from "../helpers/cli.js";

await initEngine("wasm");
const { loadModel } = await import("../../src/model/load.js");
const { encodeRawPrompt, generateText } = await import("../../src/pipeline/generate-text.js");
const { generate } = await import("../../src/rollout/generate.js");
const { Rng } = await import("../../src/core/rng.js");

const DIR = join(ROOT, "test/fixtures/hf/tiny-llama-bos");
interface RefCase {
  text: string;
  input_ids: number[];
  input_ids_no_special: number[];
  greedy_output_ids: number[];
}
const REF = JSON.parse(readFileSync(join(DIR, "bos-reference.json"), "utf8")) as { max_new_tokens: number; cases: RefCase[] };
const model = await loadModel(DIR);
const EOS = 2;

describe("raw prompts keep the tokenizer's BOS", () => {
  test("the reference covers an empty prompt and one that stops at EOS", () => {
    expect(REF.cases.map((c) => c.text)).toContain("");
    expect(REF.cases.some((c) => c.greedy_output_ids.at(-1) === EOS && c.greedy_output_ids.length < REF.max_new_tokens)).toBe(true);
  });

  test.each(REF.cases.map((c) => [JSON.stringify(c.text), c] as const))("%s: ids as tokenizer(text), greedy tokens as transformers' generate", async (_, c) => {
    expect(encodeRawPrompt(model, c.text)).toEqual(c.input_ids);
    expect(model.tokenizer.encode(c.text)).toEqual(c.input_ids_no_special);
    const [out] = await generate(model, [c.input_ids], { maxNewTokens: REF.max_new_tokens, temperature: 0, topP: 1, topK: 0, stopStrings: [] }, new Rng(0));
    expect(out!.ids).toEqual(c.greedy_output_ids); // an EOS-stopped completion ends with its EOS, as transformers' output
  });

  test("generateText(raw) samples from BOS for an empty prompt", async () => {
    const c = REF.cases.find((x) => x.text === "")!;
    const [s] = await generateText(model, "", { format: "raw", sampling: { temperature: 0, topP: 1, topK: 0 }, maxCompletionLength: REF.max_new_tokens, numSamples: 1, seed: 0 });
    expect(s!.text).toBe(model.tokenizer.decode(c.greedy_output_ids.filter((id) => id !== EOS)));
  });

  test("thinkrl generate --format raw --prompt '' prints transformers' greedy text", async () => {
    const c = REF.cases.find((x) => x.text === "")!;
    const r = await thinkrl(["generate", "--model", DIR, "--format", "raw", "--prompt", "", "--temperature", "0", "--max-new-tokens", String(REF.max_new_tokens)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.replace(/\n$/, "")).toBe(model.tokenizer.decode(c.greedy_output_ids.filter((id) => id !== EOS)));
  }, 60_000);
});
