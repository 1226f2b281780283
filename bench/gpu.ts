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
 * Worker mode (one model, this process measures thinkrl only): --worker DIR --json FILE.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { numpy as npT } from "@jax-js/jax";
import { kernelCounts, topKernels } from "./kernel-counts.js";

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
  train: { seconds: number; compileSeconds: number; measuredMicroBatches: number; microBatches: number; microBatchRows: number; loss: number };
  peakMemoryGiB?: number;
  torchPeakAllocatedGiB?: number;
  /** batch → median ms of one decode step (device work + logits readback) and of host-side sampling for the batch. */
  profile?: Record<string, { decodeMs: number; sampleMs: number; prefillMs: number; decodeSampleMs: number }>;
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
  /** shape label → { seconds per call, TFLOP/s, calls per micro-batch } */
  matmuls: Record<string, { seconds: number; tflops: number; calls: number }>;
  matmulSeconds: number;
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
  const save = () => writeFileSync(jsonOut, JSON.stringify(res, null, 2));
  save();
  console.error(`[thinkrl] loaded ${dir} in ${loadSeconds.toFixed(1)} s`);

  // Generation with EOS ignored: same params, an empty EOS list.
  const gen = new CausalLM({ ...cfg, eosTokenId: [] }, model.params, model.tokenizer);
  const prompt = promptIds(PROMPT_LEN, vocab);
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
      for (const kv of cache) {
        kv.k.dispose();
        kv.v.dispose();
      }
      const med = (a: number[], skip = 4) => a.slice(skip).sort((x, y) => x - y)[Math.floor((a.length - skip) / 2)]!;
      res.profile[String(B)] = { decodeMs: med(dec), sampleMs: med(smp), prefillMs, decodeSampleMs: med(ds, 2) };
      console.error(`[thinkrl] profile B${B}: decode step ${med(dec).toFixed(1)} ms + host sampling ${med(smp).toFixed(1)} ms; with device sampling ${med(ds, 2).toFixed(1)} ms`);
      save();
    }
  }

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

  const M = rows * T, D = cfg.hiddenSize, F = cfg.intermediateSize, V = cfg.vocabSize, L = cfg.numHiddenLayers;
  const qd = cfg.numAttentionHeads * cfg.headDim, kv = cfg.numKeyValueHeads * cfg.headDim;
  const headRows = Math.max(1, Math.min(M, Math.floor(gen.logitsChunkElements / V)));
  const headCalls = Math.ceil(M / headRows);
  // [rows of x, in, out, calls per micro-batch]: q, o, k and v, gate and up, down, LM-head chunks.
  const linears: [number, number, number, number][] = [[M, D, qd, L], [M, qd, D, L], [M, D, kv, 2 * L], [M, D, F, 2 * L], [M, F, D, L], [headRows, D, V, headCalls]];
  const fwd = jit((x: npT.Array, w: npT.Array) => np.matmul(x, w));
  const dx = jit((dy: npT.Array, w: npT.Array) => np.matmul(dy, w.transpose()));
  const dw = jit((x: npT.Array, dy: npT.Array) => np.matmul(x.transpose(), dy));
  const time = async (f: (a: npT.Array, b: npT.Array) => npT.Array, a: npT.Array, b: npT.Array) => {
    (await f(a.ref, b.ref).blockUntilReady()).dispose();
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) {
      t0 = now();
      (await f(a.ref, b.ref).blockUntilReady()).dispose();
      ts.push(now() - t0);
    }
    return ts.sort((p, q) => p - q)[2]!;
  };
  const matmuls: TrainProfile["matmuls"] = {};
  let matmulSeconds = 0;
  for (const [m, k, n, calls] of linears) {
    const x = np.array(new Float32Array(m * k).fill(0.01)).reshape([m, k]);
    const w = np.array(new Float32Array(k * n).fill(0.01)).reshape([k, n]);
    const dy = np.array(new Float32Array(m * n).fill(0.01)).reshape([m, n]);
    for (const [name, s] of [[`${m}×${k}×${n} x·W`, await time(fwd, x, w)], [`${m}×${n}×${k} dY·Wᵀ`, await time(dx, dy, w)], [`${k}×${m}×${n} Xᵀ·dY`, await time(dw, x, dy)]] as [string, number][]) {
      matmuls[name] = { seconds: s, tflops: (2 * m * k * n) / s / 1e12, calls };
      matmulSeconds += s * calls;
      console.error(`[thinkrl] matmul ${name}: ${(s * 1000).toFixed(2)} ms, ${((2 * m * k * n) / s / 1e12).toFixed(2)} TFLOP/s, ×${calls} a micro-batch`);
    }
    x.dispose();
    w.dispose();
    dy.dispose();
  }
  console.error(`[thinkrl] train micro-batch ${rows}×${T}: ${microSeconds.toFixed(2)} s (forward alone ${forwardSeconds.toFixed(2)} s); ${k.total} dispatches (top: ${top}); matmuls timed alone sum to ${matmulSeconds.toFixed(2)} s`);
  return { rows, forwardSeconds, forwardBackwardSeconds: microSeconds, dispatches: k.total, topKernels: top, matmuls, matmulSeconds };
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
  const outDir = args.out!;
  mkdirSync(outDir, { recursive: true });
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
    const m = await withMemory(process.execPath, [fileURLToPath(import.meta.url), "--worker", dir, "--json", ours, "--device", args.device!, "--train-seconds", args["train-seconds"]!, "--batches", args.batches!, "--new-tokens", String(NEW_TOKENS), ...(args.profile ? ["--profile"] : []), ...(args["micro-batch"] ? ["--micro-batch", args["micro-batch"]] : []), ...(args["logits-chunk"] ? ["--logits-chunk", args["logits-chunk"]] : [])], `${name} thinkrl`);
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
