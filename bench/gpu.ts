/**
 * GPU benchmark: thinkrl (jax-js on WebGPU through Dawn) beside PyTorch + transformers (fp32 and bf16) on the same
 * card, the same models and the same shapes, in one run, printing one table with a ratio for every figure.
 *
 * Models: the embedded default model (`assets/default-model`) and a Qwen2.5-0.5B-shaped checkpoint with random
 * weights (built on the spot by `scripts/make_qwen25_shaped.py`: a 1 GB checkpoint does not travel).
 * Measured for each: checkpoint load; generation tokens/s at batch 1/8/64 with exactly 256 new tokens (EOS
 * ignored: the model's EOS list is emptied; PyTorch uses `min_new_tokens`); one GRPO train step of 8 prompts × 8
 * samples × 512 tokens (64-token prompt, 448-token completion, advantages ±1 so the backward pass runs, AdamW);
 * compile time (first call minus a repeat) apart; peak GPU memory (nvidia-smi, whole process incl. context).
 *
 *   bash ../shared/device/prepare.sh && npx tsc -p tsconfig.build.json
 *   # on the GPU machine (see ../shared/device/README.md):
 *   source .device/setup.sh && node dist/bench/gpu.js --out $OUT
 *
 * Flags: --models tiny,qwen0.5b  --qwen-dir DIR (default /tmp/qwen2.5-0.5b-shaped)  --tokenizer-dir DIR (a
 * tokenizer.json/tokenizer_config.json pair for the built checkpoint)  --skip-torch  --device webgpu|wasm
 * --train-seconds S (time budget for the measured micro-batches of one train step: the rest of the step is
 * extrapolated from them and the table says so)  --micro-batch N (rows per forward/backward; default 8 tiny, 4 0.5B).
 * --profile: also time decode steps alone against host-side sampling, per batch size, and take one train
 * micro-batch apart (forward alone, kernel dispatches, each forward/backward matmul timed at its shape).
 * --logits-chunk N: logits elements per log-prob chunk (default `defaultLogitsChunkElements()`: 2^25 on Wasm, 3/4 of
 * the storage-binding limit on WebGPU; sets `CausalLM.logitsChunkElements`).
 * --matmuls: instead of the model table, the per-matmul table — every matmul shape of a 0.5B GRPO micro-batch (4 × 512
 * tokens: forward x·W, input gradient dY·Wᵀ, weight gradient Xᵀ·dY) and 4096³, thinkrl in each of `--matmul-variants`
 * (`name=ENV=VALUE,ENV=VALUE;…`, one worker process each: the jax-js patch's switches, docs/jax-patch.md) against
 * `torch.matmul` fp32 and bf16 (`bench/gpu_matmul.py`), with thinkrl's result checked against a float64 dot product
 * at 256 sampled output elements (max error relative to the largest |reference| value). `--matmul-shapes step|4096|all`.
 * --weights-dtype float16: generation also with float16 linear weights and output head (`castWeights`, the f16 matmul
 * of jax-js patch 208), reported as `generateF16`, after a logit-parity check against float32 weights (`f16Parity`:
 * a prefill of 64 prompts and 8 teacher-forced decode steps, max |Δlogit|, argmax agreement, KL). --skip-train: no
 * train step. THINKRL_BENCH_MATMUL_DTYPE=float16 (in a `--matmul-variants` entry): that variant's products take float16
 * operands (values k/1024, exact in f16, so the float64 reference is the same) and return float32.
 * Worker mode (one model, this process measures thinkrl only): --worker DIR --json FILE.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { numpy as npT } from "@jax-js/jax";
import { kernelCounts, topKernels } from "./kernel-counts.js";
import { kernelTimes, topKernelTimes } from "./kernel-times.js";

const { values: args } = parseArgs({
  options: {
    worker: { type: "string" },
    json: { type: "string" },
    out: { type: "string", default: "bench-out" },
    models: { type: "string", default: "tiny,qwen0.5b" },
    "qwen-dir": { type: "string", default: "/tmp/qwen2.5-0.5b-shaped" },
    "tokenizer-dir": { type: "string" },
    "skip-torch": { type: "boolean", default: false },
    device: { type: "string", default: "webgpu" },
    "train-seconds": { type: "string", default: "90" },
    "micro-batch": { type: "string" },
    batches: { type: "string", default: "1,8,64" },
    "new-tokens": { type: "string", default: "256" },
    profile: { type: "boolean", default: false },
    "logits-chunk": { type: "string" },
    matmuls: { type: "boolean", default: false },
    "matmul-worker": { type: "boolean", default: false },
    "matmul-variants": { type: "string", default: "patched=;unpatched=JAXJS_WEBGPU_MATMUL=0" },
    "matmul-shapes": { type: "string", default: "step" },
    /** float16: also generate with float16 linear weights (`castWeights`), and measure its logit parity against float32 */
    "weights-dtype": { type: "string", default: "float32" },
    "skip-train": { type: "boolean", default: false },
  },
});

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const NEW_TOKENS = Number(args["new-tokens"]);
const BATCHES = args.batches!.split(",").filter((x) => x !== "").map(Number);
const PROMPT_LEN = 16; // generation prompt
const TRAIN = { prompts: 8, samples: 8, promptLen: 64, seqLen: 512 };

/** What one side measured for one model (times in seconds). */
export interface Result {
  side: string;
  loadSeconds: number;
  /** batch → { tokensPerSecond, compileSeconds } */
  generate: Record<string, { tokensPerSecond: number; seconds: number; compileSeconds: number }>;
  /** --weights-dtype float16: the same generation with float16 weights. */
  generateF16?: Record<string, { tokensPerSecond: number; seconds: number; compileSeconds: number }>;
  /** --weights-dtype float16: float16 against float32 weights (see `f16Parity`). */
  f16Parity?: Record<string, number>;
  train: { seconds: number; compileSeconds: number; measuredMicroBatches: number; microBatches: number; microBatchRows: number; loss: number };
  peakMemoryGiB?: number;
  torchPeakAllocatedGiB?: number;
  /** batch → median ms of one decode step (device work + logits readback) and of host-side sampling for the batch. */
  profile?: Record<string, { decodeMs: number; sampleMs: number; prefillMs: number; decodeSampleMs: number; decodeDispatches?: number; decodeSubmits?: number }>;
  /** One train micro-batch taken apart (--profile): forward-only seconds, kernel dispatches, matmuls timed alone. */
  trainProfile?: TrainProfile;
  notes?: string[];
}

