/**
 * Adapter fixtures for the PyTorch / PEFT parity checks (`scripts/adapter_reference.py` computes the reference values
 * on the GPU machine from these files):
 *
 *     npx tsx scripts/make-adapter-fixtures.ts
 *
 * writes under test/fixtures/adapt/:
 *   tiny-llama-svf.safetensors  a non-identity SVF expert (sigmoid, p ~ 0.1 + 1·N(0,1)) on tiny-llama's q_proj and
 *                               down_proj (attention and MLP), seed 7
 *   tiny-qwen2-lora/            a thinkrl-written PEFT adapter (r 2, α 6, q_proj + down_proj of layer 1 only, so
 *                               layers_to_transform is exercised) with random A and B, seed 8
 * (small on purpose: the files travel to the GPU machine inside a command line)
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initEngine } from "../src/engine/init.js";

await initEngine("wasm");
const { loadModel } = await import("../src/model/load.js");
const { Rng } = await import("../src/core/rng.js");
const { selectTargets } = await import("../src/adapt/targets.js");
const { svdFactors } = await import("../src/adapt/svd-cache.js");
const { initSvfExpert } = await import("../src/adapt/svf.js");
const { initLora } = await import("../src/adapt/lora.js");
const { writePeftAdapter, writeSvfExpert } = await import("../src/adapt/node.js");

const root = join(import.meta.dirname, "..");
const HF = join(root, "test", "fixtures", "hf");
const OUT = join(root, "test", "fixtures", "adapt");
mkdirSync(OUT, { recursive: true });

const llama = await loadModel(join(HF, "tiny-llama"));
const targets = selectTargets(llama.config.numHiddenLayers, ["q_proj", "down_proj"]);
const { factors } = await svdFactors(llama, targets, { cacheDir: mkdtempSync(join(tmpdir(), "svd-")) });
const expert = initSvfExpert(factors, { parameterization: "sigmoid", rng: new Rng(7), std: 1, meta: { targets: ["q_proj", "down_proj"], task: "fixture", validationScore: null } });
await writeSvfExpert(join(OUT, "tiny-llama-svf.safetensors"), expert);

const qwen = await loadModel(join(HF, "tiny-qwen2"));
const lt = selectTargets(qwen.config.numHiddenLayers, ["q_proj", "down_proj"], [1]);
const a = initLora(qwen, lt, { r: 2, alpha: 6, rng: new Rng(8) });
const rng = new Rng(9);
for (const t of a.B.values()) for (let i = 0; i < t.data.length; i++) t.data[i] = 0.2 * (2 * rng.next() - 1); // B ≠ 0: a trained-looking adapter
await writePeftAdapter(join(OUT, "tiny-qwen2-lora"), a, qwen.config.numHiddenLayers, "tiny-qwen2");
console.log(`wrote ${OUT}`);
