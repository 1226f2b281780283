/**
 * CPU benchmark with a PyTorch reference in the same run: thinkrl on jax-js Wasm, then `bench/cpu_reference.py`
 * (a hand-written PyTorch model of the same architecture, Debian's python3-torch + OpenBLAS) on the same shapes.
 * Prints one markdown table with a ratio column (thinkrl time / PyTorch time).
 *
 *   npm run build && node dist/bench/cpu.js [--threads 2] [--reps 3] [--models default,mid,small] [--no-torch] [--profile]
 *     [--reference numpy] [--only-matmul | --only-gen | --only-train] [--gen 1,8,64] [--baseline] [--baseline-env NAME=VALUE]
 *     [--rounds N]
 *
 * `--baseline` runs every thinkrl row a second time with JAXJS_WASM_MATMUL=0 (jax-js's own Wasm matmul instead of the
 * thinkrl wasm-packed-matmul patch) and prints it as an extra column: before/after in one run. `--baseline-env` names
 * another switch for that second run (and implies `--baseline`), e.g. `JAXJS_WASM_MAIN_THREAD_WORK=-1` (small Wasm
 * kernels back on the worker pool, jax-js patch 103 off). `--rounds N` alternates the two runs N times (on, off, on,
 * off, …: a loaded machine's drift hits both) and prints every round's time, with the load average at each start.
 *
 * Rows: generation of exactly `--new-tokens` tokens per row (KV cache, temperature 1, EOS ignored: the bench runs
 * on a copy of the config with no EOS ids) at several batch sizes; one GRPO policy update (PolicyUpdater, GRPO
 * loss, non-zero advantages, AdamW) on 8 prompts × 8 samples × T tokens; single matmuls at the model's shapes.
 * Times are medians after one warm-up call; the warm-up's extra time (jit compile for thinkrl) is reported apart.
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";
import { kernelCounts, topKernels } from "./kernel-counts.js";
import type { numpy as npT } from "@jax-js/jax";
import type { ModelConfig } from "../src/model/config.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    reps: { type: "string", default: "3" },
    models: { type: "string", default: "default,mid" },
    "new-tokens": { type: "string", default: "256" },
    python: { type: "string", default: "/usr/bin/python3" },
    "no-torch": { type: "boolean", default: false },
    reference: { type: "string", default: "torch" }, // torch | numpy (numpy: matmul rows only, OpenBLAS sgemm)
    "only-matmul": { type: "boolean", default: false },
    "only-gen": { type: "boolean", default: false }, // generation rows only
    "only-train": { type: "boolean", default: false }, // GRPO update and scoring rows only
    gen: { type: "string" }, // generation batch sizes (default: the model's list)
    "baseline-env": { type: "string" }, // NAME=VALUE for the baseline run (default JAXJS_WASM_MATMUL=0); implies --baseline
    rounds: { type: "string", default: "1" },
    "relaxed-simd": { type: "boolean", default: false }, // V8 flag --experimental-wasm-relaxed-simd for thinkrl
    baseline: { type: "boolean", default: false }, // also run thinkrl with JAXJS_WASM_MATMUL=0 (jax-js's own matmul)
    profile: { type: "boolean", default: false },
    worker: { type: "string" }, // internal: run one model's thinkrl rows and print them as JSON
  },
});
const threads = Number(values.threads);
const reps = Number(values.reps);
const newTokens = Number(values["new-tokens"]);
if (values.worker !== undefined) await initEngine("wasm", { threads });
const jax = await import("@jax-js/jax");
const { jit, numpy: np } = jax;
const { Rng } = await import("../src/core/rng.js");
const { CausalLM } = await import("../src/model/causal-lm.js");
const { defaultModelConfig, defaultTokenizerJson } = await import("../src/model/default.js");
const { initTensors, paramsFromTensors } = await import("../src/model/params.js");
const { loadTokenizer } = await import("../src/model/tokenizer.js");
const { Learner } = await import("../src/train/learner.js");
const { grpo, nll } = await import("../src/rl/losses/index.js");
const { generate } = await import("../src/rollout/generate.js");
const { tokenWeights } = await import("../src/rl/aggregate.js");
const { stories260kShapedConfig } = await import("./small-llama.js");

interface Spec {
  name: string;
  cfg: ModelConfig;
  gen: number[];
  /** [B, T, micro-batch rows] (micro-batches: jax-js Wasm memory is capped at 4 GiB; PyTorch runs the whole batch). */
  train: [number, number, number][];
}

