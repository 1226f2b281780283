import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CheckpointError } from "../../src/core/errors.js";
import type { ModelConfig } from "../../src/model/config.js";
import { effectiveEosIds, generationConfigJson, parseGenerationConfig, samplingDefaults } from "../../src/model/generation-config.js";

const ROOT = join(import.meta.dirname, "../..");

describe("generation_config.json", () => {
  test("parses Qwen2.5-Instruct's file (eos list, sampling defaults)", () => {
    const g = parseGenerationConfig({ bos_token_id: 151643, pad_token_id: 151643, do_sample: true, eos_token_id: [151645, 151643], repetition_penalty: 1.05, temperature: 0.7, top_p: 0.8, top_k: 20, transformers_version: "4.37.0" });
    expect(g).toEqual({ eosTokenId: [151645, 151643], bosTokenId: 151643, padTokenId: 151643, doSample: true, temperature: 0.7, topP: 0.8, topK: 20 });
    expect(samplingDefaults(g)).toEqual({ temperature: 0.7, topP: 0.8, topK: 20 });
  });

  test("one eos id, do_sample false → greedy, absent fields stay absent", () => {
    const g = parseGenerationConfig({ eos_token_id: 2, do_sample: false, temperature: 0.6 });
    expect(g.eosTokenId).toEqual([2]);
    expect(samplingDefaults(g)).toEqual({ temperature: 0 });
    expect(samplingDefaults(parseGenerationConfig({}))).toEqual({});
    expect(samplingDefaults(null)).toEqual({});
  });

  test("bad fields → one-line CheckpointError naming the field", () => {
    expect(() => parseGenerationConfig([])).toThrow(CheckpointError);
    expect(() => parseGenerationConfig({ eos_token_id: "2" })).toThrow(/eos_token_id must be a token id or a list of token ids/);
    expect(() => parseGenerationConfig({ top_p: 1.5 })).toThrow(/top_p must be in \(0, 1\] \(got 1\.5\)/);
    expect(() => parseGenerationConfig({ temperature: -1 })).toThrow(/temperature/);
    expect(() => parseGenerationConfig({ do_sample: "yes" })).toThrow(/do_sample/);
  });

  test("effective EOS = config.json ∪ generation_config ∪ tokenizer eos, config's first, no repeats", () => {
    const cfg = { eosTokenId: [151643], bosTokenId: 151643, padTokenId: null } as unknown as ModelConfig;
    expect(effectiveEosIds(cfg, parseGenerationConfig({ eos_token_id: [151645, 151643] }), 151645)).toEqual([151643, 151645]);
    expect(effectiveEosIds(cfg, null)).toEqual([151643]);
    expect(generationConfigJson({ ...cfg, eosTokenId: [151643, 151645] }, { temperature: 0.7, eos_token_id: 1 })).toEqual({ temperature: 0.7, bos_token_id: 151643, eos_token_id: [151643, 151645] });
  });

  test("loadModelFiles stops at generation_config's end-of-turn id and keeps the tokenizer_config", async () => {
    const { loadModelFiles } = await import("../../src/model/load.js");
    const dir = await mkdtemp(join(tmpdir(), "thinkrl-genconfig-"));
    try {
      await cp(join(ROOT, "test/fixtures/hf/tiny-qwen2"), dir, { recursive: true });
      const gc = JSON.parse(await readFile(join(dir, "generation_config.json"), "utf8")) as Record<string, unknown>;
      await writeFile(join(dir, "generation_config.json"), JSON.stringify({ ...gc, eos_token_id: [6, 2], top_k: 5 }));
      const { model, generationConfig } = await loadModelFiles(dir);
      expect(model.config.eosTokenId).toEqual([2, 6]);
      expect(generationConfig?.topK).toBe(5);
      expect(model.tokenizer.config?.eos_token).toBe("<eos>");
      expect(model.tokenizer.chatTemplate).toBeNull();
      await writeFile(join(dir, "chat_template.jinja"), "{{ messages[0]['content'] }}");
      expect((await loadModelFiles(dir)).model.tokenizer.chatTemplate?.render([{ role: "user", content: "hi" }])).toBe("hi");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
