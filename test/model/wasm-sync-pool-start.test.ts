/**
 * The synchronous worker pool (jax-js patches 205 + 206, `docs/jax-patch.md`) starts its workers even in a process
 * whose kernels have all run synchronously so far: without patch 206 the pool's workers were only started by an
 * asynchronous dispatch, which an idle Node pool never makes, so every kernel above the main-thread threshold (a
 * 2048³ product included) ran on the calling thread alone — half the machine's matmul throughput on two cores.
 * This file must run in a fresh engine (vitest gives each file its own process: `pool: "forks"`).
 */
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { numpy as npT } from "@jax-js/jax";

await initEngine("wasm", { threads: 2 });
const { jit, numpy: np } = await import("@jax-js/jax");

const syncCounter = (): number => (globalThis as { __jaxjsWasmSyncPool?: { kernels: number } }).__jaxjsWasmSyncPool?.kernels ?? 0;

test("a large product in a fresh process is split over the workers (the sync pool starts them), with the right values", async () => {
  const n = 384;
  const f = jit((a: npT.Array, b: npT.Array) => np.matmul(a, b));
  const a = np.ones([n, n]).mul(0.5);
  const b = np.ones([n, n]).mul(0.25);
  const values: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c = (await f(a.ref, b.ref).data()) as Float32Array;
    values.push(c[0]!, c[c.length - 1]!);
  }
  a.dispose();
  b.dispose();
  expect(values.every((v) => v === n * 0.125)).toBe(true);
  expect(syncCounter()).toBeGreaterThan(0);
});
