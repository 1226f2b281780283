/**
 * Benchmark of the embedded default model on this machine's CPU (jax-js Wasm backend):
 * train-step time (forward + backward + AdamW) and rollout throughput (KV-cache decoding) at several batch sizes.
 * Prints a table; compile time (first call of each shape) is reported apart.
 *
 *   npm run build && node dist/bench/train-step.js [--threads N]
 */
import { parseArgs } from "node:util";
import { availableParallelism, cpus } from "node:os";
import { initEngine, type DeviceChoice } from "../src/engine/init.js";

const { values } = parseArgs({ options: { threads: { type: "string" }, reps: { type: "string", default: "5" }, device: { type: "string", default: "wasm" } } });
const threads = values.threads ? Number(values.threads) : availableParallelism();
const device = await initEngine(values.device as DeviceChoice, { threads });
const { Rng } = await import("../src/core/rng.js");
const { CausalLM } = await import("../src/model/causal-lm.js");
const { defaultModelConfig, defaultTokenizerJson } = await import("../src/model/default.js");
const { initTensors, paramsFromTensors } = await import("../src/model/params.js");
const { loadTokenizer } = await import("../src/model/tokenizer.js");
const { Learner } = await import("../src/train/learner.js");
const { grpo, nll } = await import("../src/rl/losses/index.js");
const { generate } = await import("../src/rollout/generate.js");
const { tokenWeights } = await import("../src/rl/aggregate.js");

const reps = Number(values.reps);
const cfg = defaultModelConfig();
const model = new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(0))), loadTokenizer(defaultTokenizerJson()));
const rows: string[][] = [];
const nParams = (() => {
  const D = cfg.hiddenSize, F = cfg.intermediateSize, H = cfg.headDim;
  const layer = D * H * (cfg.numAttentionHeads * 2 + cfg.numKeyValueHeads * 2) + 3 * D * F + 2 * D;
  return cfg.numHiddenLayers * layer + 2 * cfg.vocabSize * D + D;
})();

// Train step: B × T tokens, all in the loss.
for (const [B, T] of [[64, 64], [128, 64]] as const) {
  const up = new Learner(model, nll, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
  const rng = new Rng(1);
  const tokens = Int32Array.from({ length: B * T }, () => rng.int(0, cfg.vocabSize - 1));
  const mask = new Float32Array(B * T).fill(1);
  const weights = tokenWeights("token_mean", mask, B, T, 0);
  const once = async () => {
    const t0 = performance.now();
    await up.accumulate({ B, T, tokens, targets: tokens, weights, mask });
    await up.apply(1e-5);
    return performance.now() - t0;
  };
  const first = await once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  const ms = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  const gflops = (6 * nParams * B * T) / (ms / 1000) / 1e9;
  rows.push([`train step B${B}×T${T}`, `${ms.toFixed(0)} ms`, `${((B * T) / (ms / 1000)).toFixed(0)} tok/s`, `${gflops.toFixed(1)} GFLOP/s`, `${(first - ms).toFixed(0)} ms`]);
  up.dispose();
}

// Rollouts: 48 new tokens (EOS never sampled: temperature 1 on a random model rarely hits it; counted as generated).
for (const B of [1, 8, 64, 256]) {
  const prompts = Array.from({ length: B }, () => [1, 5, 6, 7, 8]);
  const run = async () => {
    const t0 = performance.now();
    const out = await generate(model, prompts, { maxNewTokens: 48, temperature: 1, topP: 1, topK: 0 }, new Rng(2));
    return { ms: performance.now() - t0, tokens: out.reduce((n, c) => n + c.ids.length, 0) };
  };
  const first = await run();
  const r = await run();
  rows.push([`rollout B${B}, 48 new tokens`, `${r.ms.toFixed(0)} ms`, `${(r.tokens / (r.ms / 1000)).toFixed(0)} tok/s`, "", `${(first.ms - r.ms).toFixed(0)} ms`]);
}

const head = ["what", "time (median)", "throughput", "matmul rate", "compile (first call extra)"];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(w[i]!)).join(" | ") + " |";
const where = device === "webgpu" ? "WebGPU (Dawn)" : `${cpus()[0]?.model ?? "cpu"}; ${threads} Wasm threads`;
console.log(`default model: ${(nParams / 1e6).toFixed(2)}M params; ${where}; Node ${process.version}`);
console.log(line(head));
console.log("|" + w.map((n) => "-".repeat(n + 2)).join("|") + "|");
for (const r of rows) console.log(line(r));
