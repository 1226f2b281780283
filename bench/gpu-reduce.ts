/**
 * Long reductions on the GPU (jax-js patch 209, `docs/jax-patch.md`): device time of the LM head's reductions over a
 * 151,936-token vocabulary with the patch's kernel on and off (`JAXJS_WEBGPU_REDUCE=0`), each variant in its own
 * Node process (compiled kernels are cached per kernel, whatever the switch says), one table at the end.
 *
 * Parts (`--parts`, comma-separated):
 * - `standalone`: x `[2048, 151936]` (random normal, made on the device): `max(-1)`; `log Σ exp(x − max)`;
 *   `tokenLogprobs` (log-prob of a target and entropy, `src/model/logprobs.ts`), forward only.
 * - `sample`: the device sampling of a decode step at batch 64 (`CausalLM`'s Gumbel-max draw: logits `[64, 151936]`
 *   scaled, Gumbel noise added, argmax, and the drawn token's log-prob), forward only.
 * - `head`: the LM head of one 0.5B GRPO micro-batch (4 × 512 tokens): `valueAndGrad` of Σ logp + 0.01 Σ entropy
 *   through `hiddenLogprobs` (`hidden [4, 512, 896]`, `head [896, 151936]`), as the learner computes it.
 * The whole 0.5B step with the patch on and off is `bench/gpu.ts` with `JAXJS_WEBGPU_REDUCE=0` (`bench/gpu-issue14.sh`).
 * For each: the device time of every kernel (timestamp queries, `bench/kernel-times.ts`, kernels told apart by
 * expression), summed over `--reps` calls and divided by it, and the wall time of a call (median).
 *
 *   bash bench/gpu-bundle.sh    # then on the GPU machine:
 *   source .device/setup.sh && source .device/setup-thinkrl.sh && node dist/bench/gpu-reduce.js --out $OUT
 *   npx tsx bench/gpu-reduce.ts --backend null --vocab 20000 --reps 1   # Dawn's null backend: checks the flow only
 *
 * Flags: --parts standalone,sample,head (default standalone,sample,head)  --reps N (default 5)  --variants
 * `name=ENV=VALUE,…;…` (default `on=;off=JAXJS_WEBGPU_REDUCE=0`)  --backend null  --out DIR (JSON per variant)
 * --vocab V (default 151,936; Dawn's null backend allows buffers of 256 MiB only: use 20000 there).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { numpy as npT } from "@jax-js/jax";

const { values: args } = parseArgs({
  options: {
    worker: { type: "string" },
    parts: { type: "string", default: "standalone,sample,head" },
    reps: { type: "string", default: "5" },
    variants: { type: "string", default: "on=;off=JAXJS_WEBGPU_REDUCE=0" },
    backend: { type: "string", default: "" },
    vocab: { type: "string", default: "151936" },
    out: { type: "string", default: "bench-out/gpu-reduce" },
  },
});

/** One measured program: wall ms a call (median) and device ms a call by kernel (label + expression). */
interface Measured {
  wallMs: number;
  deviceMs: number;
  kernels: { label: string; count: number; ms: number; exp?: string }[];
  check: number;
}
interface Result {
  variant: string;
  env: Record<string, string>;
  device: string;
  reductions: { rows: number; size: number; op: string; mode: string }[];
  parts: Record<string, Measured>;
}

const V = Number(args.vocab), D = 896, ROWS = 4, T = 512;