/** A Llama-shaped model of a few million parameters (a 4096-token vocabulary, as small BPE vocabularies). */
function midConfig(): ModelConfig {
  return {
    ...defaultModelConfig(),
    vocabSize: 4096,
    hiddenSize: 256,
    intermediateSize: 688,
    numHiddenLayers: 4,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
    headDim: 64,
    maxPositionEmbeddings: 1024,
  };
}

const SPECS: Record<string, Spec> = {
  default: { name: "default", cfg: defaultModelConfig(), gen: [1, 8, 64], train: [[64, 128, 64], [64, 512, 16]] },
  mid: { name: "mid", cfg: midConfig(), gen: [1, 8], train: [[64, 128, 16]] },
  // llama2.c's stories260K sizes (bench/small-llama.ts), the small pretrained Llama of issue 15.
  small: { name: "small", cfg: stories260kShapedConfig(), gen: [8, 64], train: [[64, 128, 64]] },
};

function paramCount(c: ModelConfig): number {
  const D = c.hiddenSize, F = c.intermediateSize, H = c.headDim;
  const layer = D * H * (c.numAttentionHeads * 2 + c.numKeyValueHeads * 2) + 3 * D * F + 2 * D;
  return c.numHiddenLayers * layer + (c.tieWordEmbeddings ? 1 : 2) * c.vocabSize * D + D;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One warm-up call, then `n` timed calls: { ms: median, firstExtra: warm-up − median }. */
async function timeIt(fn: () => Promise<unknown>, n: number): Promise<{ ms: number; firstExtra: number }> {
  let t0 = performance.now();
  await fn();
  const first = performance.now() - t0;
  const times: number[] = [];
  // Slow rows stop after 20 s of timed calls (at least one), so one bench run stays within ~10 minutes.
  for (let i = 0, spent = 0; i < n && (i === 0 || spent < 20000); i++) {
    t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    spent += times[times.length - 1]!;
  }
  const ms = median(times);
  return { ms, firstExtra: first - ms };
}


type Row = { model: string; what: string; thinkrl: number; compile: number; work: number; unit: string; key: string };
const rows: Row[] = [];
const PROMPT = [1, 5, 6, 7, 8];
const PROMPT_TOKENS = 8; // leading train positions outside the loss (a prompt)
const profileNotes: string[] = [];

const modelNames = values.models!.split(",").filter(Boolean);
for (const name of values.worker === undefined ? [] : [values.worker]) {
  const spec = SPECS[name];
  if (spec === undefined) throw new Error(`unknown model ${name} (have: ${Object.keys(SPECS).join(", ")})`);
  const cfg: ModelConfig = { ...spec.cfg, eosTokenId: [] }; // EOS ignored: exactly newTokens per row
  // The character tokenizer serves both models: only `decode` of the sampled ids is called (unknown ids decode to "").
  const model = new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(0))), loadTokenizer(defaultTokenizerJson()));
  const label = `${name} (${(paramCount(cfg) / 1e6).toFixed(2)}M)`;
  console.error(`[cpu bench] ${label}`);

  const onlyMatmul = values["only-matmul"];
  const gens = values.gen ? values.gen.split(",").map(Number) : spec.gen;
  for (const B of onlyMatmul || values["only-train"] ? [] : gens) {
    const prompts = Array.from({ length: B }, () => PROMPT);
    const run = async () => {
      const out = await generate(model, prompts, { maxNewTokens: newTokens, temperature: 1, topP: 1, topK: 0 }, new Rng(2));
      if (out.some((c) => c.ids.length !== newTokens)) throw new Error("generation ended early");
    };
    const t = await timeIt(run, Math.max(1, Math.floor(reps / 2)));
    rows.push({ model: label, what: `generate B${B} × ${newTokens} tok`, thinkrl: t.ms, compile: t.firstExtra, work: B * newTokens, unit: "tok/s", key: `gen:${B}` });
    console.error(`  gen B${B}: ${t.ms.toFixed(0)} ms (+${t.firstExtra.toFixed(0)} first)`);
    if (values.profile && B === gens[gens.length - 1]) {
      const short = async () => void (await generate(model, prompts, { maxNewTokens: 9, temperature: 1, topP: 1, topK: 0 }, new Rng(2)));
      await short();
      const k = await kernelCounts(short);
      profileNotes.push(`${label} generate B${B}, 9 tokens (prefill + 8 decode steps): ${k.total} dispatches; top: ${topKernels(k.byLabel)}`);
    }
  }

  for (const [B, T, micro] of onlyMatmul || values["only-gen"] ? [] : spec.train) {
    const up = new Learner(model, grpo, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
    const rng = new Rng(1);
    const tokens = Int32Array.from({ length: B * T }, () => rng.int(0, cfg.vocabSize - 1));
    const targets = Int32Array.from({ length: B * T }, () => rng.int(0, cfg.vocabSize - 1));
    const mask = new Float32Array(B * T).map((_, i) => (i % T >= PROMPT_TOKENS ? 1 : 0));
    const weights = tokenWeights("grpo", mask, B, T, T);
    const advantages = Float32Array.from({ length: B }, (_, i) => (i % 2 === 0 ? 1 : -1) * (0.5 + rng.next()));
    const step = async () => {
      for (let s = 0; s < B; s += micro) {
        const e = Math.min(B, s + micro);
        const rowsOf = <A extends Float32Array | Int32Array>(a: A) => a.slice(s * T, e * T) as A;
        await up.accumulate({ B: e - s, T, tokens: rowsOf(tokens), targets: rowsOf(targets), weights: rowsOf(weights), mask: rowsOf(mask), advantages: advantages.slice(s, e) });
      }
      await up.apply(1e-5);
    };
    const t = await timeIt(step, reps);
    rows.push({ model: label, what: `GRPO update 8×8 × T${T}${micro < B ? ` (${B / micro} micro-batches)` : ""}`, thinkrl: t.ms, compile: t.firstExtra, work: B * T, unit: "tok/s", key: `train:${B}x${T}` });
    console.error(`  train ${B}x${T}: ${t.ms.toFixed(0)} ms (+${t.firstExtra.toFixed(0)} first)`);
    if (values.profile && T === spec.train[0]![1]) {
      const k = await kernelCounts(step);
      profileNotes.push(`${label} GRPO update B${B}×T${T}: ${k.total} dispatches; top: ${topKernels(k.byLabel)}`);
    }
    up.dispose();
    // Scoring without gradients (reference / old-policy log-probs, SFT eval loss): same rows and micro-batches.
    const score = async () => {
      for (let s = 0; s < B; s += micro) {
        const e = Math.min(B, s + micro);
        await model.sequenceLogprobs({ B: e - s, T, tokens: tokens.slice(s * T, e * T), targets: targets.slice(s * T, e * T) });
      }
    };
    const ts = await timeIt(score, reps);
    rows.push({ model: label, what: `score log-probs, no grad, 8×8 × T${T}`, thinkrl: ts.ms, compile: ts.firstExtra, work: B * T, unit: "tok/s", key: `score:${B}x${T}` });
    console.error(`  score ${B}x${T}: ${ts.ms.toFixed(0)} ms (+${ts.firstExtra.toFixed(0)} first)`);
  }

  // Single matmuls at the shapes that dominate: a training projection (B·T × D × F) and a decode step's (64 × D × F),
  // and the two products of its backward pass with an operand read transposed: dY·Wᵀ ("nt": [B·T, F] times W stored
  // [D, F]) and Xᵀ·dY ("tn": X stored [B·T, D], the weight gradient [D, F]).
  const D = cfg.hiddenSize, F = cfg.intermediateSize;
  const forms = {
    nn: jit((a: npT.Array, b: npT.Array) => np.matmul(a, b)),
    nt: jit((a: npT.Array, b: npT.Array) => np.matmul(a, b.transpose([1, 0]))),
    tn: jit((a: npT.Array, b: npT.Array) => np.matmul(a.transpose([1, 0]), b)),
  };
  const shapes: [number, number, number, keyof typeof forms][] = values["only-gen"] || values["only-train"] ? [] : [
    [64 * 128, D, F, "nn"], [64 * 128, F, D, "nt"], [D, 64 * 128, F, "tn"], [64, D, F, "nn"],
    ...(name === "default" ? [[2048, 2048, 2048, "nn"] as [number, number, number, keyof typeof forms]] : []),
  ];
  for (const [M, K, N, form] of shapes) {
    const a = np.array(new Float32Array(M * K).fill(0.01)).reshape(form === "tn" ? [K, M] : [M, K]);
    const b = np.array(new Float32Array(K * N).fill(0.01)).reshape(form === "nt" ? [N, K] : [K, N]);
    const n = Math.max(5, Math.min(100, Math.floor(2e9 / (2 * M * K * N))));
    const t = await timeIt(async () => (await forms[form](a.ref, b.ref).blockUntilReady()).dispose(), n);
    a.dispose();
    b.dispose();
    const tag = form === "nn" ? "" : `:${form}`;
    const what = `matmul ${M}×${K}×${N}${form === "nt" ? " (B read transposed, dY·Wᵀ)" : form === "tn" ? " (A read transposed, Xᵀ·dY)" : ""}`;
    rows.push({ model: label, what, thinkrl: t.ms, compile: t.firstExtra, work: 2 * M * K * N, unit: "GFLOP/s", key: `mm:${M}x${K}x${N}${tag}` });
  }
}