/** Where one GRPO micro-batch's time goes (all seconds; matmuls timed alone at the micro-batch's shapes). */
export interface TrainProfile {
  rows: number;
  forwardSeconds: number;
  forwardBackwardSeconds: number;
  dispatches: number;
  topKernels: string;
  /** Device time of the micro-batch's kernels (timestamp queries), total and by kernel label (largest first). */
  kernelMs?: number;
  topKernelTimes?: string;
  /** The 40 kernel groups with the most device time: label (+ reduction), count, ms, a sample of the expression. */
  kernelTimesByLabel?: { label: string; count: number; ms: number; exp?: string }[];
  /** Queue submits of kernel work in one micro-batch (jax-js patch; absent unpatched). */
  submits?: number;
  /** shape label → { seconds per call, TFLOP/s, calls per micro-batch } */
  matmuls: Record<string, { seconds: number; tflops: number; calls: number }>;
  matmulSeconds: number;
}

/**
 * Logits of float16 weights against float32 weights on the same inputs: a prefill of 64 different 16-token prompts,
 * then 8 decode steps teacher-forced with the float32 model's greedy tokens (both models see the same tokens). 64 rows
 * so that every product reaches patch 208's kernels (M ≥ 32; below, jax-js's own f16 kernel runs). Over all 9 × 64
 * logit rows: max |Δlogit|, that relative to the largest |logit|, the fraction of rows whose argmax agrees, and the
 * mean and max KL(p32 ‖ p16) of the softmaxes.
 */
async function f16Parity(g32: import("../src/model/causal-lm.js").CausalLM, g16: import("../src/model/causal-lm.js").CausalLM, vocab: number): Promise<Record<string, number>> {
  const B = 64, L = 16, steps = 8, S = L + steps;
  const toks = new Int32Array(B * L);
  for (let b = 0; b < B; b++) for (let i = 0; i < L; i++) toks[b * L + i] = (17 + 31 * i + 7919 * b) % vocab;
  const pad = Array.from({ length: B }, () => 0);
  let x = await g32.prefill(toks, B, L, pad, S), y = await g16.prefill(toks, B, L, pad, S);
  let maxAbs = 0, maxLogit = 0, agree = 0, rowsSeen = 0, klSum = 0, klMax = 0;
  const compare = (a: Float32Array, c: Float32Array): Int32Array => {
    const next = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const o = b * vocab;
      let am = 0, cm = 0, amax = -Infinity, cmax = -Infinity;
      for (let v = 0; v < vocab; v++) {
        const p = a[o + v]!, q = c[o + v]!;
        maxAbs = Math.max(maxAbs, Math.abs(p - q));
        maxLogit = Math.max(maxLogit, Math.abs(p));
        if (p > amax) (amax = p), (am = v);
        if (q > cmax) (cmax = q), (cm = v);
      }
      let za = 0, zc = 0;
      for (let v = 0; v < vocab; v++) (za += Math.exp(a[o + v]! - amax)), (zc += Math.exp(c[o + v]! - cmax));
      let kl = 0;
      for (let v = 0; v < vocab; v++) {
        const lp = a[o + v]! - amax - Math.log(za), lq = c[o + v]! - cmax - Math.log(zc);
        kl += Math.exp(lp) * (lp - lq);
      }
      klSum += kl;
      klMax = Math.max(klMax, kl);
      if (am === cm) agree++;
      rowsSeen++;
      next[b] = am;
    }
    return next;
  };
  let next = compare(x.logits, y.logits);
  for (let t = 0; t < steps; t++) {
    x = await g32.decode(next, L + t, pad, x.cache);
    y = await g16.decode(next, L + t, pad, y.cache);
    next = compare(x.logits, y.logits);
  }
  for (const c of [...x.cache, ...y.cache]) {
    c.k.dispose();
    c.v.dispose();
  }
  return { rows: rowsSeen, maxAbsLogitDiff: maxAbs, maxAbsLogit: maxLogit, relToMaxLogit: maxAbs / maxLogit, argmaxAgreement: agree / rowsSeen, meanKL: klSum / rowsSeen, maxKL: klMax };
}

/** Fixed prompt ids shared with the PyTorch side (any ids below the tokenizer's size will do for timing). */
function promptIds(n: number, vocab: number): number[] {
  return Array.from({ length: n }, (_, i) => (17 + 31 * i) % vocab);
}

