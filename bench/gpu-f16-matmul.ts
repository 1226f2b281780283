/**
 * Standalone f16 matmul on NVIDIA tensor cores through WebGPU (Dawn's `chromium-experimental-subgroup-matrix`), issue 14
 * item 2 — not wired into jax-js yet. C[M,N] (f32) = A[M,K] · B[K,N] with A, B row-major f16, f32 accumulation,
 * 16×16×16 subgroup-matrix tiles, for several kernel designs at once:
 *
 * - `naive-TMxTN`: one subgroup (32 threads) per workgroup computes a (16·TM)×(16·TN) block, loading its fragments
 *   straight from the storage buffers (the probe of ../shared/DESIGN.md, "The GPU engine"); all offsets come from the
 *   workgroup id, so the matrix calls are in uniform control flow.
 * - `smem-BMxBNxBK-SGMxSGN`: SGM×SGN subgroups per workgroup share BM×BK and BK×BN tiles staged in workgroup memory
 *   (16-byte global loads, rows padded by 8 halves), each subgroup computing a (BM/SGM)×(BN/SGN) block. The subgroup's
 *   block comes from the `subgroup_id` builtin: Tint requires the matrix calls' offsets to be uniform values, and one
 *   derived from `local_invocation_index / 32` fails ("'subgroupMatrixStore' requires argument 1 to be uniform", even
 *   with `diagnostic(off, subgroup_uniformity)`), while `subgroup_id` passes (checked on Dawn's null backend).
 * - `multi-TMxTN-SGMxSGN` and `dbuf-BMxBNxBK-SGMxSGN`: see their functions.
 *
 * Measured on an H100 (2026-12-06, docs/benchmarks.md): `smem-128x128x32-2x2` 163–165 TFLOP/s at 4096³,
 * `smem-64x128x32-2x2` 119 and 103 TFLOP/s at 2048×896×4864 and 2048×4864×896 (M×K×N), whole-matrix error against a
 * float64 product of the same inputs ≤ 6.3e-6; the naive design 47–54, the double-buffered one slower than `smem`.
 *
 * Every variant is compiled first (its compilation messages are kept), run once and checked against a float64 dot
 * product of the same f16 inputs at 256 sampled outputs, then timed: `reps` dispatches in one compute pass, wall time
 * from submit to `onSubmittedWorkDone` (median of 5). With `--dump DIR` the inputs and each variant's output are
 * written there as raw files and `bench/gpu_f16_matmul_check.py` compares them with torch (float64 product of the same
 * f16 inputs, over the whole matrix) and times torch's own fp32 (TF32 off), fp16 and bf16 matmuls at the same shapes.
 *
 *   source .device/setup.sh && OUT=$OUT bash bench/gpu-f16-run.sh     # each variant in its own process, then the check
 *   node dist/bench/gpu-f16-matmul.js --backend null --variants V      # the host path on Dawn's null backend, no GPU
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Float16Array } from "@petamoriken/float16";

const { values: args } = parseArgs({
  options: {
    out: { type: "string", default: "bench-out/f16" },
    dump: { type: "string" },
    shapes: { type: "string", default: "4096x4096x4096,2048x896x4864,2048x4864x896,2048x896x896" },
    variants: { type: "string", default: "smem-128x128x32-2x2,smem-64x128x32-2x2,smem-128x128x32-2x4,smem-128x256x32-2x4,naive-2x4,multi-4x4-2x1,dbuf-128x128x32-2x4" },
    seconds: { type: "string", default: "0.15" },
    /** Dawn's null backend: compile (validate) the shaders only, nothing runs — for checking WGSL without a GPU */
    "compile-only": { type: "boolean", default: false },
    /** `null`: run everything on Dawn's null backend (nothing executes, results are meaningless) — for host-side checks */
    backend: { type: "string" },
  },
});

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Module-level references that must outlive main(): Dawn's instance (see main). */
const keepAlive: unknown[] = [];

interface Variant {
  name: string;
  /** WGSL for one shape (sizes and strides are constants of the shader) */
  code: (M: number, N: number, K: number) => string;
  threads: number;
  /** workgroups along x (N) and y (M) */
  grid: (M: number, N: number) => [number, number];
  fits: (M: number, N: number, K: number) => boolean;
}

