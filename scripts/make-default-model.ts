/**
 * Makes the shipped cold-start checkpoint of the embedded default model (assets/default-model/): a fresh
 * ~0.8M-parameter Llama-architecture model, SFT on generated worked arithmetic solutions (the R1 cold start)
 * with thinkrl's own trainer. Held-out problems are excluded exactly as in `thinkrl train`.
 *
 *   npx tsx scripts/make-default-model.ts [--steps 250] [--seed 0] [--out assets/default-model]
 *
 * The long-tail checkpoint of partial rollouts (assets/multiplication-model/, docs/kimi.md) is a smaller sibling (d64) with
 * 512 positions, cold-started on long multiplication (run with nice on a shared machine):
 *
 *   nice -n 10 npx tsx scripts/make-default-model.ts --task multiplication --steps 400 --batch-size 32 --micro-batch-size 8 \
 *     --lr 3e-3 --schedule cosine --warmup 30 --max-positions 512 --hidden-size 64 --intermediate-size 176 \
 *     --eval-problems 256 --out assets/multiplication-model
 *
 * Other flags: --lr, --warmup (50), --schedule constant|cosine, --micro-batch-size, --b-digit-weights 8,4,1,0 (a
 * narrower cold-start mix of multiplication; the default mix's held-out problems stay excluded), --eval-problems N
 * (held-out pass@1 at the end)
 */
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";

const { values } = parseArgs({ options: {
  steps: { type: "string", default: "250" }, seed: { type: "string", default: "0" }, out: { type: "string", default: "assets/default-model" },
  task: { type: "string", default: "arithmetic" }, "batch-size": { type: "string" }, "max-positions": { type: "string" },
  "hidden-size": { type: "string" }, "intermediate-size": { type: "string" }, layers: { type: "string" },
  lr: { type: "string" }, warmup: { type: "string", default: "50" }, schedule: { type: "string", default: "constant" },
  "micro-batch-size": { type: "string" }, "b-digit-weights": { type: "string" }, "eval-problems": { type: "string", default: "0" },
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
const { getTask, trainStream } = await import("../src/data/tasks/index.js");
const { heldOutEval } = await import("../src/eval/heldout.js");
const { EVAL_SEED_OFFSET } = await import("../src/eval/defaults.js");

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
const heldOutSource = await openPromptSource(values.task!, TRAIN_DEFAULTS.numEvalProblems, seed + 1000);
// --b-digit-weights: a narrower cold-start mix of multiplication (the RL task keeps its long tail); the same held-out
// problems (those of the default mix) are excluded from its stream.
const source = values["b-digit-weights"] ? narrowSource(values["b-digit-weights"]) : heldOutSource;
function narrowSource(spec: string): typeof heldOutSource {
  const task = getTask(values.task!, { bDigitWeights: spec.split(",").map(Number) });
  const keys = new Set(heldOutSource.heldOut.map((p) => p.key));
  const rng = new Rng(seed + 1000);
  const draw = trainStream(task, rng, keys);
  return { ...heldOutSource, next: () => { const p = draw(); return { key: p.key, question: p.prompt, columns: p.columns, solution: p.solution, difficulty: p.difficulty }; } };
}
const t0 = performance.now();
await sftColdStart(model, source, {
  steps: Number(values.steps),
  batchSize: values["batch-size"] ? Number(values["batch-size"]) : TRAIN_DEFAULTS.coldStartBatchSize,
  learningRate: values.lr ? Number(values.lr) : TRAIN_DEFAULTS.coldStartLearningRate,
  warmupSteps: Number(values.warmup),
  schedule: values.schedule === "cosine" ? "cosine" : "constant",
  format: "compact",
  // Long completions (the multiplication task): 64-token length buckets, so few shapes are compiled, and rows sorted
  // by length into micro-batches padded each to its own length.
  ...(values.task === "multiplication" ? { lengthBucket: 64, microBatchSize: num("micro-batch-size", 4), sortByLength: true } : {}),
  onStep: (s, loss, sec) => {
    if (s % 25 === 0 || s <= 3) console.log(`sft step ${s} loss ${loss.toFixed(4)} (${sec.toFixed(2)} s/step, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  },
});
await saveCheckpointFiles(values.out!, { config: cfg, tensors: await paramsToTensors(cfg, model.params), tokenizerJson: model.tokenizer.json, dtype: "F32" });
console.log(`saved ${values.out} after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
if (Number(values["eval-problems"]) > 0) {
  // Held-out pass@1 as `thinkrl train` measures it before RL (T 0.6, top-p 0.95, one sample, seed 0's evaluation stream).
  const problems = heldOutSource.heldOut.slice(0, Number(values["eval-problems"]));
  const r = await heldOutEval(model, problems, { samples: 1, temperature: TRAIN_DEFAULTS.evalTemperature, topP: TRAIN_DEFAULTS.evalTopP, maxCompletionLength: 336, format: "compact", batchSize: 64 }, new Rng(EVAL_SEED_OFFSET));
  console.log(`held-out pass@1 over ${problems.length} problems: ${(100 * r.metrics["pass@1"]!).toFixed(1)}% (${r.seconds.toFixed(0)} s)`);
}
