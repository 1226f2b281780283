/**
 * Prefill/scoring memory (issue 15): query-chunked attention equals the unchunked one (causal key truncation
 * included), also under jit and grad; and jax-js's jit programs reuse the memory of dead intermediates (the
 * thinkrl `wasm-arena` patch of @jax-js/jax, `patches/`), measured on the Wasm heap.
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { numpy as npT } from "@jax-js/jax";

await initEngine("wasm");
const { grad, jit, numpy: np } = await import("@jax-js/jax");
const { attention, attentionQueryChunk } = await import("../../src/model/llama.js");
const { fullPositionInputs } = await import("../../src/model/positions.js");
const { defaultModelConfig } = await import("../../src/model/default.js");
const { wasmHeapBytes } = await import("../../src/engine/wasm-heap.js");
const { splitRowsOnHeapLimit } = await import("../../src/model/causal-lm.js");
const { Rng } = await import("../../src/core/rng.js");

const MiB = 2 ** 20;

function randn(rng: InstanceType<typeof Rng>, shape: number[]): npT.Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return np.array(Float32Array.from({ length: n }, () => rng.next() * 2 - 1)).reshape(shape);
}

describe("memory plan of jit programs (wasm-arena patch)", () => {
  // Runs first in this file's fresh process: the Wasm heap only grows, so its growth is this program's peak.
  test("a chain of 8 matmuls holds about two 4 MiB intermediates, not eight", async () => {
    const rng = new Rng(3);
    const x = randn(rng, [1024, 1024]).mul(0.03);
    await x.ref.data();
    const before = wasmHeapBytes();
    expect(before).toBeGreaterThan(0);
    const f = jit((a: npT.Array) => {
      let y = a;
      for (let i = 0; i < 8; i++) y = np.tanh(np.matmul(y.ref, y)); // each step: a [1024, 1024] intermediate
      return y.sum();
    });
    const out = f(x);
    expect(Number.isFinite((await out.data())[0])).toBe(true);
    const grown = (wasmHeapBytes() - before) / MiB;
    // Without the patch every intermediate is live until the end: ≥ 8 × 4 MiB.
    expect(grown).toBeLessThan(20);
  });
});

describe("query-chunked attention", () => {
  test("chunk sizing", () => {
    expect(attentionQueryChunk(4, 8, 8, 0)).toBe(8); // off
    expect(attentionQueryChunk(4, 8, 8, 256)).toBe(8); // fits
    expect(attentionQueryChunk(4, 8, 8, 64)).toBe(2);
    expect(attentionQueryChunk(4, 64, 64, 1)).toBe(4); // at most 16 chunks
  });

  const cfg = { ...defaultModelConfig(), headDim: 4 };
  const [B, T, N, K, H] = [2, 13, 4, 2, 4];
  const inputs = (seed: number) => {
    const rng = new Rng(seed);
    const pos = fullPositionInputs(cfg, B, T, [0, 3]); // row 1 left-padded by 3
    pos.cos.dispose();
    pos.sin.dispose();
    return { q: randn(rng, [B, T, N, H]), k: randn(rng, [B, T, K, H]), v: randn(rng, [B, T, K, H]), mask: pos.mask };
  };

  test("equals the unchunked attention (eager, jit, grad)", async () => {
    const run = (chunk: number) => {
      const { q, k, v, mask } = inputs(7);
      return attention(q, k, v, mask, true, chunk);
    };
    const full = (await run(0).data()) as Float32Array;
    for (const chunk of [B * N * T * 3, B * N * T * 5, 1]) {
      const got = (await run(chunk).data()) as Float32Array;
      for (let i = 0; i < full.length; i++) expect(got[i]).toBeCloseTo(full[i]!, 5);
    }
    const loss = (chunk: number) => (q: npT.Array, k: npT.Array, v: npT.Array, mask: npT.Array) => attention(q, k, v, mask, true, chunk).mul(np.arange(B * T * N * H).reshape([B, T, N * H]).mul(0.01)).sum();
    const g = async (chunk: number) => {
      const { q, k, v, mask } = inputs(9);
      const dq = jit(grad(loss(chunk)))(q, k, v, mask);
      return (await dq.data()) as Float32Array;
    };
    const g0 = await g(0);
    const g1 = await g(B * N * T * 4);
    for (let i = 0; i < g0.length; i++) expect(g1[i]).toBeCloseTo(g0[i]!, 4);
  });
});

describe("splitting a batch that exhausts the heap", () => {
  test("halves the rows until they fit, merges in row order, says so once, rethrows other errors", async () => {
    const calls: [number, number][] = [];
    const run = async (b0: number, b1: number) => {
      calls.push([b0, b1]);
      if (b1 - b0 > 2) throw new RangeError("Allocation exceeds the 4 GiB memory32 limit");
      return [...Array(b1 - b0).keys()].map((i) => b0 + i);
    };
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      expect(await splitRowsOnHeapLimit(7, "a prefill of 7 × 9 tokens", run, (a, b) => [...a, ...b])).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(await splitRowsOnHeapLimit(3, "again", run, (a, b) => [...a, ...b])).toEqual([0, 1, 2]);
    } finally {
      console.error = orig;
    }
    expect(calls.slice(0, 3)).toEqual([[0, 7], [0, 4], [0, 2]]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/a prefill of 7 × 9 tokens does not fit the Wasm heap.*parts of 4 rows/);
    await expect(splitRowsOnHeapLimit(1, "one row", run, (a) => a)).resolves.toEqual([0]);
    await expect(splitRowsOnHeapLimit(4, "x", async () => { throw new Error("other"); }, (a) => a)).rejects.toThrow("other");
  });
});
