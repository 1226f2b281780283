/**
 * Makes the shipped cold-start checkpoint of the embedded default model (assets/default-model/): a fresh
 * ~0.8M-parameter Llama-architecture model, SFT on generated worked arithmetic solutions (the R1 cold start)
 * with thinkrl's own trainer. Held-out problems are excluded exactly as in `thinkrl train`.
 *
 *   npx tsx scripts/make-default-model.ts [--steps 250] [--seed 0] [--out assets/default-model]
 */
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";

const { values } = parseArgs({ options: { steps: { type: "string", default: "250" }, seed: { type: "string", default: "0" }, out: { type: "string", default: "assets/default-model" } } });
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
const cfg = defaultModelConfig();
const model = new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(seed))), loadTokenizer(defaultTokenizerJson()));
// Same held-out pool as `thinkrl train` (numEvalProblems ≤ pool size): none of it is trained on.
const source = await openPromptSource("arithmetic", TRAIN_DEFAULTS.numEvalProblems, seed + 1000);
const t0 = performance.now();
await sftColdStart(model, source, {
  steps: Number(values.steps),
  batchSize: TRAIN_DEFAULTS.coldStartBatchSize,
  learningRate: TRAIN_DEFAULTS.coldStartLearningRate,
  warmupSteps: 50,
  format: "compact",
  onStep: (s, loss, sec) => {
    if (s % 25 === 0) console.log(`sft step ${s} loss ${loss.toFixed(4)} (${sec.toFixed(2)} s/step, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  },
});
await saveCheckpointFiles(values.out!, { config: cfg, tensors: await paramsToTensors(cfg, model.params), tokenizerJson: model.tokenizer.json, dtype: "F32" });
console.log(`saved ${values.out} after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
