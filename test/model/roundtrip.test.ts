/**
 * Hugging Face checkpoint write → read: a model saved with `saveCheckpointFiles` (F32 and BF16) and loaded back with
 * `loadModel` gives the same logits (exactly for F32; within bf16 rounding for BF16), for Llama with attention
 * bias (o_proj bias too) and Qwen2 with tied embeddings.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { ModelConfig } from "../../src/model/config.js";

await initEngine("wasm");
const { numpy: np, tree } = await import("@jax-js/jax");
const { defaultModelConfig, defaultTokenizerJson } = await import("../../src/model/default.js");
const { initTensors, paramsFromTensors, paramsToTensors } = await import("../../src/model/params.js");
const { forward } = await import("../../src/model/llama.js");
const { fullPositionInputs } = await import("../../src/model/positions.js");
const { CausalLM } = await import("../../src/model/causal-lm.js");
const { loadModel } = await import("../../src/model/load.js");
const { saveCheckpointFiles } = await import("../../src/model/checkpoint.js");
const { loadTokenizer } = await import("../../src/model/tokenizer.js");
const { Rng } = await import("../../src/core/rng.js");

const small: ModelConfig = { ...defaultModelConfig(), hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2, headDim: 8 };
const variants: [string, ModelConfig][] = [
  ["llama with attention bias", { ...small, attentionBias: true }],
  ["qwen2 with tied embeddings", { ...small, modelType: "qwen2", attentionBias: true, tieWordEmbeddings: true, ropeTheta: 1e6 }],
];
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function logitsOf(model: InstanceType<typeof CausalLM>): Promise<Float32Array> {
  const seq = [1, 9, 10, 11, 3, 12, 13, 4, 5, 14];
  const c = model.config;
  const { logits, kv } = forward(tree.ref(model.params), c, np.array(Int32Array.from(seq), { dtype: np.int32 }).reshape([1, seq.length]), fullPositionInputs(c, 1, seq.length));
  for (const x of kv) {
    x.k.dispose();
    x.v.dispose();
  }
  return (await logits.data()) as Float32Array;
}

describe.each(variants)("checkpoint round trip: %s", (_name, cfg) => {
  for (const dtype of ["F32", "BF16"] as const) {
    test(`${dtype} save then load reproduces the logits`, async () => {
      const tensors = initTensors(cfg, new Rng(3), 0.3);
      for (const [name, t] of tensors) if (name.endsWith(".bias")) t.data.forEach((_, i) => (t.data[i] = Math.sin(i + name.length) * 0.2));
      const model = new CausalLM(cfg, paramsFromTensors(cfg, tensors), loadTokenizer(defaultTokenizerJson()));
      const dir = await mkdtemp(join(tmpdir(), "thinkrl-rt-"));
      dirs.push(dir);
      await saveCheckpointFiles(join(dir, "ckpt"), { config: cfg, tensors: await paramsToTensors(cfg, model.params), tokenizerJson: model.tokenizer.json, dtype });
      const back = await loadModel(join(dir, "ckpt"));
      expect(back.config.modelType).toBe(cfg.modelType);
      expect(back.config.tieWordEmbeddings).toBe(cfg.tieWordEmbeddings);
      const a = await logitsOf(model);
      const b = await logitsOf(back);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
      if (dtype === "F32") expect(maxDiff).toBe(0);
      else {
        expect(maxDiff).toBeGreaterThan(0); // bf16 rounding must be visible…
        // …but within bf16's 8-bit mantissa (relative 2^-8 per weight, a few of them compounding).
        const scale = Math.max(...Array.from(a, Math.abs));
        expect(maxDiff).toBeLessThan(0.03 * scale);
      }
      model.dispose();
      back.dispose();
    });
  }
});