async function worker(dir: string, jsonOut: string): Promise<void> {
  const { initEngine } = await import("../src/engine/init.js");
  await initEngine(args.device as "webgpu" | "wasm");
  const { loadModel } = await import("../src/model/load.js");
  const { CausalLM } = await import("../src/model/causal-lm.js");
  const { generate } = await import("../src/rollout/generate.js");
  const { Learner } = await import("../src/train/learner.js");
const { grpo, nll } = await import("../src/rl/losses/index.js");
  const { tokenWeights } = await import("../src/rl/aggregate.js");
  const { Rng } = await import("../src/core/rng.js");
  const now = () => performance.now() / 1000;

  let t = now();
  const model = await loadModel(dir);
  const loadSeconds = now() - t;
  if (args["logits-chunk"]) model.logitsChunkElements = Number(args["logits-chunk"]);
  const cfg = model.config;
  const vocab = cfg.vocabSize; // ids past the tokenizer (padding rows of the embedding) decode to "" and time the same
  const res: Result = { side: "thinkrl", loadSeconds, generate: {}, train: { seconds: 0, compileSeconds: 0, measuredMicroBatches: 0, microBatches: 0, microBatchRows: 0, loss: 0 }, notes: [] };
  const { gpuFeatureReport } = await import("../src/engine/gpu-features.js");
  const feats = gpuFeatureReport();
  if (feats) {
    res.notes!.push(`WebGPU device: ${feats.adapter}; device features: ${feats.deviceFeatures.join(", ")}; subgroup-matrix configs: ${feats.subgroupMatrixConfigs.join(", ") || "none"}`);
    console.error(`[thinkrl] ${res.notes![0]}`);
  }
  const env = ["JAXJS_WEBGPU_MATMUL", "JAXJS_WEBGPU_BATCH", "JAXJS_WEBGPU_MATMUL_TILE", "JAXJS_WEBGPU_JIT_EAGER", "JAXJS_WEBGPU_ONE_PASS", "JAXJS_WEBGPU_FAST_HOST", "JAXJS_WEBGPU_REDUCE", "JAXJS_WEBGPU_F16_SGMAT", "JAXJS_WEBGPU_MATMUL_SPLITK"].filter((e) => process.env[e] !== undefined).map((e) => `${e}=${process.env[e]}`);
  if (env.length) res.notes!.push(`jax-js patch switches: ${env.join(" ")}`);
  const save = () => writeFileSync(jsonOut, JSON.stringify(res, null, 2));
  save();
  console.error(`[thinkrl] loaded ${dir} in ${loadSeconds.toFixed(1)} s`);

  // Generation with EOS ignored: same params, an empty EOS list.
  const gen = new CausalLM({ ...cfg, eosTokenId: [] }, model.params, model.tokenizer);
  const prompt = promptIds(PROMPT_LEN, vocab);
  if (args["weights-dtype"] === "float16") {
    const { castWeights } = await import("../src/model/params.js");
    const { tree } = await import("@jax-js/jax");
    const st = (globalThis as { __jaxjsWebgpuStats?: { matmuls: { dtype?: string; kernel?: string; M: number; N: number; K: number; tiles: number[] }[] } }).__jaxjsWebgpuStats;
    const before = st?.matmuls.length ?? 0;
    const gen16 = new CausalLM({ ...cfg, eosTokenId: [] }, castWeights(tree.ref(model.params), "float16"), model.tokenizer);
    res.f16Parity = await f16Parity(gen, gen16, vocab);
    console.error(`[thinkrl] f16 vs f32 weights: ${JSON.stringify(res.f16Parity)}`);
    res.generateF16 = {};
    for (const B of BATCHES) {
      const once = async () => {
        const t0 = now();
        const out = await generate(gen16, Array.from({ length: B }, () => prompt), { maxNewTokens: NEW_TOKENS, temperature: 1, topP: 1, topK: 0 }, new Rng(B));
        const n = out.reduce((a, c) => a + c.ids.length, 0);
        if (n !== B * NEW_TOKENS) throw new Error(`generate f16 B${B}: ${n} tokens, expected ${B * NEW_TOKENS}`);
        return now() - t0;
      };
      const first = await once();
      const second = await once();
      res.generateF16[String(B)] = { tokensPerSecond: (B * NEW_TOKENS) / second, seconds: second, compileSeconds: Math.max(0, first - second) };
      console.error(`[thinkrl] generate f16 weights B${B}: ${((B * NEW_TOKENS) / second).toFixed(0)} tok/s (first call +${(first - second).toFixed(1)} s)`);
      save();
    }
    const mms = st?.matmuls.slice(before).filter((m) => m.dtype === "float16") ?? [];
    const kinds = new Map<string, number>();
    for (const m of mms) kinds.set(`${m.kernel} ${m.M}×${m.N}×${m.K} tiles ${m.tiles.join("×")}`, (kinds.get(`${m.kernel} ${m.M}×${m.N}×${m.K} tiles ${m.tiles.join("×")}`) ?? 0) + 1);
    res.notes!.push(`float16 matmul kernels compiled: ${[...kinds].map(([k, n]) => `${k}${n > 1 ? ` ×${n}` : ""}`).join("; ") || "none (the jax-js patch 208 is missing, or JAXJS_WEBGPU_F16_MATMUL=0)"}`);
    console.error(`[thinkrl] ${res.notes![res.notes!.length - 1]}`);
    tree.dispose(gen16.params);
    save();
  }
  for (const B of BATCHES) {
    const once = async () => {
      const t0 = now();
      const out = await generate(gen, Array.from({ length: B }, () => prompt), { maxNewTokens: NEW_TOKENS, temperature: 1, topP: 1, topK: 0 }, new Rng(B));
      const n = out.reduce((a, c) => a + c.ids.length, 0);
      if (n !== B * NEW_TOKENS) throw new Error(`generate B${B}: ${n} tokens, expected ${B * NEW_TOKENS}`);
      return now() - t0;
    };
    const first = await once();
    const second = await once();
    res.generate[String(B)] = { tokensPerSecond: (B * NEW_TOKENS) / second, seconds: second, compileSeconds: Math.max(0, first - second) };
    console.error(`[thinkrl] generate B${B}: ${((B * NEW_TOKENS) / second).toFixed(0)} tok/s (first call +${(first - second).toFixed(1)} s)`);
    save();
  }

  if (args.profile) {
    // Where a generation step's time goes: the jit'd decode call (kernels + dispatch + the [B, V] logits copy back)
    // against sampling those logits on the host.
    const { sampleToken } = await import("../src/rollout/sampling.js");
    res.profile = {};
    for (const B of BATCHES) {
      const L = 16, S = L + 32;
      const toks = new Int32Array(B * L);
      for (let b = 0; b < B; b++) toks.set(prompt, b * L);
      const pad = Array.from({ length: B }, () => 0);
      let t0 = now();
      let { logits, cache } = await gen.prefill(toks, B, L, pad, S);
      const prefillMs = (now() - t0) * 1000;
      const dec: number[] = [], smp: number[] = [];
      const r = new Rng(3);
      for (let t = 0; t < 24; t++) {
        t0 = now();
        const next = new Int32Array(B);
        for (let b = 0; b < B; b++) next[b] = sampleToken(logits, b * cfg.vocabSize, cfg.vocabSize, { temperature: 1, topP: 1, topK: 0 }, r).id;
        smp.push((now() - t0) * 1000);
        t0 = now();
        ({ logits, cache } = await gen.decode(next, L + t, pad, cache));
        dec.push((now() - t0) * 1000);
      }
      // The same steps with the token drawn inside the decode call (Gumbel-max on the device, [B] ids back).
      const ds: number[] = [];
      let next: Int32Array = new Int32Array(B).fill(prompt[0]!);
      for (let t = 24; t < 32; t++) {
        t0 = now();
        const r2 = await gen.decodeSample(next, L + t, pad, cache, 1, t);
        ds.push((now() - t0) * 1000);
        cache = r2.cache;
        next = r2.ids;
      }
      // Kernels and queue submits of one decode step with device sampling.
      const st = (globalThis as { __jaxjsWebgpuStats?: { submits: number } }).__jaxjsWebgpuStats;
      const s0 = st?.submits ?? 0;
      let r3: Awaited<ReturnType<typeof gen.decodeSample>> | null = null;
      const kc = await kernelCounts(async () => {
        r3 = await gen.decodeSample(next, L + 32, pad, cache, 1, 32);
      });
      cache = r3!.cache;
      const decodeSubmits = st ? st.submits - s0 : undefined;
      for (const kv of cache) {
        kv.k.dispose();
        kv.v.dispose();
      }
      const med = (a: number[], skip = 4) => a.slice(skip).sort((x, y) => x - y)[Math.floor((a.length - skip) / 2)]!;
      res.profile[String(B)] = { decodeMs: med(dec), sampleMs: med(smp), prefillMs, decodeSampleMs: med(ds, 2), decodeDispatches: kc.total, decodeSubmits };
      console.error(`[thinkrl] profile B${B}: decode step ${med(dec).toFixed(1)} ms + host sampling ${med(smp).toFixed(1)} ms; with device sampling ${med(ds, 2).toFixed(1)} ms, ${kc.total} kernels in ${decodeSubmits ?? "?"} submits`);
      save();
    }
  }

  if (args["skip-train"]) return;
  // One GRPO step: 64 rows × 512 tokens, completion tokens in the loss, advantages ±1 (never all zero).
  const rows = TRAIN.prompts * TRAIN.samples;
  const T = TRAIN.seqLen;
  const mbRows = Number(args["micro-batch"] ?? (cfg.vocabSize > 10000 ? 4 : 8));
  const rng = new Rng(7);
  const tokens = Int32Array.from({ length: rows * T }, () => rng.int(0, vocab - 1));
  const targets = Int32Array.from({ length: rows * T }, () => rng.int(0, vocab - 1));
  const mask = new Float32Array(rows * T);
  for (let r = 0; r < rows; r++) mask.fill(1, r * T + TRAIN.promptLen - 1, (r + 1) * T);
  const weights = tokenWeights("grpo", mask, rows, T, T - TRAIN.promptLen);
  const advantages = Float32Array.from({ length: rows }, (_, r) => (r % 2 === 0 ? 1 : -1));
  const up = new Learner(model, grpo, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
  const slice = <A extends Float32Array | Int32Array>(a: A, s: number, e: number) => a.slice(s * T, e * T) as A;
  const micro = async (s: number) => {
    const e = Math.min(rows, s + mbRows);
    const t0 = now();
    const m = await up.accumulate({ B: e - s, T, tokens: slice(tokens, s, e), targets: slice(targets, s, e), weights: slice(weights, s, e), mask: slice(mask, s, e), advantages: advantages.slice(s, e) });
    return { seconds: now() - t0, loss: m.loss };
  };
  const nMicro = Math.ceil(rows / mbRows);
  const budget = Number(args["train-seconds"]);
  // Step 1 compiles (its first micro-batch) and runs; step 2 is timed. A step whose micro-batches exceed the time
  // budget is extrapolated from the ones measured (all compiled shapes by then, except a shorter last batch).
  const step = async () => {
    const times: number[] = [];
    let loss = 0;
    const t0 = now();
    for (let i = 0; i < nMicro; i++) {
      const r = await micro(i * mbRows);
      times.push(r.seconds);
      loss += r.loss;
      if (now() - t0 > budget && i < nMicro - 1) break;
    }
    const ta = now();
    await up.apply(1e-6);
    const applySeconds = now() - ta;
    const perMicro = times.reduce((a, b) => a + b, 0) / times.length;
    const total = times.length === nMicro ? times.reduce((a, b) => a + b, 0) + applySeconds : perMicro * nMicro + applySeconds;
    return { total, measured: times.length, first: times[0]!, applySeconds, loss };
  };
  const s1 = await step();
  console.error(`[thinkrl] train step 1 (compiling): first micro-batch ${s1.first.toFixed(1)} s`);
  const s2 = await step();
  res.train = { seconds: s2.total, compileSeconds: Math.max(0, s1.first - s2.first + s1.applySeconds - s2.applySeconds), measuredMicroBatches: s2.measured, microBatches: nMicro, microBatchRows: mbRows, loss: s2.loss };
  if (s2.measured < nMicro) res.notes!.push(`train step extrapolated from ${s2.measured} of ${nMicro} micro-batches of ${mbRows} rows`);
  console.error(`[thinkrl] train step: ${s2.total.toFixed(2)} s (${s2.measured}/${nMicro} micro-batches of ${mbRows} rows measured)`);
  save();
  if (args.profile) {
    const perMicro = s2.measured === nMicro ? (s2.total - s2.applySeconds) / nMicro : (await micro(0)).seconds;
    res.trainProfile = await profileTrain(model, mbRows, T, slice(tokens, 0, mbRows), slice(targets, 0, mbRows), perMicro, () => micro(0));
    save();
  }
  up.dispose();
}

/**
 * Takes one GRPO micro-batch (`rows` × `T` tokens) apart: the forward pass alone (log-probs, no gradient), the
 * kernel dispatches of forward+backward, and every matmul of forward+backward timed alone at its shape (forward
 * x·W, backward dY·Wᵀ and Xᵀ·dY), summed with its call count, against the measured micro-batch time.
 */
async function profileTrain(gen: import("../src/model/causal-lm.js").CausalLM, rows: number, T: number, tokens: Int32Array, targets: Int32Array, microSeconds: number, micro: () => Promise<unknown>): Promise<TrainProfile> {
  const { jit, numpy: np } = await import("@jax-js/jax");
  const cfg = gen.config;
  const now = () => performance.now() / 1000;
  await gen.sequenceLogprobs({ B: rows, T, tokens, targets });
  let t0 = now();
  await gen.sequenceLogprobs({ B: rows, T, tokens, targets });
  const forwardSeconds = now() - t0;

  const k = await kernelCounts(micro);
  const top = topKernels(k.byLabel);
  const stats = (globalThis as { __jaxjsWebgpuStats?: { submits: number } }).__jaxjsWebgpuStats;
  const s0 = stats?.submits ?? 0;
  await micro();
  const submits = stats ? stats.submits - s0 : undefined;
  const kt = await kernelTimes(micro);
  console.error(`[thinkrl] micro-batch device time ${kt.totalMs.toFixed(0)} ms in ${kt.dispatches} kernels, ${submits ?? "?"} submits; by label: ${topKernelTimes(kt, 20)}`);

  const M = rows * T, D = cfg.hiddenSize, F = cfg.intermediateSize, V = cfg.vocabSize, L = cfg.numHiddenLayers;
  const qd = cfg.numAttentionHeads * cfg.headDim, kv = cfg.numKeyValueHeads * cfg.headDim;
  const headRows = Math.max(1, Math.min(M, Math.floor(gen.logitsChunkElements / V)));
  const headCalls = Math.ceil(M / headRows);
  // [rows of x, in, out, calls per micro-batch]: q, o, k and v, gate and up, down, LM-head chunks.
  const linears: [number, number, number, number][] = [[M, D, qd, L], [M, qd, D, L], [M, D, kv, 2 * L], [M, D, F, 2 * L], [M, F, D, L], [headRows, D, V, headCalls]];
  const fwd = jit((x: npT.Array, w: npT.Array) => np.matmul(x, w));
  const dx = jit((dy: npT.Array, w: npT.Array) => np.matmul(dy, w.transpose()));
  const dw = jit((x: npT.Array, dy: npT.Array) => np.matmul(x.transpose(), dy));
  const time = async (f: (a: npT.Array, b: npT.Array) => npT.Array, a: npT.Array, b: npT.Array, outElements: number) => (await timeMatmul(f, a, b, outElements)).seconds;
  const matmuls: TrainProfile["matmuls"] = {};
  let matmulSeconds = 0;
  for (const [m, k, n, calls] of linears) {
    const x = np.array(new Float32Array(m * k).fill(0.01)).reshape([m, k]);
    const w = np.array(new Float32Array(k * n).fill(0.01)).reshape([k, n]);
    const dy = np.array(new Float32Array(m * n).fill(0.01)).reshape([m, n]);
    for (const [name, s] of [[`${m}×${k}×${n} x·W`, await time(fwd, x, w, m * n)], [`${m}×${n}×${k} dY·Wᵀ`, await time(dx, dy, w, m * k)], [`${k}×${m}×${n} Xᵀ·dY`, await time(dw, x, dy, k * n)]] as [string, number][]) {
      matmuls[name] = { seconds: s, tflops: (2 * m * k * n) / s / 1e12, calls };
      matmulSeconds += s * calls;
      console.error(`[thinkrl] matmul ${name}: ${(s * 1000).toFixed(2)} ms, ${((2 * m * k * n) / s / 1e12).toFixed(2)} TFLOP/s, ×${calls} a micro-batch`);
    }
    x.dispose();
    w.dispose();
    dy.dispose();
  }
  console.error(`[thinkrl] train micro-batch ${rows}×${T}: ${microSeconds.toFixed(2)} s (forward alone ${forwardSeconds.toFixed(2)} s); ${k.total} dispatches (top: ${top}); matmuls timed alone sum to ${matmulSeconds.toFixed(2)} s`);
  return { rows, forwardSeconds, forwardBackwardSeconds: microSeconds, dispatches: k.total, topKernels: top, kernelMs: kt.totalMs, topKernelTimes: topKernelTimes(kt, 20), kernelTimesByLabel: kt.byLabel.slice(0, 40), submits, matmuls, matmulSeconds };
}

/** One matmul of the per-matmul table: label, M, K, N and the operand form (see bench/gpu_matmul.py). */
type MatmulShape = [string, number, number, number, "nn" | "nt" | "tn"];

/**
 * Device time of one call of the jitted product `f(a, b)`, compile and upload excluded: a warm-up call first, then
 * five timings of `reps` back-to-back calls each (median), where every call's kernels are submitted
 * (`blockUntilReady` on each result — disposing a result before it is read would drop its queued kernels, and
 * jax-js would never run them) and the clock stops only after `queue.onSubmittedWorkDone()`, i.e. when the GPU has
 * finished them all. `reps` aims at ~50 ms a timing and keeps the live outputs under 4 GiB.
 */
export async function timeMatmul(f: (a: npT.Array, b: npT.Array) => npT.Array, a: npT.Array, b: npT.Array, outElements: number, keepOutputs = true): Promise<{ seconds: number; reps: number }> {
  const { getWebGPUDevice, defaultDevice } = await import("@jax-js/jax");
  const gpu = defaultDevice() === "webgpu" ? getWebGPUDevice() : null;
  // keepOutputs: every call's output stays alive until the timing ends (each call then gets a fresh buffer, which Dawn
  // zero-fills lazily); otherwise each output is disposed as soon as the next call is queued, so the buffer pool hands
  // it back to a later call — as `y = a @ b` in a PyTorch loop returns y's memory to the caching allocator.
  const once = async (reps: number) => {
    const outs: npT.Array[] = [];
    if (gpu) await gpu.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) {
      outs.push(f(a.ref, b.ref));
      if (!keepOutputs && outs.length > 1) outs.shift()!.dispose();
    }
    await Promise.all(outs.map((o) => o.blockUntilReady()));
    if (gpu) await gpu.queue.onSubmittedWorkDone();
    const s = (performance.now() - t0) / 1000;
    for (const o of outs) o.dispose();
    return s / reps;
  };
  await once(1);
  const probe = await once(1);
  const reps = Math.max(1, Math.min(200, Math.ceil(0.05 / probe), keepOutputs ? Math.floor(2 ** 32 / (4 * outElements)) : 200));
  const ts: number[] = [];
  for (let i = 0; i < 5; i++) ts.push(await once(reps));
  return { seconds: ts.sort((p, q) => p - q)[2]!, reps };
}