const HEADER = "enable f16;\nenable subgroups;\nenable chromium_experimental_subgroup_matrix;\n";

function naive(TM: number, TN: number): Variant {
  const BM = 16 * TM, BN = 16 * TN;
  const lines: string[] = [];
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) lines.push(`  var acc${i}_${j} = subgroup_matrix_result<f32, 16, 16>();`);
  const body: string[] = [];
  for (let i = 0; i < TM; i++) body.push(`    let a${i} = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&A, (row0 + ${16 * i}u) * K + k, false, K);`);
  for (let j = 0; j < TN; j++) body.push(`    let b${j} = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&B, k * N + col0 + ${16 * j}u, false, N);`);
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) body.push(`    acc${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, acc${i}_${j});`);
  const store: string[] = [];
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) store.push(`  subgroupMatrixStore(&C, (row0 + ${16 * i}u) * N + col0 + ${16 * j}u, acc${i}_${j}, false, N);`);
  const code = (M: number, N: number, K: number) => `${HEADER}
const M = ${M}u; const N = ${N}u; const K = ${K}u;
@group(0) @binding(0) var<storage, read> A: array<f16>;
@group(0) @binding(1) var<storage, read> B: array<f16>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@compute @workgroup_size(32)
fn main(@builtin(workgroup_id) wg: vec3<u32>) {
  let row0 = wg.y * ${BM}u;
  let col0 = wg.x * ${BN}u;
${lines.join("\n")}
  for (var k = 0u; k < K; k += 16u) {
${body.join("\n")}
  }
${store.join("\n")}
}`;
  return { name: `naive-${TM}x${TN}`, code, threads: 32, grid: (M, N) => [N / BN, M / BM], fits: (M, N, K) => M % BM === 0 && N % BN === 0 && K % 16 === 0 };
}

function smem(BM: number, BN: number, BK: number, SGM: number, SGN: number): Variant {
  const threads = 32 * SGM * SGN;
  const WM = BM / SGM, WN = BN / SGN, TM = WM / 16, TN = WN / 16;
  const PA = BK + 8, PB = BN + 8; // padded row strides (halves) of the staged tiles
  // A tile: BM rows × BK halves = BM·BK/8 vec4<u32> loads; B tile: BK rows × BN halves.
  const aLoads = (BM * BK) / 8 / threads, bLoads = (BK * BN) / 8 / threads;
  if (!Number.isInteger(aLoads) || !Number.isInteger(bLoads) || !Number.isInteger(TM) || !Number.isInteger(TN) || TM < 1 || TN < 1) throw new Error(`smem ${BM}x${BN}x${BK}-${SGM}x${SGN}: tiles do not divide`);
  const acc: string[] = [], mma: string[] = [], store: string[] = [];
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) acc.push(`  var acc${i}_${j} = subgroup_matrix_result<f32, 16, 16>();`);
  for (let kk = 0; kk < BK; kk += 16) {
    for (let i = 0; i < TM; i++) mma.push(`    let a${i}_${kk} = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&As, (wr + ${16 * i}u) * ${PA}u + ${kk}u, false, ${PA}u);`);
    for (let j = 0; j < TN; j++) mma.push(`    let b${j}_${kk} = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&Bs, ${kk * PB}u + wc + ${16 * j}u, false, ${PB}u);`);
    for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) mma.push(`    acc${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}_${kk}, b${j}_${kk}, acc${i}_${j});`);
  }
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) store.push(`  subgroupMatrixStore(&C, (row0 + wr + ${16 * i}u) * N + col0 + wc + ${16 * j}u, acc${i}_${j}, false, N);`);
  const ld = (arr: string, tile: string, n: number, rowHalves: number, pad: number, g: (r: string, c: string) => string) => {
    const out: string[] = [];
    for (let l = 0; l < n; l++) {
      out.push(`    { let e = li + ${l * threads}u; let r = e / ${rowHalves / 8}u; let c = (e % ${rowHalves / 8}u) * 8u;`);
      out.push(`      let v = ${arr}[(${g("r", "c")}) / 8u];`);
      out.push(`      let h0 = bitcast<vec2<f16>>(v.x); let h1 = bitcast<vec2<f16>>(v.y); let h2 = bitcast<vec2<f16>>(v.z); let h3 = bitcast<vec2<f16>>(v.w);`);
      out.push(`      let o = r * ${pad}u + c;`);
      out.push(`      ${tile}[o] = h0.x; ${tile}[o + 1u] = h0.y; ${tile}[o + 2u] = h1.x; ${tile}[o + 3u] = h1.y; ${tile}[o + 4u] = h2.x; ${tile}[o + 5u] = h2.y; ${tile}[o + 6u] = h3.x; ${tile}[o + 7u] = h3.y; }`);
    }
    return out.join("\n");
  };
  const code = (M: number, N: number, K: number) => `${HEADER}
const M = ${M}u; const N = ${N}u; const K = ${K}u;
@group(0) @binding(0) var<storage, read> A4: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> B4: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
var<workgroup> As: array<f16, ${BM * PA}>;
var<workgroup> Bs: array<f16, ${BK * PB}>;
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(subgroup_id) sg: u32) {
  let row0 = wg.y * ${BM}u;
  let col0 = wg.x * ${BN}u;
  let wr = (sg / ${SGN}u) * ${WM}u;
  let wc = (sg % ${SGN}u) * ${WN}u;
${acc.join("\n")}
  for (var k0 = 0u; k0 < K; k0 += ${BK}u) {
${ld("A4", "As", aLoads, BK, PA, (r, c) => `(row0 + ${r}) * K + k0 + ${c}`)}
${ld("B4", "Bs", bLoads, BN, PB, (r, c) => `(k0 + ${r}) * N + col0 + ${c}`)}
    workgroupBarrier();
${mma.join("\n")}
    workgroupBarrier();
  }
${store.join("\n")}
}`;
  return { name: `smem-${BM}x${BN}x${BK}-${SGM}x${SGN}`, code, threads, grid: (M, N) => [N / BN, M / BM], fits: (M, N, K) => M % BM === 0 && N % BN === 0 && K % BK === 0 && N % 8 === 0 && K % 8 === 0 };
}

