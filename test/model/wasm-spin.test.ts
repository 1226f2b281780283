/**
 * Spinning workers (jax-js patch 210 `wasm-spin-workers`, `docs/jax-patch.md`): after a synchronous job a worker polls
 * a shared mailbox and then parks in `Atomics.wait`, so the synchronous pool hands it the next job without a message;
 * a small product (the default model's decode shape, 64×128×336) that patch 103 would keep on the calling thread is
 * split over the calling thread and a worker, chosen per kernel by measured cost. The results must be the same bit
 * for bit whichever way a kernel ran, jobs must really go through the mailbox, both ways must be tried, and a message
 * to a parked worker (an asynchronous dispatch) must kick it back to its event loop instead of waiting for the park
 * to time out. Runs in its own process (vitest `pool: "forks"`): the park time is read when the pool is made.
 */
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { numpy as npT } from "@jax-js/jax";

const PARK_MS = 4000;
const env = ((globalThis as { __jaxjsWasmEnv?: Record<string, string> }).__jaxjsWasmEnv ??= {});
env.JAXJS_WASM_SPIN_PARK_MS = String(PARK_MS);
env.JAXJS_WASM_SPIN = "1"; // the patch is opt-in (default off)
await initEngine("wasm", { threads: 2 });
const { jit, numpy: np } = await import("@jax-js/jax");
const { Rng } = await import("../../src/core/rng.js");

type SpinStats = { mailbox: number; woken: number; messages: number; split: number; one: number };
const spin = (): SpinStats => ({ mailbox: 0, woken: 0, messages: 0, split: 0, one: 0, ...(globalThis as { __jaxjsWasmSpin?: SpinStats }).__jaxjsWasmSpin });
const syncCounter = (): number => (globalThis as { __jaxjsWasmSyncPool?: { kernels: number } }).__jaxjsWasmSyncPool?.kernels ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Bit-for-bit equality of two float32 arrays (vitest's deep equality takes ~1 s on 21,504 elements). */
const same = (x: Float32Array, y: Float32Array): boolean =>
  x.length === y.length && Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;

const M = 64, K = 128, N = 336;
const rng = new Rng(3);
const A = Float32Array.from({ length: M * K }, () => rng.next() * 2 - 1);
const Bm = Float32Array.from({ length: K * N }, () => rng.next() * 2 - 1);
const f = jit((a: npT.Array, b: npT.Array) => np.matmul(a, b));
const a = np.array(A).reshape([M, K]);
const b = np.array(Bm).reshape([K, N]);
const product = async (): Promise<Float32Array> => (await f(a.ref, b.ref).data()) as Float32Array;

test("a decode-sized product split through the mailbox equals the calling thread's, bit for bit; a parked worker is kicked", async () => {
  env.JAXJS_WASM_SPIN_SPLIT = "0";
  const alone = await product();
  // The workers start asynchronously (seconds on a loaded machine): wait until a large product has been split.
  const big = jit((x: npT.Array, y: npT.Array) => np.matmul(x, y));
  const x = np.ones([256, 256]);
  for (let i = 0; i < 300 && syncCounter() === 0; i++) {
    await big(x.ref, x.ref).data();
    await sleep(20);
  }
  x.dispose();
  const before = spin();
  const sync0 = syncCounter();

  // Forced split: the first job reaches worker 0 as a message (it learns the kernel), the next ones through its
  // mailbox (it spins, then parks for PARK_MS: never back to its event loop between these calls).
  env.JAXJS_WASM_SPIN_SPLIT = "1";
  for (let i = 0; i < 6; i++) expect(same(await product(), alone)).toBe(true);
  const forced = spin();
  expect(forced.split - before.split).toBe(6);
  expect(syncCounter() - sync0).toBe(6);
  expect(forced.mailbox - before.mailbox).toBeGreaterThanOrEqual(5);

  // A parked worker gets an asynchronous job (sync pool off): the kick must send it back to its event loop now.
  await sleep(50); // past the 100 µs spin: parked
  env.JAXJS_WASM_SYNC_POOL = "0";
  env.JAXJS_WASM_MAIN_THREAD_WORK = "-1";
  const t0 = performance.now();
  expect(same(await product(), alone)).toBe(true);
  const asyncMs = performance.now() - t0;
  delete env.JAXJS_WASM_SYNC_POOL;
  delete env.JAXJS_WASM_MAIN_THREAD_WORK;
  expect(asyncMs).toBeLessThan(PARK_MS / 2);

  // Chosen by cost: a fresh kernel's first 8 calls try each way 4 times, then keep to one of them.
  delete env.JAXJS_WASM_SPIN_SPLIT;
  const g = jit((x: npT.Array, y: npT.Array) => np.matmul(x, y).mul(2));
  const twice = alone.map((v) => v * 2);
  const s0 = spin();
  for (let i = 0; i < 8; i++) expect(same((await g(a.ref, b.ref).data()) as Float32Array, twice)).toBe(true);
  const s1 = spin();
  expect([s1.split - s0.split, s1.one - s0.one]).toEqual([4, 4]);
  for (let i = 0; i < 8; i++) expect(same((await g(a.ref, b.ref).data()) as Float32Array, twice)).toBe(true);
  const s2 = spin();
  expect(s2.split - s1.split + s2.one - s1.one).toBe(8);

  // The switch: JAXJS_WASM_SPIN=0 keeps the small product on the calling thread and uses no mailbox.
  env.JAXJS_WASM_SPIN = "0";
  const s3 = spin();
  for (let i = 0; i < 4; i++) expect(same(await product(), alone)).toBe(true);
  const s4 = spin();
  env.JAXJS_WASM_SPIN = "1";
  expect([s4.split - s3.split, s4.one - s3.one, s4.mailbox - s3.mailbox]).toEqual([0, 0, 0]);
});
