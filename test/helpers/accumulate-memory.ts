/**
 * Child-process probe for test/train/accumulate-memory.test.ts: a fresh process (the Wasm allocator reuses freed
 * blocks, so growth is only visible from a clean start) accumulates gradients of a ~17M-parameter model over
 * `MICRO` micro-batches and prints, as JSON, the resident-set size after each and the gradient size in bytes.
 */
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm", { threads: 1 });
const { CausalLM } = await import("../../src/model/causal-lm.js");
const { paramsFromTensors, initTensors } = await import("../../src/model/params.js");
const { loadModel } = await import("../../src/model/load.js");
const { Learner } = await import("../../src/train/learner.js");
const { grpo, nll } = await import("../../src/rl/losses/index.js");
const { Rng } = await import("../../src/core/rng.js");
const { tokenWeights } = await import("../../src/rl/aggregate.js");

const MICRO = 8;
const base = await loadModel("assets/default-model");
const cfg = { ...base.config, hiddenSize: 512, intermediateSize: 1536, numHiddenLayers: 4, numAttentionHeads: 8, numKeyValueHeads: 4, headDim: 64, vocabSize: 4096 };
const model = new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(0))), base.tokenizer);
const gradBytes = model.params.layers.reduce((n, l) => n + Object.values(l).reduce((m, a) => m + (a ? a.size * 4 : 0), 0), 0) + model.params.embed.size * 4 + (model.params.lmHead?.size ?? 0) * 4;
const up = new Learner(model, grpo, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
const B = 2, T = 16;
const mask = new Float32Array(B * T).fill(1);
const batch = { B, T, tokens: new Int32Array(B * T).fill(3), targets: new Int32Array(B * T).fill(4), mask, weights: tokenWeights("grpo", mask, B, T, T), advantages: Float32Array.from([1, -1]) };
const rss: number[] = [];
for (let i = 0; i < MICRO; i++) {
  await up.accumulate(batch);
  rss.push(process.memoryUsage().rss);
}
await up.apply(1e-5);
console.log(JSON.stringify({ rss, gradBytes }));