if (values.worker !== undefined) {
  console.log(JSON.stringify({ rows, profileNotes }));
  process.exit(0);
}

// Each model runs in its own process: jax-js's Wasm allocator keeps freed blocks per size class, so one model's
// buffers would count against the next one's 4 GiB.
const baseline = values.baseline || values["baseline-env"] !== undefined;
const [baseVar, baseVal] = (values["baseline-env"] ?? "JAXJS_WASM_MATMUL=0").split("=") as [string, string];
const rounds = Math.max(1, Number(values.rounds));
const baseMs = new Map<string, number[]>();
const mainMs = new Map<string, number[]>();
const loads: string[] = [];
const load1 = () => loadavg()[0]!.toFixed(1);
for (const name of modelNames) {
  if (SPECS[name] === undefined) throw new Error(`unknown model ${name} (have: ${Object.keys(SPECS).join(", ")})`);
  const argv = [
    ...(values["relaxed-simd"] ? ["--experimental-wasm-relaxed-simd"] : []),
    fileURLToPath(import.meta.url), "--worker", name, "--threads", String(threads), "--reps", String(reps), "--new-tokens", String(newTokens),
    ...(values["only-matmul"] ? ["--only-matmul"] : []),
    ...(values["only-gen"] ? ["--only-gen"] : []),
    ...(values["only-train"] ? ["--only-train"] : []),
    ...(values.gen ? ["--gen", values.gen] : []),
  ];
  for (let round = 0; round < rounds; round++) {
    loads.push(`${name} round ${round + 1} on: load ${load1()}`);
    const r = spawnSync(process.execPath, values.profile ? [...argv, "--profile"] : argv, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`thinkrl worker for ${name} failed (${r.status})`);
    const out = JSON.parse(r.stdout) as { rows: Row[]; profileNotes: string[] };
    if (round === 0) {
      rows.push(...out.rows);
      profileNotes.push(...out.profileNotes);
    }
    for (const row of out.rows) mainMs.set(`${row.model}/${row.key}`, [...(mainMs.get(`${row.model}/${row.key}`) ?? []), row.thinkrl]);
    if (baseline) {
      // The same rows with one patch switched off (default: the wasm-packed-matmul patch, jax-js's own Wasm matmul).
      console.error(`[cpu bench] ${name} again with ${baseVar}=${baseVal}`);
      loads.push(`${name} round ${round + 1} off: load ${load1()}`);
      const env = { ...process.env, [baseVar]: baseVal };
      const b = spawnSync(process.execPath, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24, env });
      if (b.status !== 0) throw new Error(`thinkrl baseline worker for ${name} failed (${b.status})`);
      for (const row of (JSON.parse(b.stdout) as { rows: Row[] }).rows) baseMs.set(`${row.model}/${row.key}`, [...(baseMs.get(`${row.model}/${row.key}`) ?? []), row.thinkrl]);
    }
  }
}
for (const r of rows) r.thinkrl = median(mainMs.get(`${r.model}/${r.key}`) ?? [r.thinkrl]);

