/**
 * Makes the shipped cold-start checkpoint of the embedded default model (assets/default-model/): a fresh
 * ~0.8M-parameter Llama-architecture model, SFT on generated worked arithmetic solutions (the R1 cold start)
 * with thinkrl's own trainer. Held-out problems are excluded exactly as in `thinkrl train`.
 *
 *   npx tsx scripts/make-default-model.ts [--steps 250] [--seed 0] [--out assets/default-model]
 *
 * The long-tail checkpoint of partial rollouts (assets/multiplication-model/, docs/kimi.md) is the same model with
 * 512 positions, cold-started on long multiplication (run with nice on a shared machine):
 *
 *   nice -n 10 npx tsx scripts/make-default-model.ts --task multiplication --steps 400 --batch-size 32 \
 *     --max-positions 512 --hidden-size 64 --intermediate-size 176 --out assets/multiplication-model
 */
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";

const { values } = parseArgs({ options: {
  steps: { type: "string", default: "250" }, seed: { type: "string", default: "0" }, out: { type: "string", default: "assets/default-model" },
  task: { type: "string", default: "arithmetic" }, "batch-size": { type: "string" }, "max-positions": { type: "string" },
  "hidden-size": { type: "string" }, "intermediate-size": { type: "string" }, layers: { type: "string" },
} });
await initEngine("wasm");
const { Rng } = await import("../src/core/rng.js");
const { openPromptSource } = await import("../src/data/source.js");
const { CausalLM } = await import("../src/model/causal-lm.js");
const { defaultModelConfig, defaultTokenizerJson } = await import("../src/model/default.js");
const { initTensors, paramsFromTensors, paramsToTensors } = await import("../src/model/params.js");
const { loadTokenizer } = await import("../src/model/tokenizer.js");
const { saveCheckpointFiles } = await import("../src/model/checkpoint.js");
const { sftColdStart } = await import("../src/train/cold-start.js");
const { TRAIN_DEFAULTS } = await import("../src/train/config.js");

const seed = Number(values.seed);
// Shape flags (long-tail checkpoint): head count and GQA as the default model, head size = hidden / 4.
const base = defaultModelConfig();
const num = (k: string, d: number) => (values[k as keyof typeof values] ? Number(values[k as keyof typeof values]) : d);
const hidden = num("hidden-size", base.hiddenSize);
const cfg = {
  ...base, hiddenSize: hidden, headDim: hidden / base.numAttentionHeads, intermediateSize: num("intermediate-size", base.intermediateSize),
  numHiddenLayers: num("layers", base.numHiddenLayers), maxPositionEmbeddings: num("max-positions", base.maxPositionEmbeddings),
};
const model = new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(seed))), loadTokenizer(defaultTokenizerJson()));
// Same held-out pool as `thinkrl train` (numEvalProblems ≤ pool size): none of it is trained on.
const source = await openPromptSource(values.task!, TRAIN_DEFAULTS.numEvalProblems, seed + 1000);
const t0 = performance.now();
await sftColdStart(model, source, {
  steps: Number(values.steps),
  batchSize: values["batch-size"] ? Number(values["batch-size"]) : TRAIN_DEFAULTS.coldStartBatchSize,
  learningRate: TRAIN_DEFAULTS.coldStartLearningRate,
  warmupSteps: 50,
  format: "compact",
  // Long completions (the multiplication task): 64-token length buckets, so few shapes are compiled.
  ...(values.task === "multiplication" ? { lengthBucket: 64, microBatchSize: 4 } : {}),
  onStep: (s, loss, sec) => {
    if (s % 25 === 0 || s <= 3) console.log(`sft step ${s} loss ${loss.toFixed(4)} (${sec.toFixed(2)} s/step, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  },
});
await saveCheckpointFiles(values.out!, { config: cfg, tensors: await paramsToTensors(cfg, model.params), tokenizerJson: model.tokenizer.json, dtype: "F32" });
console.log(`saved ${values.out} after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
