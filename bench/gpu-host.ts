/**
 * Host-side (JavaScript + Dawn) cost of one GRPO micro-batch on the WebGPU backend, measurable without a GPU: Dawn's
 * null backend (`create(["backend=null"])`, in the `webgpu` package) validates and records every command but runs
 * none, so a micro-batch's wall time here is what the CPU spends building and submitting its kernels — the part
 * the GPU profile (`bench/gpu.ts --profile`) showed to be ~75% of a 0.5B micro-batch on an H100 (2.34 s wall,
 * 0.59 s device time). The model has Qwen2.5-0.5B's structure (24 layers, 14 query / 2 key-value heads, q/k/v bias,
 * tied embeddings, so the same kernel count) at narrow widths, so the null backend's host copies stay small.
 *
 *   npx tsx bench/gpu-host.ts [--reps 4] [--rows 4] [--seq 512] [--hidden 112] [--vocab 8192]
 *   node --cpu-prof --cpu-prof-dir=prof dist/bench/gpu-host.js   # where the host time goes
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { reps: { type: "string", default: "4" }, rows: { type: "string", default: "4" }, seq: { type: "string", default: "512" }, hidden: { type: "string", default: "112" }, vocab: { type: "string", default: "8192" } } });
const { create, globals } = (await import("webgpu")) as unknown as { create: (o: string[]) => unknown; globals: object };
Object.assign(globalThis, globals);
(globalThis as { navigator?: unknown }).navigator = { userAgent: "node", gpu: create(["backend=null", "enable-dawn-features=allow_unsafe_apis"]) };
const { initEngine } = await import("../src/engine/init.js");
await initEngine("webgpu");
const { Rng } = await import("../src/core/rng.js");
const { CausalLM } = await import("../src/model/causal-lm.js");
const { initTensors, paramsFromTensors } = await import("../src/model/params.js");
const { loadTokenizer, buildCharTokenizerJson } = await import("../src/model/tokenizer.js");
const { Learner } = await import("../src/train/learner.js");
const { grpo } = await import("../src/rl/losses/index.js");
const { tokenWeights } = await import("../src/rl/aggregate.js");
const { kernelCounts } = await import("./kernel-counts.js");

const D = Number(values.hidden);
const cfg = {
  modelType: "qwen2" as const, vocabSize: Number(values.vocab), hiddenSize: D, intermediateSize: 4 * D, numHiddenLayers: 24,
  numAttentionHeads: 14, numKeyValueHeads: 2, headDim: D / 14, rmsNormEps: 1e-6, ropeTheta: 1e6, maxPositionEmbeddings: 32768,
  tieWordEmbeddings: true, attentionBias: true, bosTokenId: 1, eosTokenId: [2], padTokenId: 0,
};
const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const model = new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(0), 0.02)), loadTokenizer(buildCharTokenizerJson(chars, ["<pad>", "<s>", "</s>"])));
const B = Number(values.rows), T = Number(values.seq), P = 64;
const rng = new Rng(7);
const tokens = Int32Array.from({ length: B * T }, () => rng.int(0, cfg.vocabSize - 1));
const targets = Int32Array.from({ length: B * T }, () => rng.int(0, cfg.vocabSize - 1));
const mask = new Float32Array(B * T);
for (let r = 0; r < B; r++) mask.fill(1, r * T + P - 1, (r + 1) * T);
const weights = tokenWeights("grpo", mask, B, T, T - P);
const advantages = Float32Array.from({ length: B }, (_, r) => (r % 2 === 0 ? 1 : -1));
const up = new Learner(model, grpo, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
const micro = () => up.accumulate({ B, T, tokens, targets, weights, mask, advantages });
const ms: number[] = [];
for (let i = 0; i < Number(values.reps); i++) {
  const t0 = performance.now();
  await micro();
  ms.push(performance.now() - t0);
}
const k = await kernelCounts(micro);
const st = (globalThis as { __jaxjsWebgpuStats?: { submits: number; passes?: number } }).__jaxjsWebgpuStats;
console.log(JSON.stringify({ microBatchMs: ms.map((x) => Math.round(x)), kernels: k.total, submits: st?.submits, computePasses: st?.passes, env: Object.fromEntries(Object.entries(process.env).filter(([e]) => e.startsWith("JAXJS_"))) }));
up.dispose();
process.exit(0);
