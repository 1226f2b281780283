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
 *
 * --profile FILE: a V8 CPU profile (`.cpuprofile`, for `bench/cpu-profile-top.ts`) of the repeats from index
 * `--profile-from` (default 2) on, so compilation and the filling of the pool and caches stay out of it. --generate B: also time generation at batch B (`--new-tokens` tokens after a
 * 16-token prompt, EOS ignored; the second call is timed) and count the kernels of one decode step with device
 * sampling; host ms per generated step is the timed call over `--new-tokens`. --no-train skips the micro-batches.
 * With --no-train, --profile covers the generation calls after the first instead.
 * --labels: print every kernel label of a micro-batch and of a decode step with its count.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { reps: { type: "string", default: "4" }, rows: { type: "string", default: "4" }, seq: { type: "string", default: "512" }, hidden: { type: "string", default: "112" }, vocab: { type: "string", default: "8192" }, profile: { type: "string" }, generate: { type: "string" }, "new-tokens": { type: "string", default: "32" }, "no-train": { type: "boolean", default: false }, labels: { type: "boolean", default: false }, "profile-from": { type: "string", default: "2" } } });
/** Every kernel label with its count, most frequent first (--labels). */
const labelCounts = (m: Map<string, number>) => Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1]));
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
const { kernelCounts, topKernels } = await import("./kernel-counts.js");

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
const { Session } = await import("node:inspector/promises");
const session = values.profile ? new Session() : null;
const post = session ? (m: string, p?: object) => session.post(m as "Profiler.start", p as undefined) : null;
if (session && post) {
  session.connect();
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 200 });
}
const ms: number[] = [];
/** Patch counters (bind groups made / reused, GPU buffers created), for per-repeat deltas. */
const hostStats = (): number[] => {
  const s = (globalThis as { __jaxjsWebgpuStats?: { bindGroups?: { created: number; hits: number }; buffersCreated?: number } }).__jaxjsWebgpuStats;
  return [s?.bindGroups?.created ?? 0, s?.bindGroups?.hits ?? 0, s?.buffersCreated ?? 0];
};
const statsDelta = (a: number[], b: number[]) => ({ bindGroupsCreated: b[0]! - a[0]!, bindGroupHits: b[1]! - a[1]!, buffersCreated: b[2]! - a[2]! });
const perRep: ReturnType<typeof statsDelta>[] = [];
const out: Record<string, unknown> = {};
if (!values["no-train"]) {
  for (let i = 0; i < Number(values.reps); i++) {
    if (i === Number(values["profile-from"]) && post) await post("Profiler.start");
    const st0 = hostStats();
    const t0 = performance.now();
    await micro();
    ms.push(performance.now() - t0);
    perRep.push(statsDelta(st0, hostStats()));
  }
  if (post && Number(values.reps) > Number(values["profile-from"])) {
    const { profile } = (await post("Profiler.stop")) as unknown as { profile: object };
    const { writeFileSync } = await import("node:fs");
    writeFileSync(values.profile!, JSON.stringify(profile));
  }
  const k = await kernelCounts(micro);
  out.microBatchMs = ms.map((x) => Math.round(x));
  out.perRep = perRep.map((r) => [r.bindGroupsCreated, r.bindGroupHits, r.buffersCreated].join("/"));
  out.kernels = k.total;
  if (values.labels) out.microBatchLabels = labelCounts(k.byLabel);
  const steady = ms.slice(2).sort((a, b) => a - b);
  if (steady.length) out.medianMsPerKernel = Number((steady[steady.length >> 1]! / k.total).toFixed(4));
}
const st = (globalThis as { __jaxjsWebgpuStats?: { submits: number; passes?: number; bindGroups?: object } }).__jaxjsWebgpuStats;
if (values.generate) {
  const { generate } = await import("../src/rollout/generate.js");
  const GB = Number(values.generate), N = Number(values["new-tokens"]);
  const gen = new CausalLM({ ...cfg, eosTokenId: [] }, model.params, model.tokenizer);
  const prompt = Array.from({ length: 16 }, (_, i) => (17 + 31 * i) % 95 + 3);
  const genMs: number[] = [];
  const genReps = Math.max(2, Number(values.reps) >> 1);
  for (let i = 0; i < genReps; i++) {
    // with --no-train, --profile covers the generation calls after the first
    if (i === 1 && post && values["no-train"]) await post("Profiler.start");
    const t0 = performance.now();
    const res = await generate(gen, Array.from({ length: GB }, () => prompt), { maxNewTokens: N, temperature: 1, topP: 1, topK: 0 }, new Rng(GB));
    genMs.push(performance.now() - t0);
    if (res.reduce((a, c) => a + c.ids.length, 0) !== GB * N) throw new Error("generate: short output");
  }
  if (post && values["no-train"]) {
    const { profile } = (await post("Profiler.stop")) as unknown as { profile: object };
    const { writeFileSync } = await import("node:fs");
    writeFileSync(values.profile!, JSON.stringify(profile));
  }
  const toks = new Int32Array(GB * 16);
  for (let b = 0; b < GB; b++) toks.set(prompt, b * 16);
  const pad = Array.from({ length: GB }, () => 0);
  let { cache } = await gen.prefill(toks, GB, 16, pad, 64);
  let r = await gen.decodeSample(new Int32Array(GB).fill(5), 16, pad, cache, 1, 0);
  const kd = await kernelCounts(async () => {
    r = await gen.decodeSample(r.ids, 17, pad, r.cache, 1, 1);
  });
  cache = r.cache;
  out.generateMs = genMs.map((x) => Math.round(x));
  out.generateHostMsPerStep = genMs.slice(1).map((x) => Number((x / N).toFixed(2)));
  out.decodeStepKernels = kd.total;
  out.decodeTopKernels = topKernels(kd.byLabel);
  if (values.labels) out.decodeStepLabels = labelCounts(kd.byLabel);
}
console.log(JSON.stringify({ ...out, submits: st?.submits, computePasses: st?.passes, bindGroups: st?.bindGroups, env: Object.fromEntries(Object.entries(process.env).filter(([e]) => e.startsWith("JAXJS_"))) }));
up.dispose();
process.exit(0);
