/**
 * Makes the shipped cold-start checkpoint of the Transformer² model (assets/t2-model/, `model/t2.ts`): a fresh
 * Llama-architecture model with a character vocabulary, SFT on worked solutions of the three seen tasks plus a
 * minority of classification examples over seen queries (the R1 cold start, `sftColdStart`, on a weighted task mix).
 * Never the unseen tasks, never held-out problems: each task of the mix excludes its held-out pool exactly as
 * `thinkrl train` does, and `t2-classify` excludes the seen tasks' pools.
 *
 * Each batch holds one task (drawn by the mix's weights, `mixSchedule`): the classification prompts are twice as
 * long as the word problems, and a batch pads to its longest row, so one-task batches halve the work.
 *
 *   npx tsx scripts/make-t2-model.ts [--steps 600] [--batch-size 16] [--seed 0] [--out assets/t2-model] \
 *     [--mix t2-arithmetic:2,t2-search:2,t2-sequence:2,t2-classify:1] [--save-every 100] [--init DIR]
 */
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";

const DEFAULT_MIX = "t2-arithmetic:2,t2-search:2,t2-sequence:2,t2-classify:1";
const { values } = parseArgs({ options: {
  steps: { type: "string", default: "1400" }, seed: { type: "string", default: "0" }, out: { type: "string", default: "assets/t2-model" },
  "batch-size": { type: "string", default: "16" }, "save-every": { type: "string", default: "0" }, mix: { type: "string", default: DEFAULT_MIX }, lr: { type: "string", default: "3e-3" },
  init: { type: "string" }, warmup: { type: "string", default: "100" }, schedule: { type: "string", default: "cosine" },
  "micro-batch-size": { type: "string" }, "sort-by-length": { type: "boolean", default: false }, "hidden-size": { type: "string" }, "intermediate-size": { type: "string" }, layers: { type: "string" },
} });
await initEngine("wasm");
const { Rng } = await import("../src/core/rng.js");
const { parseTaskMix, mixSchedule } = await import("../src/data/source.js");
const { taskSource } = await import("../src/data/task-source.js");
const { T2_UNSEEN_TASKS } = await import("../src/data/tasks/index.js");
const { CausalLM } = await import("../src/model/causal-lm.js");
const { t2ModelConfig, t2TokenizerJson } = await import("../src/model/t2.js");
const { initTensors, paramsFromTensors, paramsToTensors } = await import("../src/model/params.js");
const { loadTokenizer } = await import("../src/model/tokenizer.js");
const { loadModel } = await import("../src/model/load.js");
const { saveCheckpointFiles } = await import("../src/model/checkpoint.js");
const { sftColdStart } = await import("../src/train/cold-start.js");
const { TRAIN_DEFAULTS } = await import("../src/train/config.js");

const mix = values.mix!;
if (mix.split(",").some((part) => (T2_UNSEEN_TASKS as readonly string[]).includes(part.split(":")[0]!.trim()))) {
  console.error(`error: the cold-start mix must not contain an unseen task (${T2_UNSEEN_TASKS.join(", ")})`);
  process.exit(2);
}
const seed = Number(values.seed);
const base = t2ModelConfig();
const num = (k: string, d: number) => (values[k as keyof typeof values] ? Number(values[k as keyof typeof values]) : d);
const hidden = num("hidden-size", base.hiddenSize);
const cfg = {
  ...base, hiddenSize: hidden, headDim: hidden / base.numAttentionHeads, intermediateSize: num("intermediate-size", base.intermediateSize),
  numHiddenLayers: num("layers", base.numHiddenLayers),
};
// --init DIR continues from a checkpoint (a second stage; pass another --seed so it draws other problems).
const model = values.init ? await loadModel(values.init) : new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(seed))), loadTokenizer(t2TokenizerJson()));
if (values.init) Object.assign(cfg, model.config);
// Same held-out pools as `thinkrl train` (numEvalProblems ≤ pool size): none of them is trained on.
const shares = parseTaskMix(mix);
const parts = shares.map((s) => taskSource(s.task, TRAIN_DEFAULTS.numEvalProblems, seed + 1000));
const order = mixSchedule(shares.map((s) => s.weight));
const batchSize = Number(values["batch-size"]);
let draws = 0;
const source = { ...parts[0]!, name: mix, next: () => parts[order[Math.floor(draws++ / batchSize) % order.length]!]!.next() };
const steps = Number(values.steps);
const saveEvery = Number(values["save-every"]);
const save = async () => saveCheckpointFiles(values.out!, { config: cfg, tensors: await paramsToTensors(cfg, model.params), tokenizerJson: model.tokenizer.json, dtype: "F32" });
const recent = new Map<string, { sum: number; n: number }>();
const t0 = performance.now();
await sftColdStart(model, source, {
  steps,
  batchSize,
  learningRate: Number(values.lr),
  warmupSteps: Number(values.warmup),
  schedule: values.schedule === "cosine" ? "cosine" : "constant",
  format: "compact",
  lengthBucket: values["sort-by-length"] ? 16 : 32,
  ...(values["micro-batch-size"] ? { microBatchSize: Number(values["micro-batch-size"]) } : {}),
  sortByLength: values["sort-by-length"],
  onStep: async (s, loss, sec) => {
    // Step s trains on batch s − 1, i.e. the task order[(s − 1) mod |order|]; the log shows each task's mean loss
    // over its batches since the last line.
    const task = shares[order[(s - 1) % order.length]!]!.task;
    const acc = recent.get(task) ?? { sum: 0, n: 0 };
    recent.set(task, { sum: acc.sum + loss, n: acc.n + 1 });
    if (s % 25 === 0 || s <= 3) {
      const per = [...recent].map(([t, a]) => `${t.replace(/^t2-/, "")} ${(a.sum / a.n).toFixed(3)}`).join(", ");
      console.log(`sft step ${s}/${steps} loss ${per} (${sec.toFixed(2)} s/step, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      recent.clear();
    }
    if (saveEvery > 0 && s % saveEvery === 0 && s < steps) {
      await save();
      console.log(`saved step ${s} to ${values.out}`);
    }
  },
});
await save();
console.log(`saved ${values.out} after ${((performance.now() - t0) / 1000).toFixed(0)} s (${steps} steps, mix ${mix})`);