/** The matmuls of one 0.5B GRPO micro-batch (Qwen2.5-0.5B: hidden 896, kv 128, MLP 4864, vocabulary 151,936). */
function matmulShapes(which: string): MatmulShape[] {
  const T = 4 * 512;
  const out: MatmulShape[] = [];
  if (which === "f16") {
    // the MLP products of a 0.5B micro-batch in every form, and 4096³
    for (const [name, d, n] of [["gate/up", 896, 4864], ["down", 4864, 896]] as [string, number, number][]) out.push([`${name} x·W`, T, d, n, "nn"], [`${name} dY·Wᵀ`, T, n, d, "nt"], [`${name} Xᵀ·dY`, d, T, n, "tn"]);
    out.push(["4096³", 4096, 4096, 4096, "nn"]);
    return out;
  }
  if (which !== "4096") {
    for (const [name, d, n] of [["q/o", 896, 896], ["k/v", 896, 128], ["gate/up", 896, 4864], ["down", 4864, 896], ["LM head", 896, 151936]] as [string, number, number][]) {
      if (which === "core" && name === "LM head") continue; // `core`: the step's shapes without the LM head, and 4096³
      out.push([`${name} x·W`, T, d, n, "nn"], [`${name} dY·Wᵀ`, T, n, d, "nt"], [`${name} Xᵀ·dY`, d, T, n, "tn"]);
    }
  }
  if (which !== "step") out.push(["4096³", 4096, 4096, 4096, "nn"]);
  return out;
}

