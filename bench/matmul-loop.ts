/**
 * Per-call time of one jitted matmul shape in a tight loop (the matmul bench's single call, without its other rows):
 * median, p10 and minimum over `n` calls after a warm-up, process CPU time per call, and the Wasm backend's counters
 * (calls split through the synchronous pool, run on the calling thread alone, and patch 210's mailbox statistics).
 *
 *   npm run build && node dist/bench/matmul-loop.js [64x128x336[,MxKxN…]] [n=1000]
 *
 * A/B by environment, alternated by hand: `JAXJS_WASM_SPIN=0` (patch 210 off), `JAXJS_WASM_SPIN_SPLIT=1` (split
 * forced) or `=0` (calling thread forced); see docs/benchmarks.md, "The decode-shape matmul".
 */
import { initEngine } from "../src/engine/init.js";
import type { numpy as npT } from "@jax-js/jax";

await initEngine("wasm", { threads: 2 });
const { jit, numpy: np } = await import("@jax-js/jax");
const shapes = (process.argv[2] ?? "64x128x336").split(",").map((s) => s.split("x").map(Number) as [number, number, number]);
const n = Number(process.argv[3] ?? 1000);
const f = jit((a: npT.Array, b: npT.Array) => np.matmul(a, b));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const g = globalThis as { __jaxjsWasmSyncPool?: { kernels: number }; __jaxjsWasmMainThread?: { kernels: number }; __jaxjsWasmSpin?: object };
for (const [M, K, N] of shapes) {
  const a = np.array(new Float32Array(M * K).fill(0.01)).reshape([M, K]);
  const b = np.array(new Float32Array(K * N).fill(0.01)).reshape([K, N]);
  const call = async () => (await f(a.ref, b.ref).blockUntilReady()).dispose();
  // Warm-up, with pauses so that the workers (started asynchronously) are ready before the timed calls.
  for (let i = 0; i < 20; i++) {
    await call();
    await sleep(2);
  }
  await sleep(3000);
  for (let i = 0; i < 20; i++) await call();
  const ts: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call();
    ts.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(c0);
  ts.sort((x, y) => x - y);
  const med = ts[n >> 1]!;
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  console.log(
    `${M}×${K}×${N}: median ${us(med)} (${((2 * M * K * N) / med / 1e6).toFixed(1)} GFLOP/s), p10 ${us(ts[Math.floor(n / 10)]!)}, min ${us(ts[0]!)}, ` +
      `CPU ${((cpu.user + cpu.system) / n).toFixed(0)} µs a call; sync-pool kernels ${g.__jaxjsWasmSyncPool?.kernels ?? 0}, ` +
      `calling thread ${g.__jaxjsWasmMainThread?.kernels ?? 0}, spin ${JSON.stringify(g.__jaxjsWasmSpin ?? {})}`,
  );
  a.dispose();
  b.dispose();
}
process.exit(0);