// ---- PyTorch reference, same shapes ----
type TorchOut = {
  torch: string;
  threads: number;
  blas: Record<string, unknown>;
  params: number;
  gen: { B: number; ms: number; firstMs: number }[];
  train: { B: number; T: number; ms: number; firstMs: number }[];
  score: { B: number; T: number; ms: number; firstMs: number }[];
  matmul: { shape: string; ms: number }[];
};
const torchMs = new Map<string, { ms: number; first: number }>();
const torchInfo: string[] = [];
if (!values["no-torch"] && values.reference === "numpy") {
  // OpenBLAS through numpy (where no PyTorch is installed): the matmul rows only, float32 sgemm, same threads.
  const script = join(dirname(fileURLToPath(import.meta.url)), "../../bench/matmul_reference.py");
  const mms = [...new Set(rows.filter((r) => r.key.startsWith("mm:")).map((r) => r.key.slice(3)))];
  const py = values.python === "/usr/bin/python3" ? "python3" : values.python!;
  const r = spawnSync(py, [script, "--matmul", mms.join(","), "--threads", String(threads)], { encoding: "utf8", maxBuffer: 1 << 24, env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) } });
  if (r.status !== 0) throw new Error(`matmul_reference.py failed (${r.status}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { numpy: string; blas: string; matmul: { shape: string; ms: number }[] };
  for (const name of modelNames) for (const m of out.matmul) torchMs.set(`${name}/mm:${m.shape}`, { ms: m.ms, first: 0 });
  torchInfo.push(`reference column: numpy ${out.numpy} sgemm (${out.blas}), ${threads} threads`);
} else if (!values["no-torch"]) {
  const script = join(dirname(fileURLToPath(import.meta.url)), "../../bench/cpu_reference.py");
  for (const name of modelNames) {
    const spec = SPECS[name]!;
    const mms = rows.filter((r) => r.key.startsWith("mm:") && r.model.startsWith(name + " ")).map((r) => r.key.slice(3));
    const args = [
      script,
      "--config", JSON.stringify(spec.cfg),
      "--gen", spec.gen.join(","),
      "--new-tokens", String(newTokens),
      "--prompt", PROMPT.join(","),
      "--train", spec.train.map(([B, T]) => `${B}x${T}`).join(","),
      "--prompt-tokens", String(PROMPT_TOKENS),
      "--reps", String(reps),
      "--threads", String(threads),
      "--matmul", mms.join(","),
    ];
    console.error(`[cpu bench] PyTorch ${name}`);
    const r = spawnSync(values.python!, args, { encoding: "utf8", maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`cpu_reference.py failed (${r.status}): ${r.stderr}`);
    const out = JSON.parse(r.stdout) as TorchOut;
    for (const g of out.gen) torchMs.set(`${name}/gen:${g.B}`, { ms: g.ms, first: g.firstMs - g.ms });
    for (const t of out.train) torchMs.set(`${name}/train:${t.B}x${t.T}`, { ms: t.ms, first: t.firstMs - t.ms });
    for (const t of out.score) torchMs.set(`${name}/score:${t.B}x${t.T}`, { ms: t.ms, first: t.firstMs - t.ms });
    for (const m of out.matmul) torchMs.set(`${name}/mm:${m.shape}`, { ms: m.ms, first: 0 });
    if (torchInfo.length === 0) torchInfo.push(`PyTorch ${out.torch}, ${out.threads} intra-op threads, ${JSON.stringify(out.blas)}`);
  }
}

// ---- table ----
const fmtMs = (ms: number) => (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
const rate = (r: Row, ms: number) => (r.unit === "GFLOP/s" ? `${(r.work / ms / 1e6).toFixed(1)} GFLOP/s` : `${(r.work / (ms / 1000)).toFixed(0)} tok/s`);
const refName = values.reference === "numpy" ? "OpenBLAS (numpy)" : "PyTorch";
const baseHead = baseline ? [`thinkrl, ${baseVar}=${baseVal}`] : [];
const head = ["model", "what", ...baseHead, "thinkrl", refName, `ratio (thinkrl / ${refName})`, "thinkrl compile (first call extra)", `${refName} first call extra`];
const table = rows.map((r) => {
  const t = torchMs.get(`${r.model.split(" ")[0]}/${r.key}`);
  const bases = baseMs.get(`${r.model}/${r.key}`);
  const base = bases === undefined ? undefined : median(bases);
  const all = (xs: number[] | undefined) => (xs && xs.length > 1 ? ` [${xs.map((x) => fmtMs(x)).join(", ")}]` : "");
  return [
    r.model,
    r.what,
    ...(baseline ? [base === undefined ? "—" : `${fmtMs(base)} (${rate(r, base)})${all(bases)}`] : []),
    `${fmtMs(r.thinkrl)} (${rate(r, r.thinkrl)})${all(mainMs.get(`${r.model}/${r.key}`))}`,
    t ? `${fmtMs(t.ms)} (${rate(r, t.ms)})` : "—",
    t ? `${(r.thinkrl / t.ms).toFixed(1)}×` : "—",
    r.key.startsWith("mm:") ? "" : fmtMs(Math.max(0, r.compile)),
    t && !r.key.startsWith("mm:") ? fmtMs(Math.max(0, t.first)) : "",
  ];
});
const w = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(w[i]!)).join(" | ") + " |";
console.log(`${new Date().toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? "cpu"} × ${cpus().length}; Node ${process.version}; jax-js Wasm, ${threads} threads`);
for (const s of torchInfo) console.log(s);
if (baseline) console.log(`baseline column: ${baseVar}=${baseVal}; ${rounds} round(s), medians (each round in brackets); ${loads.join("; ")}`);
console.log();
console.log(line(head));
console.log("|" + w.map((n) => "-".repeat(n + 2)).join("|") + "|");
for (const r of table) console.log(line(r));
for (const p of profileNotes) console.log(`\n${p}`);