async function worker(variant: string, jsonOut: string): Promise<void> {
  if (args.backend === "null") {
    const { create, globals } = (await import("webgpu")) as unknown as { create: (o: string[]) => unknown; globals: object };
    Object.assign(globalThis, globals);
    (globalThis as { navigator?: unknown }).navigator = { userAgent: "node", gpu: create(["backend=null", "enable-dawn-features=allow_unsafe_apis"]) };
  }
  const { initEngine } = await import("../src/engine/init.js");
  await initEngine("webgpu");
  const { numpy: np, random, lax, jit, valueAndGrad, blockUntilReady } = await import("@jax-js/jax");
  const { tokenLogprobs, hiddenLogprobs, targetLogprobs } = await import("../src/model/logprobs.js");
  const { kernelTimes } = await import("./kernel-times.js");
  const { gpuFeatureReport } = await import("../src/engine/gpu-features.js");
  const reps = Number(args.reps);
  const res: Result = { variant, env: Object.fromEntries(Object.entries(process.env).filter(([e]) => e.startsWith("JAXJS_")) as [string, string][]), device: gpuFeatureReport()?.adapter ?? "?", reductions: [], parts: {} };
  const save = () => {
    res.reductions = ((globalThis as { __jaxjsWebgpuStats?: { reductions?: Result["reductions"] } }).__jaxjsWebgpuStats?.reductions ?? []).map(({ rows, size, op, mode }) => ({ rows, size, op, mode }));
    writeFileSync(jsonOut, JSON.stringify(res, null, 2));
  };

  /** Runs `call` once (compile), then times `reps` calls (wall, median) and their kernels (device). */
  const measure = async (name: string, call: () => Promise<number>) => {
    const t0 = performance.now();
    const check = await call();
    console.error(`[${variant}] ${name}: first call ${(performance.now() - t0).toFixed(0)} ms (check ${check})`);
    const wall: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      await call();
      wall.push(performance.now() - t);
    }
    const kt = await kernelTimes(async () => {
      for (let i = 0; i < reps; i++) await call();
    }, { byExpression: true });
    const m: Measured = { wallMs: wall.sort((a, b) => a - b)[Math.floor(reps / 2)]!, deviceMs: kt.totalMs / reps, kernels: kt.byLabel.map((k) => ({ ...k, count: k.count / reps, ms: k.ms / reps })), check };
    res.parts[name] = m;
    console.error(`[${variant}] ${name}: wall ${m.wallMs.toFixed(2)} ms, device ${m.deviceMs.toFixed(2)} ms a call; ${m.kernels.slice(0, 6).map((k) => `${k.label} ${k.ms.toFixed(2)} ms`).join(", ")}`);
    save();
  };
  const scalar = async (a: npT.Array) => ((await a.data()) as Float32Array)[0]!;

  if (args.parts!.includes("standalone")) {
    const N = ROWS * T;
    const x = random.normal(random.key(1), [N, V]).mul(3);
    const t = np.array(Int32Array.from({ length: N }, (_, i) => (i * 7919 + 13) % V), { dtype: np.int32 });
    await blockUntilReady(x);
    const fMax = jit((a: npT.Array) => a.max(-1).sum());
    const fLse = jit((a: npT.Array) => {
      const m = lax.stopGradient(np.max(a.ref, -1, { keepdims: true }));
      return np.log(np.exp(a.sub(m)).sum(-1)).sum();
    });
    const fTok = jit((a: npT.Array, ids: npT.Array) => {
      const { logp, entropy } = tokenLogprobs(a, ids);
      return logp.sum().add(entropy.sum());
    });
    await measure(`max [${N}, ${V}]`, () => scalar(fMax(x.ref)));
    await measure(`log Σ exp(x − max) [${N}, ${V}]`, () => scalar(fLse(x.ref)));
    await measure(`tokenLogprobs [${N}, ${V}]`, () => scalar(fTok(x.ref, t.ref)));
    x.dispose();
    t.dispose();
  }
  if (args.parts!.includes("sample")) {
    const B = 64;
    const logits = random.normal(random.key(4), [B, V]).mul(3);
    const invTemp = np.array(new Float32Array([1]));
    const seed = np.array(7, { dtype: np.uint32 });
    // as CausalLM's gumbelSample (src/model/causal-lm.ts)
    const f = jit((x: npT.Array, it: npT.Array, sd: npT.Array) => {
      const scaled = x.mul(it);
      const g = random.gumbel(random.key(sd), scaled.shape);
      const id = np.argmax(scaled.ref.add(g), -1);
      return targetLogprobs(scaled, id).sum();
    });
    await measure(`Gumbel-max draw + log-prob [${B}, ${V}]`, () => scalar(f(logits.ref, invTemp.ref, seed.ref)));
    logits.dispose();
    invTemp.dispose();
    seed.dispose();
  }
  if (args.parts!.includes("head")) {
    const h = random.normal(random.key(2), [ROWS, T, D]);
    const w = random.normal(random.key(3), [D, V]).mul(0.05);
    const t = np.array(Int32Array.from({ length: ROWS * T }, (_, i) => (i * 104729 + 7) % V), { dtype: np.int32 }).reshape([ROWS, T]);
    const f = jit(valueAndGrad((hh: npT.Array, ww: npT.Array, tt: npT.Array) => {
      const { logp, entropy } = hiddenLogprobs(hh, ww, tt, 1);
      return logp.sum().add(entropy.sum().mul(0.01));
    }, { argnums: [0, 1] }));
    await measure(`LM head value and grad, ${ROWS}×${T} tokens`, async () => {
      const [v, [gh, gw]] = f(h.ref, w.ref, t.ref) as unknown as [npT.Array, [npT.Array, npT.Array]];
      const s = await scalar(v);
      await blockUntilReady([gh, gw]);
      gh.dispose();
      gw.dispose();
      return s;
    });
    h.dispose();
    w.dispose();
    t.dispose();
  }
  save();
}