/** thinkrl's side of the per-matmul table (this process; the variant's env switches are set by the parent). */
async function matmulWorker(jsonOut: string): Promise<void> {
  const { initEngine } = await import("../src/engine/init.js");
  await initEngine("webgpu");
  const { gpuFeatureReport } = await import("../src/engine/gpu-features.js");
  const { jit, numpy: np } = await import("@jax-js/jax");
  const res: { features: unknown; shapes: Record<string, { seconds: number; reps: number; tflops: number; freedSeconds: number; freedTflops: number; deviceSeconds?: number; deviceTflops?: number; deviceKernels?: string[]; maxRelError: number; kernel?: unknown }> } = { features: gpuFeatureReport(), shapes: {} };
  const stats = (globalThis as { __jaxjsWebgpuStats?: { matmuls: unknown[] } }).__jaxjsWebgpuStats;
  const fill = (n: number, seed: number) => {
    const a = new Float32Array(n);
    let x = seed >>> 0;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      a[i] = f16 ? ((x >>> 21) - 1024) / 2048 : x / 2 ** 32 - 0.5; // f16: k/2048, exact in float16
    }
    return a;
  };
  // THINKRL_BENCH_MATMUL_DTYPE=float16: operands cast to float16 on the device (outside the timed function), the
  // product returned as float32 (the cast fuses into the product's epilogue or is one more small kernel).
  const f16 = process.env.THINKRL_BENCH_MATMUL_DTYPE === "float16";
  const out = (y: npT.Array) => (f16 ? y.astype(np.float32) : y);
  const fns = {
    nn: jit((a: npT.Array, b: npT.Array) => out(np.matmul(a, b))),
    nt: jit((a: npT.Array, b: npT.Array) => out(np.matmul(a, b.transpose()))),
    tn: jit((a: npT.Array, b: npT.Array) => out(np.matmul(a.transpose(), b))),
  };
  for (const [label, M, K, N, form] of matmulShapes(args["matmul-shapes"]!)) {
    const ha = fill(M * K, 1), hb = fill(K * N, 2);
    let a = np.array(ha).reshape(form === "tn" ? [K, M] : [M, K]);
    let b = np.array(hb).reshape(form === "nt" ? [N, K] : [K, N]);
    if (f16) {
      a = await a.astype(np.float16).blockUntilReady();
      b = await b.astype(np.float16).blockUntilReady();
    }
    const f = fns[form];
    const before = stats?.matmuls.length ?? 0;
    const y = await f(a.ref, b.ref).blockUntilReady();
    const got = (await y.data()) as Float32Array; // data() consumes y
    const A = (i: number, k: number) => (form === "tn" ? ha[k * M + i]! : ha[i * K + k]!);
    const B = (k: number, j: number) => (form === "nt" ? hb[j * K + k]! : hb[k * N + j]!);
    let maxErr = 0, maxRef = 0;
    for (let s = 0; s < 256; s++) {
      const i = (s * 7919) % M, j = (s * 104729) % N;
      let ref = 0;
      for (let k = 0; k < K; k++) ref += A(i, k) * B(k, j);
      maxErr = Math.max(maxErr, Math.abs(got[i * N + j]! - ref));
      maxRef = Math.max(maxRef, Math.abs(ref));
    }
    const { seconds, reps } = await timeMatmul(f, a, b, M * N);
    const freed = await timeMatmul(f, a, b, M * N, false);
    // Device time of the product's kernel alone (timestamp queries around its compute pass, 10 calls): the wall time
    // above also holds each call's host work (jax-js dispatch, buffer creation, bind groups), which dominates small
    // products; the largest kernel by device time is the product (a transpose copy, if any, shows as a second label).
    const kt = await kernelTimes(async () => {
      const outs: npT.Array[] = [];
      for (let r = 0; r < 10; r++) outs.push(f(a.ref, b.ref));
      await Promise.all(outs.map((o) => o.blockUntilReady()));
      for (const o of outs) o.dispose();
    });
    const top = kt.byLabel[0];
    const deviceSeconds = top && top.count > 0 ? top.ms / 1e3 / top.count : NaN;
    res.shapes[label] = { seconds, reps, tflops: (2 * M * K * N) / seconds / 1e12, freedSeconds: freed.seconds, freedTflops: (2 * M * K * N) / freed.seconds / 1e12, deviceSeconds, deviceTflops: (2 * M * K * N) / deviceSeconds / 1e12, deviceKernels: kt.byLabel.slice(0, 3).map((x) => `${x.label} ×${x.count} ${x.ms.toFixed(3)} ms`), maxRelError: maxErr / maxRef, kernel: stats?.matmuls.slice(before) };
    console.error(`[thinkrl] ${label} ${M}×${K}×${N}: ${(seconds * 1e3).toFixed(2)} ms, ${((2 * M * K * N) / seconds / 1e12).toFixed(2)} TFLOP/s wall (outputs kept), ${((2 * M * K * N) / freed.seconds / 1e12).toFixed(2)} wall (outputs freed), ${((2 * M * K * N) / deviceSeconds / 1e12).toFixed(2)} device (${(deviceSeconds * 1e3).toFixed(3)} ms), max rel. error ${(maxErr / maxRef).toExponential(1)}`);
    a.dispose();
    b.dispose();
    writeFileSync(jsonOut, JSON.stringify(res, null, 2));
  }
}

