import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CheckpointError } from "../../src/core/errors.js";
import { loadCheckpointFiles, saveCheckpointFiles } from "../../src/model/checkpoint.js";
import { parseHfConfig, toHfConfig, type ModelConfig } from "../../src/model/config.js";
import { writeSafetensors } from "../../src/model/checkpoint.js";
import type { Tensor } from "../../src/model/safetensors.js";
import { buildCharTokenizerJson, loadTokenizer } from "../../src/model/tokenizer.js";

const CONFIG: ModelConfig = parseHfConfig({
  model_type: "qwen2",
  vocab_size: 16,
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  rope_theta: 1e6,
  tie_word_embeddings: true,
  eos_token_id: 2,
});

function ramp(shape: number[], start: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, (_, i) => start + i / 8) };
}

const TENSORS = new Map<string, Tensor>([
  ["model.embed_tokens.weight", ramp([16, 8], 0)],
  ["model.layers.0.self_attn.q_proj.bias", ramp([8], 1)],
  ["model.norm.weight", ramp([8], 2)],
]);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "thinkrl-ckpt-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeConfig(dir: string, cfg: unknown = toHfConfig(CONFIG)): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.json"), JSON.stringify(cfg));
}

describe("loadCheckpointFiles", () => {
  test("sharded index: tensors from two shards are merged", async () => {
    const dir = join(root, "sharded");
    await writeConfig(dir);
    const names = [...TENSORS.keys()];
    await writeSafetensors(join(dir, "model-00001-of-00002.safetensors"), new Map(names.slice(0, 2).map((n) => [n, TENSORS.get(n)!])), "F32");
    await writeSafetensors(join(dir, "model-00002-of-00002.safetensors"), new Map([[names[2]!, TENSORS.get(names[2]!)!]]), "F32");
    const weightMap = Object.fromEntries(names.map((n, i) => [n, i < 2 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors"]));
    await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: 600 }, weight_map: weightMap }));

    const ck = await loadCheckpointFiles(dir);
    expect(ck.config).toEqual({ ...CONFIG, torchDtype: "float32" });
    expect(new Set(ck.tensors.keys())).toEqual(new Set(names));
    for (const [n, t] of TENSORS) expect(ck.tensors.get(n)).toEqual(t);
    expect(ck.tokenizerJson).toBeNull();
    expect(ck.tokenizerConfig).toBeNull();
    expect(ck.generationConfig).toBeNull();
  });

  test("a shard named by the index but absent → CheckpointError", async () => {
    const dir = join(root, "shard-missing");
    await writeConfig(dir);
    await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { "model.norm.weight": "model-00001-of-00001.safetensors" } }));
    await expect(loadCheckpointFiles(dir)).rejects.toThrow(/shard model-00001-of-00001\.safetensors listed in .* is missing/);
  });

  test("a tensor named by the index but absent from its shard → CheckpointError", async () => {
    const dir = join(root, "tensor-missing");
    await writeConfig(dir);
    await writeSafetensors(join(dir, "s.safetensors"), { a: ramp([2], 0) }, "F32");
    await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { a: "s.safetensors", b: "s.safetensors" } }));
    await expect(loadCheckpointFiles(dir)).rejects.toThrow(/tensor "b" listed in model\.safetensors\.index\.json is missing/);
  });

  test("missing directory, missing/invalid config.json and missing weights → CheckpointError", async () => {
    await expect(loadCheckpointFiles(join(root, "nope"))).rejects.toThrow(/checkpoint directory .*nope does not exist/);

    const noCfg = join(root, "no-config");
    await mkdir(noCfg);
    await expect(loadCheckpointFiles(noCfg)).rejects.toThrow(/missing config\.json in/);

    const badCfg = join(root, "bad-config");
    await mkdir(badCfg);
    await writeFile(join(badCfg, "config.json"), "{ not json");
    await expect(loadCheckpointFiles(badCfg)).rejects.toThrow(/config\.json is not valid JSON/);

    const noWeights = join(root, "no-weights");
    await writeConfig(noWeights);
    const err = await loadCheckpointFiles(noWeights).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/no model\.safetensors or model\.safetensors\.index\.json in/);
  });
});