/**
 * `multi-TMxTN-SGMxSGN`: SGM×SGN subgroups per workgroup, each computing a (16·TM)×(16·TN) block with fragments loaded
 * straight from storage (as `naive`), so the subgroups of one workgroup — resident on one SM — share A rows and B
 * columns through the L1 cache instead of workgroup memory. The subgroup's block comes from `subgroup_id` (uniform).
 */
function multi(TM: number, TN: number, SGM: number, SGN: number): Variant {
  const WM = 16 * TM, WN = 16 * TN, BM = WM * SGM, BN = WN * SGN, threads = 32 * SGM * SGN;
  const acc: string[] = [], body: string[] = [], store: string[] = [];
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) acc.push(`  var acc${i}_${j} = subgroup_matrix_result<f32, 16, 16>();`);
  for (let i = 0; i < TM; i++) body.push(`    let a${i} = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&A, (row0 + ${16 * i}u) * K + k, false, K);`);
  for (let j = 0; j < TN; j++) body.push(`    let b${j} = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&B, k * N + col0 + ${16 * j}u, false, N);`);
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) body.push(`    acc${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, acc${i}_${j});`);
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) store.push(`  subgroupMatrixStore(&C, (row0 + ${16 * i}u) * N + col0 + ${16 * j}u, acc${i}_${j}, false, N);`);
  const code = (M: number, N: number, K: number) => `${HEADER}
const M = ${M}u; const N = ${N}u; const K = ${K}u;
@group(0) @binding(0) var<storage, read> A: array<f16>;
@group(0) @binding(1) var<storage, read> B: array<f16>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(subgroup_id) sg: u32) {
  let row0 = wg.y * ${BM}u + (sg / ${SGN}u) * ${WM}u;
  let col0 = wg.x * ${BN}u + (sg % ${SGN}u) * ${WN}u;
${acc.join("\n")}
  for (var k = 0u; k < K; k += 16u) {
${body.join("\n")}
  }
${store.join("\n")}
}`;
  return { name: `multi-${TM}x${TN}-${SGM}x${SGN}`, code, threads, grid: (M, N) => [N / BN, M / BM], fits: (M, N, K) => M % BM === 0 && N % BN === 0 && K % 16 === 0 };
}

