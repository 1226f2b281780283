/**
 * Transformer²'s comparison on the embedded model (arithmetic): held-out pass@1 of the base (the shipped cold-start
 * checkpoint), LoRA trained by next-token prediction on the task's worked solutions (the paper's LoRA baseline),
 * LoRA trained by REINFORCE (the paper's ablation), and an SVF expert trained by REINFORCE — with parameter counts.
 * The RL runs go through `runTrain` (what `thinkrl train --adapter … --objective reinforce` runs), the best
 * checkpoint chosen on a validation split carved from the training stream; the held-out set is only evaluated.
 *
 *   npm run build && node dist/bench/adapters.js [--steps 30] [--threads 2] [--out runs/adapters]
 *
 * Prints a markdown table; results in <out>/adapters.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "30" },
    "sft-steps": { type: "string", default: "100" },
    threads: { type: "string", default: "2" },
    out: { type: "string", default: "runs/adapters" },
    "eval-problems": { type: "string", default: "256" },
    "eval-samples": { type: "string", default: "4" },
  },
});
await initEngine("wasm", { threads: Number(values.threads) });
const { Rng } = await import("../src/core/rng.js");
const { openPromptSource } = await import("../src/data/source.js");
const { heldOutEval } = await import("../src/eval/heldout.js");
const { METRICS } = await import("../src/eval/metrics.js");
const { EVAL_SEED_OFFSET } = await import("../src/eval/defaults.js");
const { defaultModelDir, loadModel } = await import("../src/model/load.js");
const { initLora, LoraTrainer, loraParamCount } = await import("../src/adapt/lora.js");
const { selectTargets, LORA_DEFAULT_TARGETS } = await import("../src/adapt/targets.js");
const { sftColdStart } = await import("../src/train/cold-start.js");
const { runTrain } = await import("../src/pipeline/r1-zero.js");
const { readPeftAdapter, readSvfExpert } = await import("../src/adapt/node.js");
const { svfParamCount } = await import("../src/adapt/svf.js");
const { SVF_EXPERT_FILE } = await import("../src/adapt/expert-file.js");
const { LORA_ADAPTER_DIR } = await import("../src/pipeline/lora-run.js");

const out = values.out!;
mkdirSync(out, { recursive: true });
const steps = Number(values.steps);
const numEval = Number(values["eval-problems"]);
const evalSamples = Number(values["eval-samples"]);
const seed = 0;
const quiet = { info: (m: string) => console.error(m), progress: () => {} };
const evalOpts = { samples: evalSamples, temperature: 0.6, topP: 0.95, maxCompletionLength: 48, format: "compact" as const };
const rows: { method: string; params: number; pass1: number; seconds: number; note: string }[] = [];

// 1. Base.
const base = await loadModel(defaultModelDir());
const source = await openPromptSource("arithmetic", numEval, seed);
const t0 = performance.now();
const b = await heldOutEval(base, source.heldOut, evalOpts, new Rng(seed + EVAL_SEED_OFFSET));
rows.push({ method: "base (cold-start checkpoint)", params: 0, pass1: b.metrics[METRICS.pass1]!, seconds: (performance.now() - t0) / 1000, note: "" });

// 2. LoRA by next-token prediction on worked solutions (the paper's LoRA baseline).
{
  const t = performance.now();
  const targets = selectTargets(base.config.numHiddenLayers, LORA_DEFAULT_TARGETS);
  const tr = new LoraTrainer(base, initLora(base, targets, { r: 8, alpha: 16, rng: new Rng(seed + 2) }));
  const sftSteps = Number(values["sft-steps"]);
  await sftColdStart(tr.policy, source, { steps: sftSteps, batchSize: 64, learningRate: 2e-3, warmupSteps: 10, format: "compact", binding: tr.binding as never });
  const r = await heldOutEval(tr.policy, source.heldOut, evalOpts, new Rng(seed + EVAL_SEED_OFFSET));
  rows.push({ method: "LoRA, next-token on worked solutions", params: loraParamCount(tr.adapter), pass1: r.metrics[METRICS.pass1]!, seconds: (performance.now() - t) / 1000, note: `${sftSteps} steps × 64, lr 2e-3, q/v r 8` });
  tr.dispose();
}

// 3.–4. LoRA and SVF by REINFORCE (r = ±1), best checkpoint on a validation split of the training stream.
const rl = { objective: "reinforce", lossType: "sequence_sum", rewardFuncs: ["accuracy_signed", "accuracy"], rewardWeights: [1, 0], maxSteps: steps, promptsPerStep: 16, numGenerations: 4,
  numEvalProblems: numEval, evalSamples, validationProblems: 64, evalSteps: Math.max(1, Math.floor(steps / 5)), saveSteps: 0, learningRate: 2e-3, maxGradNorm: 1e-3, warmupSteps: 0, lrSchedulerType: "constant", seed, threads: Number(values.threads) };
for (const [method, adapter, extra] of [["LoRA, REINFORCE", "lora", {}], ["SVF, REINFORCE", "svf", {}]] as const) {
  const t = performance.now();
  const s = await runTrain({ ...rl, ...extra, adapter, outputDir: join(out, adapter), promptFormat: "compact" }, { log: quiet, overwrite: true });
  // Counted from the adapter files the run wrote.
  const params = adapter === "svf" ? svfParamCount(await readSvfExpert(join(s.trainedModel, SVF_EXPERT_FILE))) : loraParamCount(await readPeftAdapter(join(s.trainedModel, LORA_ADAPTER_DIR), base));
  rows.push({ method, params, pass1: s.evalAfter.metrics[METRICS.pass1]!, seconds: (performance.now() - t) / 1000, note: `${steps} steps × 16 prompts × 4 samples, lr 2e-3, clip 1e-3` });
}

const md = ["| method | trainable values | held-out pass@1 | seconds | settings |", "|---|---:|---:|---:|---|", ...rows.map((r) => `| ${r.method} | ${r.params.toLocaleString("en-US")} | ${(100 * r.pass1).toFixed(1)}% | ${r.seconds.toFixed(0)} | ${r.note} |`)].join("\n");
console.log(md);
writeFileSync(join(out, "adapters.json"), JSON.stringify({ date: new Date().toISOString(), numEval, evalSamples, rows }, null, 1));
base.dispose();