/** Kernels that reduce over the vocabulary or are long reductions with few outputs (what patch 209 can take). */
function isLongReduce(label: string): boolean {
  const m = /^Kernel\[([\d.]+)([KM]?)\] reduce \w+:(\d+)/.exec(label);
  if (!m) return false;
  const rows = Number(m[1]) * (m[2] === "K" ? 1e3 : m[2] === "M" ? 1e6 : 1);
  return Number(m[3]) >= 2048 && rows <= 16384;
}

function main(): void {
  mkdirSync(args.out!, { recursive: true });
  const variants = args.variants!.split(";").filter(Boolean).map((v) => {
    const [name, ...rest] = v.split("=");
    const env: Record<string, string> = {};
    for (const kv of rest.join("=").split(",").filter(Boolean)) {
      const [k, ...val] = kv.split("=");
      env[k!] = val.join("=");
    }
    return { name: name!, env };
  });
  const results: Result[] = [];
  for (const v of variants) {
    const json = join(args.out!, `gpu-reduce-${v.name}.json`);
    const a = ["--worker", v.name, "--parts", args.parts!, "--reps", args.reps!, "--vocab", args.vocab!, "--out", args.out!, ...(args.backend ? ["--backend", args.backend] : [])];
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...a], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...v.env } });
    if (r.status !== 0) console.error(`variant ${v.name} exited with ${r.status}`);
    try {
      results.push(JSON.parse(readFileSync(json, "utf8")) as Result);
    } catch {
      console.error(`variant ${v.name}: no result`);
    }
  }
  if (results.length === 0) return;
  console.log(`device: ${results[0]!.device}`);
  for (const part of Object.keys(results[0]!.parts)) {
    console.log(`\n## ${part}`);
    console.log(`| | ${results.map((r) => r.variant).join(" | ")} |`);
    console.log(`|---|${results.map(() => "---:|").join("")}`);
    console.log(`| wall ms a call (median of ${args.reps}) | ${results.map((r) => r.parts[part]?.wallMs.toFixed(2) ?? "—").join(" | ")} |`);
    console.log(`| device ms a call, all kernels | ${results.map((r) => r.parts[part]?.deviceMs.toFixed(2) ?? "—").join(" | ")} |`);
    console.log(`| check value | ${results.map((r) => r.parts[part]?.check ?? "—").join(" | ")} |`);
    // Long reductions, matched across variants by label + expression.
    const keys = new Set<string>();
    for (const r of results) for (const k of r.parts[part]?.kernels ?? []) if (isLongReduce(k.label)) keys.add(k.label);
    const sums = results.map(() => 0);
    for (const key of keys) {
      const cells = results.map((r, i) => {
        const k = r.parts[part]?.kernels.find((x) => x.label === key);
        sums[i] += k?.ms ?? 0;
        return k ? `${k.ms.toFixed(3)} (×${k.count})` : "—";
      });
      console.log(`| ${key.slice(0, 140).replace(/\|/g, "/")} | ${cells.join(" | ")} |`);
    }
    console.log(`| **long reductions (≥ 2048 long, ≤ 16384 outputs), device ms** | ${sums.map((s) => s.toFixed(2)).join(" | ")} |`);
  }
  for (const r of results) console.log(`\n${r.variant}: patch-209 kernels built: ${r.reductions.map((x) => `${x.op}<${x.rows}×${x.size}> ${x.mode}`).join(", ") || "none"}`);
  writeFileSync(join(args.out!, "gpu-reduce-summary.json"), JSON.stringify(results, null, 2));
}

if (args.worker) await worker(args.worker, join(args.out!, `gpu-reduce-${args.worker}.json`));
else main();
process.exit(0);