/** The per-matmul table: thinkrl's variants (one worker process each) against torch.matmul fp32/bf16. */
async function matmulTable(outDir: string): Promise<void> {
  const shapes = matmulShapes(args["matmul-shapes"]!);
  const variants = args["matmul-variants"]!.split(";").filter((v) => v).map((v) => {
    const [name, env = ""] = v.split(/=(.*)/s) as [string, string?];
    return { name, env: Object.fromEntries(env.split(",").filter((e) => e).map((e) => e.split("=") as [string, string])) };
  });
  const ours: Record<string, { shapes: Record<string, { tflops: number; freedTflops?: number; deviceTflops?: number; maxRelError: number }>; features?: unknown }> = {};
  for (const v of variants) {
    const p = join(outDir, `matmul-${v.name}.json`);
    const code = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, [fileURLToPath(import.meta.url), "--matmul-worker", "--json", p, "--matmul-shapes", args["matmul-shapes"]!], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...v.env } });
      c.on("exit", (x) => resolve(x ?? 1));
    });
    console.error(`[matmul ${v.name}] exit ${code}`);
    if (existsSync(p)) ours[v.name] = JSON.parse(readFileSync(p, "utf8"));
  }
  let torch: { fp32: Record<string, { tflops: number }>; bf16: Record<string, { tflops: number }>; notes?: string[] } | null = null;
  if (!args["skip-torch"]) {
    const p = join(outDir, "matmul-torch.json");
    spawnSync("python3", [join(ROOT, "bench", "gpu_matmul.py"), "--shapes", JSON.stringify(shapes), "--json", p], { stdio: "inherit" });
    if (existsSync(p)) torch = JSON.parse(readFileSync(p, "utf8"));
  }
  const f = (x: number | undefined) => (x === undefined ? "—" : x.toFixed(x < 10 ? 2 : 1));
  // each thinkrl cell: wall-clock TFLOP/s of back-to-back calls, each output freed once the next call is queued (as a
  // PyTorch loop does) / the same with every output kept alive / TFLOP/s of the product kernel's device time
  const lines = [`| matmul | M × K × N | ${variants.map((v) => `thinkrl ${v.name} (TFLOP/s wall freed / wall kept / device)`).join(" | ")} | torch fp32 | torch bf16 | max rel. error (all variants) |`, `|---|---|${variants.map(() => "---|").join("")}---|---|---|`];
  for (const [label, M, K, N] of shapes) {
    const errs = variants.map((v) => ours[v.name]?.shapes[label]?.maxRelError).filter((e): e is number => e !== undefined);
    const cell = (r?: { tflops: number; freedTflops?: number; deviceTflops?: number }) => (r ? `${f(r.freedTflops)} / ${f(r.tflops)} / ${f(r.deviceTflops)}` : "—");
    lines.push(`| ${label} | ${M} × ${K} × ${N} | ${variants.map((v) => cell(ours[v.name]?.shapes[label])).join(" | ")} | ${f(torch?.fp32[label]?.tflops)} | ${f(torch?.bf16[label]?.tflops)} | ${errs.length ? Math.max(...errs).toExponential(1) : "—"} |`);
  }
  const md = lines.join("\n");
  writeFileSync(join(outDir, "matmul-table.md"), md + "\n");
  writeFileSync(join(outDir, "matmul-results.json"), JSON.stringify({ ours, torch }, null, 2));
  console.log(md);
  for (const v of variants) console.log(`${v.name}: device features ${JSON.stringify(ours[v.name]?.features)}`);
}