describe("saveCheckpointFiles", () => {
  const tokenizerJson = buildCharTokenizerJson([..."0123456789"], ["<pad>", "<bos>", "<eos>"]);

  test("writes a loadable checkpoint and leaves no temporary directory", async () => {
    const dir = join(root, "saved", "step-1");
    await saveCheckpointFiles(dir, {
      config: CONFIG,
      tensors: TENSORS,
      dtype: "F32",
      tokenizerJson,
      tokenizerConfig: { eos_token: "<eos>" },
      extraFiles: { "trainer_state.json": '{"step":1}', "optim/state.bin": new Uint8Array([1, 2, 3]) },
    });
    expect(await readdir(join(root, "saved"))).toEqual(["step-1"]);
    const ck = await loadCheckpointFiles(dir);
    for (const [n, t] of TENSORS) expect(ck.tensors.get(n)).toEqual(t);
    expect(ck.config).toEqual({ ...CONFIG, torchDtype: "float32" });
    expect(ck.tokenizerJson).toEqual(tokenizerJson);
    expect(ck.tokenizerConfig).toEqual({ eos_token: "<eos>" });
    expect(await readFile(join(dir, "trainer_state.json"), "utf8")).toBe('{"step":1}');
    expect([...(await readFile(join(dir, "optim/state.bin")))]).toEqual([1, 2, 3]);
    const hf = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    expect(hf["architectures"]).toEqual(["Qwen2ForCausalLM"]);
  });

  test("an existing directory is replaced as a whole (stale files disappear); BF16 sets torch_dtype", async () => {
    const dir = join(root, "replace");
    await saveCheckpointFiles(dir, { config: CONFIG, tensors: TENSORS, dtype: "F32", extraFiles: { "stale.txt": "old" } });
    await saveCheckpointFiles(dir, { config: CONFIG, tensors: TENSORS, dtype: "BF16" });
    expect((await readdir(root)).filter((n) => n.startsWith("replace"))).toEqual(["replace"]);
    expect(existsSync(join(dir, "stale.txt"))).toBe(false);
    const ck = await loadCheckpointFiles(dir);
    expect(ck.config.torchDtype).toBe("bfloat16");
    expect(ck.tensors.get("model.norm.weight")!.data[0]).toBe(2); // exactly representable in bf16
  });

  test("a failed save leaves the old checkpoint untouched and no temporary directory", async () => {
    const dir = join(root, "failing");
    await saveCheckpointFiles(dir, { config: CONFIG, tensors: TENSORS, dtype: "F32" });
    const bad = { config: CONFIG, tensors: { w: { shape: [3], data: new Float32Array(2) } }, dtype: "F32" as const };
    await expect(saveCheckpointFiles(dir, bad)).rejects.toThrow(CheckpointError);
    await expect(saveCheckpointFiles(dir, { ...bad, tensors: TENSORS, extraFiles: { "../escape.txt": "x" } })).rejects.toThrow(/must be relative/);
    expect((await readdir(root)).filter((n) => n.startsWith("failing"))).toEqual(["failing"]);
    expect((await loadCheckpointFiles(dir)).tensors.size).toBe(TENSORS.size);
  });
});

// Fixtures from scripts/make_fixtures.py (transformers save_pretrained), when they have been generated.
const FIXTURES = process.env["THINKRL_HF_FIXTURES"] ?? "test/fixtures/hf";
const FIXTURE_DIRS = ["tiny-llama", "tiny-qwen2", "tiny-llama-bf16", "tiny-qwen2-sharded"].filter((d) => existsSync(join(FIXTURES, d, "config.json")));
describe.skipIf(FIXTURE_DIRS.length === 0)("transformers-saved fixtures", () => {
  test.each(FIXTURE_DIRS)("%s loads with config, weights and tokenizer", async (d) => {
    const ck = await loadCheckpointFiles(join(FIXTURES, d));
    const c = ck.config;
    const emb = ck.tensors.get("model.embed_tokens.weight")!;
    expect(emb.shape).toEqual([c.vocabSize, c.hiddenSize]);
    expect(ck.tensors.has("lm_head.weight")).toBe(!c.tieWordEmbeddings);
    expect(c.ropeTheta).toBe(c.modelType === "qwen2" ? 1e6 : 1e4);
    expect(c.torchDtype).toBe(d.endsWith("bf16") ? "bfloat16" : "float32");
    expect(ck.tensors.has("model.layers.0.self_attn.q_proj.bias")).toBe(c.attentionBias);
    // tokenizer.json written by the Python script equals what buildCharTokenizerJson produces
    const ref = JSON.parse(await readFile(join(FIXTURES, d, "reference.json"), "utf8")) as { chars: string[]; special_tokens: string[] };
    expect(ck.tokenizerJson).toEqual(buildCharTokenizerJson(ref.chars, ref.special_tokens));
    const tok = loadTokenizer(ck.tokenizerJson, ck.tokenizerConfig);
    expect(tok.vocabSize).toBe(c.vocabSize);
    expect(tok.decode(tok.encode("<think>47+85</think>"))).toBe("<think>47+85</think>");
  });
});
