/**
 * The packed Wasm GEMM (issue 15; the thinkrl `wasm-matmul` patch of @jax-js/jax, `patches/`): every matrix
 * product the model and its backward pass run — x·W, dY·Wᵀ, Xᵀ·dY, batched and broadcast operands, a fused
 * epilogue, K and N longer than one cache block, sizes that leave partial register tiles — equals a float64
 * reference, and the products really went through the new kernel (its compile counter moves).
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { numpy as npT } from "@jax-js/jax";

// Small products too (the default skips those under 16,384 multiply-adds), so that odd sizes reach the kernel.
(globalThis as { __jaxjsWasmEnv?: Record<string, string> }).__jaxjsWasmEnv = { JAXJS_WASM_MATMUL_MIN_MACS: "0" };
await initEngine("wasm");
const { grad, jit, numpy: np } = await import("@jax-js/jax");
const { Rng } = await import("../../src/core/rng.js");

const compiled = (): number => (globalThis as { __jaxjsWasmMatmul?: { kernels: number } }).__jaxjsWasmMatmul?.kernels ?? 0;

function rand(rng: InstanceType<typeof Rng>, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/** float64 C[b, m, n] = Σ_k A(b, m, k) · B(b, k, n) with element accessors. */
function reference(
  batch: number, M: number, K: number, N: number,
  a: (b: number, m: number, k: number) => number, bm: (b: number, k: number, n: number) => number,
): Float64Array {
  const c = new Float64Array(batch * M * N);
  for (let t = 0; t < batch; t++)
    for (let m = 0; m < M; m++)
      for (let k = 0; k < K; k++) {
        const av = a(t, m, k);
        for (let n = 0; n < N; n++) c[(t * M + m) * N + n] += av * bm(t, k, n);
      }
  return c;
}

function expectClose(got: Float32Array, want: Float64Array, K: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  // float32 accumulation over K terms of size ≤ 1: a few ulps × √K.
  expect(worst).toBeLessThan(2e-6 * Math.sqrt(K) + 1e-6);
}

// [M, K, N]: partial MR/NR tiles (M % 4, N % 8 ≠ 0), K over one 256-deep block, N over one 512-wide block,
// and the default model's projection and decode shapes.
const SHAPES: [number, number, number][] = [[5, 9, 11], [37, 300, 45], [130, 70, 257], [6, 40, 600], [64, 128, 336]];

describe("Wasm packed matmul (wasm-matmul patch)", () => {
  test("x·W, x·Wᵀ and Xᵀ·dY equal a float64 reference at odd and model sizes", async () => {
    const rng = new Rng(11);
    const before = compiled();
    for (const [M, K, N] of SHAPES) {
      const a = rand(rng, M * K), b = rand(rng, K * N);
      const aT = new Float32Array(K * M), bT = new Float32Array(N * K); // stored transposed: [K, M] and [N, K]
      for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) aT[k * M + m] = a[m * K + k];
      for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) bT[n * K + k] = b[k * N + n];
      const want = reference(1, M, K, N, (_, m, k) => a[m * K + k], (_, k, n) => b[k * N + n]);
      const A = np.array(a).reshape([M, K]), B = np.array(b).reshape([K, N]);
      const AT = np.array(aT).reshape([K, M]), BT = np.array(bT).reshape([N, K]);
      expectClose(await np.matmul(A.ref, B.ref).data(), want, K); // x·W
      expectClose(await np.matmul(A, BT.transpose([1, 0])).data(), want, K); // dY·Wᵀ: B read along k
      expectClose(await np.matmul(AT.transpose([1, 0]), B).data(), want, K); // Xᵀ·dY: A read along m
    }
    expect(compiled() - before).toBeGreaterThanOrEqual(3 * SHAPES.length - 2);
  });

  test("batched, broadcast and fused-epilogue products", async () => {
    const rng = new Rng(12);
    const [T, M, K, N] = [3, 13, 40, 21];
    const a = rand(rng, T * M * K), b = rand(rng, T * K * N), bias = rand(rng, N);
    const A = np.array(a).reshape([T, M, K]);
    const before = compiled();
    // [T, M, K] · [T, K, N]: one product per batch element (attention's scores·V).
    const perBatch = reference(T, M, K, N, (t, m, k) => a[(t * M + m) * K + k], (t, k, n) => b[(t * K + k) * N + n]);
    expectClose(await np.matmul(A.ref, np.array(b).reshape([T, K, N])).data(), perBatch, K);
    // [T, M, K] · [K, N]: B broadcast, the batch folds into rows (x[B, T, D]·W).
    const w = b.subarray(0, K * N);
    const shared = reference(T, M, K, N, (t, m, k) => a[(t * M + m) * K + k], (_, k, n) => w[k * N + n]);
    expectClose(await np.matmul(A.ref, np.array(w).reshape([K, N])).data(), shared, K);
    // An elementwise epilogue fused into the product under jit: tanh(x·W + bias).
    const f = jit((x: npT.Array, y: npT.Array, c: npT.Array) => np.tanh(np.matmul(x, y).add(c)));
    const got = await f(A, np.array(w).reshape([K, N]), np.array(bias)).data();
    expectClose(got, shared.map((v, i) => Math.tanh(v + bias[i % N])), K);
    expect(compiled() - before).toBeGreaterThanOrEqual(2);
  });

  test("jit(grad) of a projection: dx = g·Wᵀ and dW = xᵀ·g", async () => {
    const rng = new Rng(13);
    const [M, K, N] = [24, 36, 20];
    const x = rand(rng, M * K), w = rand(rng, K * N), r = rand(rng, M * N);
    // L = Σ r ⊙ (x·W): g = r, so dx = r·Wᵀ and dW = xᵀ·r.
    const loss = (xs: npT.Array, ws: npT.Array) => np.matmul(xs, ws).mul(np.array(r).reshape([M, N])).sum();
    const dx = await jit(grad(loss, { argnums: 0 }))(np.array(x).reshape([M, K]), np.array(w).reshape([K, N])).data();
    const dw = await jit(grad(loss, { argnums: 1 }))(np.array(x).reshape([M, K]), np.array(w).reshape([K, N])).data();
    expectClose(dx, reference(1, M, N, K, (_, m, n) => r[m * N + n], (_, n, k) => w[k * N + n]), N);
    expectClose(dw, reference(1, K, M, N, (_, k, m) => x[m * K + k], (_, m, n) => r[m * N + n]), M);
  });
});