/** Runs a child process while sampling nvidia-smi's used memory; @returns peak − baseline in GiB (null without nvidia-smi). */
async function withMemory(cmd: string, argv: string[], label: string): Promise<{ code: number; peakGiB: number | null }> {
  const smi = () => {
    const r = spawnSync("nvidia-smi", ["--query-gpu=memory.used", "--format=csv,noheader,nounits"], { encoding: "utf8" });
    return r.status === 0 ? Number(r.stdout.trim().split("\n")[0]) : NaN;
  };
  const base = smi();
  let peak = base;
  const timer = setInterval(() => {
    const m = smi();
    if (m > peak) peak = m;
  }, 250);
  const code = await new Promise<number>((resolve) => {
    const p = spawn(cmd, argv, { stdio: ["ignore", "inherit", "inherit"] });
    p.on("exit", (c) => resolve(c ?? 1));
  });
  clearInterval(timer);
  console.error(`[${label}] exit ${code}`);
  return { code, peakGiB: Number.isFinite(base) ? (peak - base) / 1024 : null };
}

function table(results: Record<string, Record<string, Result | null>>): string {
  const out: string[] = [];
  const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(d));
  const ratio = (ours: number | undefined, ref: number | undefined, higherIsBetter: boolean) => {
    if (!ours || !ref) return "—";
    return `${(higherIsBetter ? ref / ours : ours / ref).toFixed(1)}×`;
  };
  out.push("| model | measure | thinkrl (WebGPU, f32) | PyTorch fp32 | thinkrl ÷ fp32 | PyTorch bf16 | thinkrl ÷ bf16 |");
  out.push("|---|---|---|---|---|---|---|");
  for (const [model, r] of Object.entries(results)) {
    const o = r.thinkrl ?? undefined, a = r.fp32 ?? undefined, b = r.bf16 ?? undefined;
    const row = (measure: string, get: (x: Result) => number | undefined, d: number, hib: boolean) =>
      out.push(`| ${model} | ${measure} | ${f(o && get(o), d)} | ${f(a && get(a), d)} | ${ratio(o && get(o), a && get(a), hib)} | ${f(b && get(b), d)} | ${ratio(o && get(o), b && get(b), hib)} |`);
    row("load checkpoint (s)", (x) => x.loadSeconds, 1, false);
    for (const B of BATCHES) row(`generate B${B} × ${NEW_TOKENS} new (tok/s)`, (x) => x.generate[String(B)]?.tokensPerSecond, 0, true);
    for (const B of BATCHES) row(`generate B${B} compile, first-call extra (s)`, (x) => x.generate[String(B)]?.compileSeconds, 1, false);
    row(`GRPO step ${TRAIN.prompts}×${TRAIN.samples}×${TRAIN.seqLen} (s)`, (x) => x.train.seconds || undefined, 2, false);
    row("GRPO step compile, first-call extra (s)", (x) => x.train.compileSeconds, 1, false);
    row("peak GPU memory, nvidia-smi (GiB)", (x) => x.peakMemoryGiB, 1, false);
  }
  out.push("");
  out.push("Ratios are thinkrl's time over PyTorch's (for tokens/s: PyTorch's rate over thinkrl's): above 1× thinkrl is slower.");
  for (const [model, r] of Object.entries(results)) {
    for (const [side, x] of Object.entries(r)) for (const n of x?.notes ?? []) out.push(`- ${model}, ${side}: ${n}`);
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  if (args.worker) return worker(args.worker, args.json ?? "thinkrl.json");
  if (args["matmul-worker"]) return matmulWorker(args.json ?? "matmul.json");
  const outDir = args.out!;
  mkdirSync(outDir, { recursive: true });
  if (args.matmuls) return matmulTable(outDir);
  const results: Record<string, Record<string, Result | null>> = {};
  const read = (p: string): Result | null => (existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as Result) : null);
  for (const name of args.models!.split(",")) {
    let dir: string;
    if (name === "tiny") dir = join(ROOT, "assets", "default-model");
    else if (name === "qwen0.5b") {
      dir = args["qwen-dir"]!;
      if (!existsSync(join(dir, "config.json"))) {
        const tokArgs = args["tokenizer-dir"] ? ["--tokenizer-dir", args["tokenizer-dir"]] : [];
        const r = spawnSync("python3", [join(ROOT, "scripts", "make_qwen25_shaped.py"), "--out", dir, ...tokArgs], { stdio: "inherit" });
        if (r.status !== 0) throw new Error("make_qwen25_shaped.py failed");
      }
    } else throw new Error(`unknown model ${name} (tiny, qwen0.5b)`);
    results[name] = {};
    const ours = join(outDir, `${name}-thinkrl.json`);
    const m = await withMemory(process.execPath, [fileURLToPath(import.meta.url), "--worker", dir, "--json", ours, "--device", args.device!, "--train-seconds", args["train-seconds"]!, "--batches", args.batches!, "--new-tokens", String(NEW_TOKENS), ...(args.profile ? ["--profile"] : []), ...(args["micro-batch"] ? ["--micro-batch", args["micro-batch"]] : []), ...(args["logits-chunk"] ? ["--logits-chunk", args["logits-chunk"]] : []), "--weights-dtype", args["weights-dtype"]!, ...(args["skip-train"] ? ["--skip-train"] : [])], `${name} thinkrl`);
    const o = read(ours);
    if (o) {
      o.peakMemoryGiB = m.peakGiB ?? undefined;
      if (m.code !== 0) o.notes = [...(o.notes ?? []), `worker exited with code ${m.code}; figures missing above are from the failure`];
    }
    results[name]!.thinkrl = o;
    writeFileSync(join(outDir, "results.json"), JSON.stringify(results, null, 2));
    if (args["skip-torch"]) continue;
    for (const dtype of ["fp32", "bf16"]) {
      const p = join(outDir, `${name}-torch-${dtype}.json`);
      const tm = await withMemory("python3", [join(ROOT, "bench", "gpu_reference.py"), "--model", dir, "--dtype", dtype, "--json", p, "--batches", args.batches!, "--new-tokens", String(NEW_TOKENS), "--prompt-len", String(PROMPT_LEN), "--train-rows", String(TRAIN.prompts * TRAIN.samples), "--train-len", String(TRAIN.seqLen), "--train-prompt-len", String(TRAIN.promptLen)], `${name} torch ${dtype}`);
      const r = read(p);
      if (r) r.peakMemoryGiB = tm.peakGiB ?? undefined;
      results[name]![dtype] = r;
      writeFileSync(join(outDir, "results.json"), JSON.stringify(results, null, 2));
    }
  }
  const md = table(results);
  writeFileSync(join(outDir, "table.md"), md + "\n");
  console.log(md);
}

await main();