/**
 * `dbuf-BMxBNxBK-SGMxSGN`: as `smem`, with two workgroup-memory stages and the next k-tile's global loads issued into
 * registers before the current tile's matrix products, so one barrier per k-tile and the global latency overlaps
 * the tensor-core work.
 */
function dbuf(BM: number, BN: number, BK: number, SGM: number, SGN: number): Variant {
  const threads = 32 * SGM * SGN;
  const WM = BM / SGM, WN = BN / SGN, TM = WM / 16, TN = WN / 16;
  const PA = BK + 8, PB = BN + 8;
  const SA = BM * PA, SB = BK * PB; // halves per stage
  const aLoads = (BM * BK) / 8 / threads, bLoads = (BK * BN) / 8 / threads;
  if (!Number.isInteger(aLoads) || !Number.isInteger(bLoads) || !Number.isInteger(TM) || !Number.isInteger(TN) || TM < 1 || TN < 1 || BK % 16 !== 0) throw new Error(`dbuf ${BM}x${BN}x${BK}-${SGM}x${SGN}: tiles do not divide`);
  const acc: string[] = [], mma: string[] = [], store: string[] = [];
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) acc.push(`  var acc${i}_${j} = subgroup_matrix_result<f32, 16, 16>();`);
  for (let kk = 0; kk < BK; kk += 16) {
    for (let i = 0; i < TM; i++) mma.push(`    let a${i}_${kk} = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&As, sa + (wr + ${16 * i}u) * ${PA}u + ${kk}u, false, ${PA}u);`);
    for (let j = 0; j < TN; j++) mma.push(`    let b${j}_${kk} = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&Bs, sb + ${kk * PB}u + wc + ${16 * j}u, false, ${PB}u);`);
    for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) mma.push(`    acc${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}_${kk}, b${j}_${kk}, acc${i}_${j});`);
  }
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN; j++) store.push(`  subgroupMatrixStore(&C, (row0 + wr + ${16 * i}u) * N + col0 + wc + ${16 * j}u, acc${i}_${j}, false, N);`);
  // staging: thread li moves 8 halves (one vec4<u32>) per load; element e = li + l·threads of the tile
  const rc = (l: number, rowHalves: number) => `let e${l} = li + ${l * threads}u; let r${l} = e${l} / ${rowHalves / 8}u; let c${l} = (e${l} % ${rowHalves / 8}u) * 8u;`;
  const regs: string[] = [], loads = (k: string) => {
    const out: string[] = [];
    for (let l = 0; l < aLoads; l++) out.push(`    { ${rc(l, BK)} ra${l} = A4[((row0 + r${l}) * K + ${k} + c${l}) / 8u]; }`);
    for (let l = 0; l < bLoads; l++) out.push(`    { ${rc(l, BN)} rb${l} = B4[((${k} + r${l}) * N + col0 + c${l}) / 8u]; }`);
    return out.join("\n");
  };
  for (let l = 0; l < aLoads; l++) regs.push(`  var ra${l}: vec4<u32>;`);
  for (let l = 0; l < bLoads; l++) regs.push(`  var rb${l}: vec4<u32>;`);
  const put = (tile: string, v: string, o: string) =>
    `let h0 = bitcast<vec2<f16>>(${v}.x); let h1 = bitcast<vec2<f16>>(${v}.y); let h2 = bitcast<vec2<f16>>(${v}.z); let h3 = bitcast<vec2<f16>>(${v}.w); let o = ${o}; ` +
    `${tile}[o] = h0.x; ${tile}[o + 1u] = h0.y; ${tile}[o + 2u] = h1.x; ${tile}[o + 3u] = h1.y; ${tile}[o + 4u] = h2.x; ${tile}[o + 5u] = h2.y; ${tile}[o + 6u] = h3.x; ${tile}[o + 7u] = h3.y;`;
  const stores = (stage: string) => {
    const out: string[] = [];
    for (let l = 0; l < aLoads; l++) out.push(`    { ${rc(l, BK)} ${put("As", `ra${l}`, `${stage} * ${SA}u + r${l} * ${PA}u + c${l}`)} }`);
    for (let l = 0; l < bLoads; l++) out.push(`    { ${rc(l, BN)} ${put("Bs", `rb${l}`, `${stage} * ${SB}u + r${l} * ${PB}u + c${l}`)} }`);
    return out.join("\n");
  };
  const code = (M: number, N: number, K: number) => `${HEADER}
const M = ${M}u; const N = ${N}u; const K = ${K}u; const KT = ${K / BK}u;
@group(0) @binding(0) var<storage, read> A4: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> B4: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
var<workgroup> As: array<f16, ${2 * SA}>;
var<workgroup> Bs: array<f16, ${2 * SB}>;
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(subgroup_id) sg: u32) {
  let row0 = wg.y * ${BM}u;
  let col0 = wg.x * ${BN}u;
  let wr = (sg / ${SGN}u) * ${WM}u;
  let wc = (sg % ${SGN}u) * ${WN}u;
${acc.join("\n")}
${regs.join("\n")}
${loads("0u")}
${stores("0u")}
  workgroupBarrier();
  for (var t = 0u; t < KT; t++) {
    let kn = min(t + 1u, KT - 1u) * ${BK}u;
${loads("kn")}
    let sa = (t & 1u) * ${SA}u;
    let sb = (t & 1u) * ${SB}u;
${mma.join("\n")}
    let nxt = (t + 1u) & 1u;
${stores("nxt")}
    workgroupBarrier();
  }
${store.join("\n")}
}`;
  return { name: `dbuf-${BM}x${BN}x${BK}-${SGM}x${SGN}`, code, threads, grid: (M, N) => [N / BN, M / BM], fits: (M, N, K) => M % BM === 0 && N % BN === 0 && K % BK === 0 && N % 8 === 0 && K % 8 === 0 };
}

function parseVariant(v: string): Variant {
  let m = /^naive-(\d+)x(\d+)$/.exec(v);
  if (m) return naive(Number(m[1]), Number(m[2]));
  m = /^smem-(\d+)x(\d+)x(\d+)-(\d+)x(\d+)$/.exec(v);
  if (m) return smem(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  m = /^dbuf-(\d+)x(\d+)x(\d+)-(\d+)x(\d+)$/.exec(v);
  if (m) return dbuf(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  m = /^multi-(\d+)x(\d+)-(\d+)x(\d+)$/.exec(v);
  if (m) return multi(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
  throw new Error(`unknown variant ${v}`);
}

/**
 * Deterministic inputs k/1024 with k an integer in [-1024, 1024): exact in f16, so the values (for the reference) and
 * the f16 bits (for the GPU) need no per-element conversion — the polyfilled Float16Array (a Proxy) took seconds per
 * 4096² matrix.
 */
function fillF16(n: number, seed: number): { bits: Uint16Array; vals: Float32Array } {
  const table = new Float16Array(2048);
  for (let k = 0; k < 2048; k++) table[k] = (k - 1024) / 1024;
  const tbits = new Uint16Array(table.buffer);
  const bits = new Uint16Array(n), vals = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const k = x >>> 21; // 0..2047
    bits[i] = tbits[k]!;
    vals[i] = (k - 1024) / 1024;
  }
  return { bits, vals };
}

async function main(): Promise<void> {
  const out = args.out!;
  mkdirSync(out, { recursive: true });
  if (args.dump) mkdirSync(args.dump, { recursive: true });
  const { create, globals } = (await import("webgpu" as string)) as { create: (o: string[]) => Any; globals: object };
  Object.assign(globalThis, globals);
  const nullBackend = args["compile-only"] || args.backend === "null";
  const gpu = create([...(nullBackend ? ["backend=null"] : []), "enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia"]);
  // The object `create` returns owns Dawn's instance: once nothing references it, V8 may collect it and its finalizer
  // tears the instance down under the live device (the `webgpu` package's README, "Lifetime"). As a local of main()
  // it died at the first GC after requestAdapter — in this bench during the 4096² input fill — and every later Dawn
  // call raced the teardown: hangs, segfaults, "The futex facility returned an unexpected error code", std::system_error,
  // a glibc __pthread_tpp_change_priority assertion (all reproduced on the null backend with `--backend null`).
  keepAlive.push(gpu);
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error("no WebGPU adapter");
  const info = adapter.info ?? {};
  const want = ["shader-f16", "subgroups", "chromium-experimental-subgroup-matrix", "timestamp-query"].filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredFeatures: want, requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize, maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX } });
  const errors: string[] = [];
  device.addEventListener("uncapturederror", (e: Any) => errors.push(String(e.error?.message ?? e)));
  const res: Any = {
    adapter: [info.vendor, info.architecture, info.description].filter((x: string) => x).join(" / "),
    deviceFeatures: [...device.features].sort(),
    subgroupMatrixConfigs: [...(info.subgroupMatrixConfigs ?? [])].map((c: Any) => `${c.componentType}→${c.resultComponentType} ${c.M}×${c.N}×${c.K}`),
    variants: {},
    shapes: {},
  };
  console.error(`[f16] ${res.adapter}; features ${res.deviceFeatures.join(", ")}; configs ${res.subgroupMatrixConfigs.join(", ")}`);
  const save = () => writeFileSync(join(out, "f16-matmul.json"), JSON.stringify(res, null, 2));
  if (!device.features.has("chromium-experimental-subgroup-matrix") || !device.features.has("shader-f16")) {
    res.error = "device lacks shader-f16 or chromium-experimental-subgroup-matrix";
    save();
    return;
  }
  const S = 0x80, CS = 0x04, CD = 0x08, MR = 0x01; // GPUBufferUsage STORAGE, COPY_SRC, COPY_DST, MAP_READ
  const upload = (data: ArrayBufferView) => {
    const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: S | CD });
    device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  };
  const variants: Variant[] = [];
  for (const v of args.variants!.split(",").filter((x) => x)) {
    try {
      variants.push(parseVariant(v));
    } catch (e) {
      res.variants[v] = { error: String(e) };
    }
  }
  const compile = async (v: Variant, M: number, N: number, K: number) => {
    device.pushErrorScope("validation");
    const mod = device.createShaderModule({ code: v.code(M, N, K) });
    const ci = await mod.getCompilationInfo();
    const scopeErr = await device.popErrorScope();
    // Dawn warns on every matrix builtin ("use of deprecated builtin"): counted, not kept
    const all = [...ci.messages].map((m: Any) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`);
    const msgs = all.filter((m) => !m.includes("deprecated builtin"));
    if (all.length > msgs.length) msgs.push(`${all.length - msgs.length} × "use of deprecated builtin"`);
    if (scopeErr) msgs.push(`error (validation) ${String(scopeErr.message).slice(0, 800)}`);
    return { mod, msgs, ok: !msgs.some((m) => m.startsWith("error")) };
  };
  for (const v of variants) {
    const c = await compile(v, 256, 256, 256);
    res.variants[v.name] = { threads: v.threads, compile: c.msgs.slice(0, 6), ok: c.ok };
    console.error(`[f16] ${v.name}: ${c.ok ? "compiled" : "FAILED"} ${c.msgs.join(" | ").slice(0, 600)}`);
  }
  if (args["compile-only"]) {
    save();
    return;
  }
  save();
  const budget = Number(args.seconds);
  for (const shape of args.shapes!.split(",").filter((x) => x)) {
    const [M, K, N] = shape.split("x").map(Number) as [number, number, number];
    const label = `${M}×${K}×${N}`;
    const fa = fillF16(M * K, 1), fb = fillF16(K * N, 2);
    const ha = fa.vals, hb = fb.vals;
    const bA = upload(fa.bits), bB = upload(fb.bits);
    const bC = device.createBuffer({ size: M * N * 4, usage: S | CS | CD });
    const rd = device.createBuffer({ size: M * N * 4, usage: MR | CD });
    if (args.dump) {
      writeFileSync(join(args.dump, `${shape}.a.f16`), new Uint8Array(fa.bits.buffer));
      writeFileSync(join(args.dump, `${shape}.b.f16`), new Uint8Array(fb.bits.buffer));
    }
    res.shapes[label] = { M, K, N, variants: {} };
    // float64 reference at 256 sampled outputs
    const samples: [number, number, number][] = [];
    let maxRef = 0;
    for (let s = 0; s < 256; s++) {
      const i = (s * 7919) % M, j = (s * 104729) % N;
      let ref = 0;
      for (let k = 0; k < K; k++) ref += ha[i * K + k]! * hb[k * N + j]!;
      samples.push([i, j, ref]);
      maxRef = Math.max(maxRef, Math.abs(ref));
    }
    for (const v of variants) {
      const r: Any = {};
      res.shapes[label].variants[v.name] = r;
      if (!res.variants[v.name].ok) { r.skipped = "did not compile"; continue; }
      if (!v.fits(M, N, K)) { r.skipped = "shape not a multiple of the tile"; continue; }
      try {
        const { mod, msgs, ok } = await compile(v, M, N, K);
        if (!ok) throw new Error(`compile: ${msgs.join(" | ")}`);
        device.pushErrorScope("validation");
        const pipe = await device.createComputePipelineAsync({ layout: "auto", compute: { module: mod, entryPoint: "main" } });
        const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [bA, bB, bC].map((b, i) => ({ binding: i, resource: { buffer: b } })) });
        const [gx, gy] = v.grid(M, N);
        const run = async (reps: number) => {
          await device.queue.onSubmittedWorkDone();
          const t0 = performance.now();
          const enc = device.createCommandEncoder();
          const pass = enc.beginComputePass();
          pass.setPipeline(pipe);
          pass.setBindGroup(0, bg);
          for (let i = 0; i < reps; i++) pass.dispatchWorkgroups(gx, gy);
          pass.end();
          device.queue.submit([enc.finish()]);
          await device.queue.onSubmittedWorkDone();
          return (performance.now() - t0) / 1000 / reps;
        };
        // correctness: clear C, one dispatch, read back
        const enc = device.createCommandEncoder();
        enc.clearBuffer(bC);
        device.queue.submit([enc.finish()]);
        await run(1);
        const enc2 = device.createCommandEncoder();
        enc2.copyBufferToBuffer(bC, 0, rd, 0, M * N * 4);
        device.queue.submit([enc2.finish()]);
        await rd.mapAsync(MR);
        const got = new Float32Array(rd.getMappedRange().slice(0));
        rd.unmap();
        let maxErr = 0;
        for (const [i, j, ref] of samples) maxErr = Math.max(maxErr, Math.abs(got[i * N + j]! - ref));
        r.maxRelErrorSampled = maxErr / maxRef;
        if (args.dump) writeFileSync(join(args.dump, `${shape}.${v.name}.c.f32`), new Uint8Array(got.buffer));
        const probe = await run(1);
        const reps = Math.max(1, Math.min(500, Math.ceil(budget / 5 / probe)));
        const ts: number[] = [];
        for (let t = 0; t < 5; t++) ts.push(await run(reps));
        const sec = ts.sort((p, q) => p - q)[2]!;
        const err = await device.popErrorScope();
        if (err) r.validation = String(err.message).slice(0, 800);
        Object.assign(r, { seconds: sec, reps, tflops: (2 * M * N * K) / sec / 1e12 });
        console.error(`[f16] ${label} ${v.name}: ${(sec * 1e3).toFixed(3)} ms, ${r.tflops.toFixed(1)} TFLOP/s, max rel. error (sampled, vs f64) ${r.maxRelErrorSampled.toExponential(1)}${r.validation ? ` VALIDATION ${r.validation}` : ""}`);
      } catch (e) {
        r.error = String(e).slice(0, 800);
        console.error(`[f16] ${label} ${v.name}: ${r.error}`);
      }
      save();
    }
    bA.destroy(); bB.destroy(); bC.destroy(); rd.destroy();
  }
  res.uncapturedErrors = errors.slice(0, 20);
  save();
  const lines = [`| shape M×K×N | ${variants.map((v) => v.name).join(" | ")} |`, `|---|${variants.map(() => "---|").join("")}`];
  for (const [label, s] of Object.entries<Any>(res.shapes)) lines.push(`| ${label} | ${variants.map((v) => { const r = s.variants[v.name]; return r?.tflops ? `${r.tflops.toFixed(1)} (err ${r.maxRelErrorSampled.toExponential(0)})` : r?.skipped ? "—" : "fail"; }).join(" | ")} |`);
  writeFileSync(join(out, "f16-matmul.md"), lines.join("\n") + "\n");
  console.log(lines.join("\n"));
}

await main();
process.exit(0);
