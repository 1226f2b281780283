/**
 * The jax-js WebGPU patch (patches/@jax-js+jax+*webgpu-*.patch, docs/jax-patch.md) on a CPU WebGPU: Chromium's
 * SwiftShader adapter, headless. jax-js as installed (patched by `npm ci`'s postinstall) is bundled for the page; each
 * case runs on WebGPU and on Wasm in the same page and the results must agree. The patch's own record
 * (`globalThis.__jaxjsWebgpuStats`) shows the tiled matmul kernel was the one that ran — with the tile sizes and
 * operand strides asked for — so the test fails if the patch is missing or stops recognising a matmul, and that a
 * jitted program of many kernels went to the queue in one submit.
 */
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { CHROMIUM, CHROMIUM_PATH, describeNeeding } from "../helpers/requirements.js";

const ROOT = join(import.meta.dirname, "..", "..");
let browser: Browser;
let server: Server;
let page: Page;

beforeAll(async () => {
  if (!CHROMIUM.available) return;
  const r = await build({ stdin: { contents: 'import * as jax from "@jax-js/jax"; globalThis.jax = jax;', resolveDir: ROOT }, bundle: true, write: false, format: "esm", platform: "browser", logLevel: "silent" });
  const js = r.outputFiles![0]!.text;
  server = createServer((req, res) => {
    if (req.url === "/jax.js") res.setHeader("content-type", "text/javascript").end(js);
    else res.setHeader("content-type", "text/html").end('<!doctype html><script type="module">import "/jax.js"; window.ready = true;</script>');
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu"] });
  page = await browser.newPage();
  const port = (server.address() as { port: number }).port;
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  server?.close();
});

/**
 * [name, shape of a, shape of b, tile override "BMxBNxBK" or "", the program as source text over (np, a, b), the
 * split-K factor the patch must choose, -1 for either].
 */
type Case = [string, number[], number[], string, string, number];
const CASES: Case[] = [
  ["x·W, ragged edges, fused epilogue, 128×128×8 tiles", [150, 40], [40, 140], "128x128x8", "np.tanh(np.matmul(a, b)).mul(2).add(1)", 1],
  ["Xᵀ·dY, 128×64×16 tiles", [41, 130], [41, 70], "128x64x16", "np.matmul(a.transpose(), b)", 1],
  ["x[B, 1, D]·W (a decode step) folded into one [B, D]·W", [40, 1, 64], [64, 96], "", "np.matmul(a, b)", 1],
  // thin outputs (2 output tiles) with a long K: split-K, partial sums added atomically; a bias-like epilogue is added once
  ["thin x·W + constant, split-K 8", [96, 1024], [1024, 40], "", "np.matmul(a, b).add(0.5)", 8],
  ["thin Xᵀ·dY, ragged K (1000), split-K 7", [1000, 70], [1000, 48], "", "np.matmul(a.transpose(), b)", 7],
  // whether jax-js fuses these into the product's epilogue or not, the result must be right (-1: either split)
  ["thin x·W then tanh and a scale", [96, 1024], [1024, 40], "", "np.tanh(np.matmul(a, b)).mul(3)", -1],
];

describeNeeding(CHROMIUM, "jax-js WebGPU patch on SwiftShader", () => {
  test("tiled matmuls at the 128-wide tile sizes (plain with a fused epilogue, Xᵀ·dY) and split-K for thin outputs equal Wasm's results", async () => {
    const out = await page.evaluate(async (cases: Case[]) => {
      const g = globalThis as unknown as { jax: any; __jaxjsWebgpuEnv?: Record<string, string>; __jaxjsWebgpuStats?: { matmuls: { tiles: number[]; splitK?: number }[] } };
      const { init, numpy: np, jit } = g.jax;
      const avail: string[] = await init("webgpu", "wasm");
      if (!avail.includes("webgpu")) return { avail, rows: [] };
      const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 0.37) * 0.5);
      const rows: { name: string; n: number; maxErr: number; tiles: number[][]; splits: number[]; ms: number }[] = [];
      for (const [name, sa, sb, tile, src] of cases) {
        g.__jaxjsWebgpuEnv = { JAXJS_WEBGPU_MATMUL_SPLITK: "auto", ...(tile ? { JAXJS_WEBGPU_MATMUL_TILE: tile } : {}) };
        const fn = new Function("np", "a", "b", `return ${src};`);
        const da = fill(sa.reduce((p, q) => p * q), 1), db = fill(sb.reduce((p, q) => p * q), 2);
        const before = g.__jaxjsWebgpuStats?.matmuls.length ?? 0;
        const t0 = performance.now();
        const run = async (device: string) => (await jit((a: unknown, b: unknown) => fn(np, a, b))(np.array(da, { device }).reshape(sa), np.array(db, { device }).reshape(sb)).data()) as Float32Array;
        const gpu = await run("webgpu");
        const mms = (g.__jaxjsWebgpuStats?.matmuls ?? []).slice(before);
        const tiles = mms.map((m) => m.tiles), splits = mms.map((m) => m.splitK ?? 1);
        const cpu = await run("wasm");
        let maxErr = 0;
        for (let i = 0; i < cpu.length; i++) maxErr = Math.max(maxErr, Math.abs(gpu[i]! - cpu[i]!) / Math.max(1, Math.abs(cpu[i]!)));
        rows.push({ name, n: cpu.length, maxErr, tiles, splits, ms: performance.now() - t0 });
      }
      g.__jaxjsWebgpuEnv = {};
      return { avail, rows };
    }, CASES);
    expect(out.avail).toContain("webgpu");
    for (const [i, [name, , , tile, , split]] of CASES.entries()) {
      const r = out.rows[i]!;
      expect([name, r.maxErr < 1e-5]).toEqual([name, true]);
      expect([name, r.tiles.length]).toEqual([name, 1]); // the patch's kernel ran (once: compiled once)
      if (tile) expect([name, r.tiles[0]!.join("x")]).toEqual([name, tile]);
      if (split >= 0) expect([name, r.splits[0]]).toEqual([name, split]);
    }
  }, 90_000);

  test("gradients of an attention block (every matmul form under grad) equal Wasm's", async () => {
    const out = await page.evaluate(async () => {
      const g = globalThis as unknown as { jax: any; __jaxjsWebgpuStats: { matmuls: unknown[] } };
      const { init, numpy: np, nn, jit, grad } = g.jax;
      await init("webgpu", "wasm");
      const [B, T, D] = [2, 48, 64];
      // loss = sum(tanh(attn(x)·o)) with attention softmax(q·kᵀ/√D)·v; gradients w.r.t. all weights: x·W, dY·Wᵀ,
      // Xᵀ·dY and the batched q·kᵀ / p·v products with their transposes.
      const loss = (w: any, x: any) => {
        const q = np.matmul(x.ref, w.q), k = np.matmul(x.ref, w.k), v = np.matmul(x, w.v);
        const att = nn.softmax(np.matmul(q, k.transpose([0, 2, 1])).mul(1 / Math.sqrt(D)), -1);
        return np.tanh(np.matmul(np.matmul(att, v), w.o)).sum();
      };
      const df = jit(grad(loss));
      const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 977 + i * 0.61) * 0.2);
      const shapes: Record<string, number[]> = { q: [D, D], k: [D, D], v: [D, D], o: [D, D] };
      const run = async (device: string) => {
        const w: Record<string, unknown> = {};
        Object.entries(shapes).forEach(([name, s], i) => (w[name] = np.array(fill(s[0]! * s[1]!, i + 1), { device }).reshape(s)));
        const gr = df(w, np.array(fill(B * T * D, 9), { device }).reshape([B, T, D]));
        const outp: Record<string, Float32Array> = {};
        for (const name of Object.keys(shapes)) outp[name] = (await gr[name].data()) as Float32Array;
        return outp;
      };
      const before = g.__jaxjsWebgpuStats.matmuls.length;
      const gpu = await run("webgpu");
      const tiled = g.__jaxjsWebgpuStats.matmuls.length - before;
      const cpu = await run("wasm");
      const errs: Record<string, number> = {};
      for (const name of Object.keys(shapes)) {
        let e = 0, m = 0;
        for (let i = 0; i < cpu[name]!.length; i++) {
          e = Math.max(e, Math.abs(gpu[name]![i]! - cpu[name]![i]!));
          m = Math.max(m, Math.abs(cpu[name]![i]!));
        }
        errs[name] = e / m;
      }
      return { errs, tiled };
    });
    for (const [name, e] of Object.entries(out.errs)) expect([name, e < 1e-5]).toEqual([name, true]);
    expect(out.tiled).toBeGreaterThanOrEqual(8); // forward, input-gradient and weight-gradient matmuls took the tiled kernel
  }, 90_000);

  test("later calls of a jitted gradient run eagerly from the executable cache (jit-eager patch) and equal Wasm's", async () => {
    const out = await page.evaluate(async () => {
      const g = globalThis as unknown as { jax: any; __jaxjsWebgpuStats: { cachedExecutables: number } };
      const { init, numpy: np, jit, valueAndGrad } = g.jax;
      await init("webgpu", "wasm");
      const loss = (w: any, x: any) => np.tanh(np.matmul(np.tanh(np.matmul(x, w.a)), w.b)).sum();
      const f = jit(valueAndGrad(loss));
      const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 331 + i * 0.53) * 0.3);
      const run = async (device: string, seed: number) => {
        const w = { a: np.array(fill(48 * 64, 1), { device }).reshape([48, 64]), b: np.array(fill(64 * 40, 2), { device }).reshape([64, 40]) };
        // the input goes through an eager op first, so the program also has to submit its inputs' pending kernels
        const x = np.array(fill(96 * 48, seed), { device }).reshape([96, 48]).mul(2);
        const [v, gr] = f(w, x);
        return [(await v.data()) as Float32Array, (await gr.a.data()) as Float32Array, (await gr.b.data()) as Float32Array];
      };
      const rows: { maxErr: number; eager: number }[] = [];
      for (const seed of [3, 4, 5]) {
        const c0 = g.__jaxjsWebgpuStats.cachedExecutables;
        const gpu = await run("webgpu", seed);
        const eager = g.__jaxjsWebgpuStats.cachedExecutables - c0;
        const cpu = await run("wasm", seed);
        let maxErr = 0;
        for (let k = 0; k < 3; k++) for (let i = 0; i < cpu[k]!.length; i++) maxErr = Math.max(maxErr, Math.abs(gpu[k]![i]! - cpu[k]![i]!) / Math.max(1, Math.abs(cpu[k]![i]!)));
        rows.push({ maxErr, eager });
      }
      return rows;
    });
    for (const r of out) expect(r.maxErr).toBeLessThan(1e-5);
    expect(out[0]!.eager).toBe(0); // the first call builds its pipelines (asynchronously, as jax-js does)
    expect(out[1]!.eager).toBeGreaterThan(3); // the program's kernels found in the cache: it runs eagerly from now on
  }, 60_000);

  test("cached bind groups (patch 207): pooled buffers reused across calls with new contents and swapped roles give Wasm's results", async () => {
    const out = await page.evaluate(async () => {
      const g = globalThis as unknown as { jax: any; __jaxjsWebgpuStats: { bindGroups?: { created: number; hits: number } } };
      const { init, numpy: np, jit } = g.jax;
      await init("webgpu", "wasm");
      // Several kernels with same-sized intermediates, so pooled buffers change roles between calls.
      const f = jit((a: any, b: any) => {
        const h = np.tanh(np.matmul(a.ref, b.ref)).mul(1.5);
        const s = np.exp(h.ref.sub(h.max(-1, { keepdims: true })));
        return np.matmul(s, b.transpose()).add(a.mul(0.25));
      });
      const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 211 + i * 0.41) * 0.6);
      const rows: { maxErr: number; hits: number }[] = [];
      for (let call = 0; call < 6; call++) {
        const da = fill(40 * 40, call + 1), db = fill(40 * 40, call + 11);
        const run = async (device: string) => {
          const a = np.array(da, { device }).reshape([40, 40]), b = np.array(db, { device }).reshape([40, 40]);
          // odd calls swap the operands' roles: the same two buffers are bound in the other order
          const r = call % 2 ? f(b, a) : f(a, b);
          return (await r.data()) as Float32Array;
        };
        const h0 = g.__jaxjsWebgpuStats.bindGroups?.hits ?? 0;
        const gpu = await run("webgpu");
        const hits = (g.__jaxjsWebgpuStats.bindGroups?.hits ?? 0) - h0;
        const cpu = await run("wasm");
        let maxErr = 0;
        for (let i = 0; i < cpu.length; i++) maxErr = Math.max(maxErr, Math.abs(gpu[i]! - cpu[i]!) / Math.max(1, Math.abs(cpu[i]!)));
        rows.push({ maxErr, hits });
      }
      return rows;
    });
    for (const [i, r] of out.entries()) expect([i, r.maxErr < 1e-5]).toEqual([i, true]);
    // the cache was used: later calls found bind groups made by earlier ones
    expect(out.slice(2).reduce((a, r) => a + r.hits, 0)).toBeGreaterThan(0);
  }, 60_000);

  test("a jitted program of many kernels is one queue submit and one compute pass; its result equals Wasm's", async () => {
    const out = await page.evaluate(async () => {
      const g = globalThis as unknown as { jax: any; __jaxjsWebgpuStats: { submits: number; passes: number } };
      const { init, numpy: np, jit } = g.jax;
      await init("webgpu", "wasm");
      // Reductions do not fuse with each other in jax-js: each line is at least one kernel.
      const f = jit((x: any) => {
        let y = x;
        for (let i = 0; i < 6; i++) y = np.exp(y.ref.sub(y.max(-1, { keepdims: true })));
        return y.sum(-1);
      });
      const data = Float32Array.from({ length: 64 * 32 }, (_, i) => Math.cos(i));
      const run = async (device: string) => (await f(np.array(data, { device }).reshape([64, 32])).data()) as Float32Array;
      await run("webgpu"); // compile
      const s0 = g.__jaxjsWebgpuStats.submits;
      const p0 = g.__jaxjsWebgpuStats.passes;
      const gpu = await run("webgpu");
      const submits = g.__jaxjsWebgpuStats.submits - s0;
      const passes = g.__jaxjsWebgpuStats.passes - p0; // patch 202: the program's dispatches share one compute pass
      const cpu = await run("wasm");
      let maxErr = 0;
      for (let i = 0; i < cpu.length; i++) maxErr = Math.max(maxErr, Math.abs(gpu[i]! - cpu[i]!) / Math.max(1, Math.abs(cpu[i]!)));
      return { submits, passes, maxErr };
    });
    expect(out.maxErr).toBeLessThan(1e-5);
    expect(out.submits).toBe(1);
    expect(out.passes).toBe(1);
  }, 30_000);
});

/**
 * [name, shape of x, the program as source text over (np, x), the data ("sin": sin-filled ±2, "spiky": with −inf,
 * ±3·10³⁸, "int": small integers as int32, "near1": 1 ± 10⁻⁴), the modes the long-reduction kernel must record ([]:
 * it must not run), the largest relative error allowed against Wasm, a float64 reference computed in the page].
 */
type ReduceCase = [string, number[], string, string, string[], number, Ref?];
/** Float64 reference along the last axis of the float32 inputs, to see which summation order is closer. */
type Ref = "sum" | "lse" | "prod";
const REDUCE_CASES: ReduceCase[] = [
  ["max over a 151,936 vocabulary", [3, 151936], "x.max(-1)", "sin", ["row"], 0],
  ["log Σ exp(x − max), 151,936 (fused prologue)", [3, 151936], "np.log(np.exp(x.ref.sub(x.max(-1, { keepdims: true }))).sum(-1))", "sin", ["row"], 1e-5, "lse"], // the max's kernel is cached from the case above: one new one
  ["sum, ragged row 10,007, fused epilogue", [5, 10007], "np.tanh(x.mul(3).sum(-1).mul(0.01))", "sin", ["row"], 1e-5],
  ["max with −inf and ±3e38", [4, 4099], "x.max(-1)", "spiky", ["row"], 0],
  ["min with −inf and ±3e38", [4, 4099], "x.min(-1)", "spiky", ["row"], 0],
  ["product of values near 1", [2, 6000], "x.prod(-1)", "near1", ["row"], 1e-4, "prod"],
  ["int32 sum", [3, 5000], "x.sum(-1)", "int", ["row"], 0],
  ["short rows (2,048), many of them", [300, 2048], "x.sum(-1)", "sin", ["row"], 1e-5, "sum"],
  ["column sum over tokens (2,500 × 96 → 96)", [2500, 96], "x.sum(0)", "sin", ["column"], 1e-5],
  ["column max, ragged outputs (3,000 × 50)", [3000, 50], "x.max(0)", "sin", ["column"], 0],
  ["sum over two leading axes (4 × 600 × 96 → 96)", [4, 600, 96], "x.sum([0, 1])", "sin", ["column"], 1e-5],
  ["argmax over a long row (an all −inf row: index 0)", [3, 9000], "np.argmax(x, -1)", "spiky", ["row"], 0], // its Max<int32> over (x == max)·iota stays jax-js's (iota broadcast along the outputs: see docs/jax-patch.md)
  ["rows shorter than the threshold: jax-js's kernel", [40, 1000], "x.sum(-1)", "sin", [], 1e-5],
  ["a matrix-vector product (one row of x times x) is left to jax-js", [2100, 2100], "np.matmul(x.ref.slice([0, 1]), x)", "sin", [], 1e-4],
];

describeNeeding(CHROMIUM, "jax-js WebGPU long-reduction kernel (patch 209) on SwiftShader", () => {
  test("long-row and column reductions (Add/Max/Min/Mul, f32/i32, fused prologue and epilogue) equal Wasm's", async () => {
    const out = await page.evaluate(async (cases: ReduceCase[]) => {
      const g = globalThis as unknown as { jax: any; __jaxjsWebgpuEnv?: Record<string, string>; __jaxjsWebgpuStats: { reductions?: { mode: string }[] } };
      const { init, numpy: np, jit } = g.jax;
      await init("webgpu", "wasm");
      const rows: { name: string; maxErr: number; modes: string[]; nonFinite: number; gpuVs64?: number; wasmVs64?: number }[] = [];
      for (const [name, shape, src, data, , , ref] of cases) {
        const n = shape.reduce((p, q) => p * q);
        const vals = Array.from({ length: n }, (_, i) => {
          const s = Math.sin(i * 0.7071 + 0.3);
          if (data === "spiky") return i < shape.at(-1)! ? -Infinity : i % 997 === 5 ? -Infinity : i % 1009 === 7 ? 3e38 * Math.sign(s) : i % 1013 === 11 ? -3e38 : s * 1e30;
          if (data === "int") return Math.round(s * 1000);
          if (data === "near1") return 1 + s * 1e-4;
          return s * 2;
        });
        const fn = new Function("np", "x", `return ${src};`);
        const f = jit((x: unknown) => fn(np, x));
        const run = async (device: string) => {
          const x = data === "int" ? np.array(Int32Array.from(vals), { device, dtype: np.int32 }) : np.array(Float32Array.from(vals), { device });
          return Array.from((await f(x.reshape(shape)).data()) as ArrayLike<number>);
        };
        const before = g.__jaxjsWebgpuStats.reductions?.length ?? 0;
        const gpu = await run("webgpu");
        const modes = (g.__jaxjsWebgpuStats.reductions ?? []).slice(before).map((r) => r.mode);
        const cpu = await run("wasm");
        let maxErr = 0, nonFinite = 0;
        for (let i = 0; i < cpu.length; i++) {
          if (!Number.isFinite(cpu[i]!)) {
            nonFinite++;
            if (!Object.is(gpu[i], cpu[i])) maxErr = Infinity;
          } else maxErr = Math.max(maxErr, Math.abs(gpu[i]! - cpu[i]!) / Math.max(1, Math.abs(cpu[i]!)));
        }
        let gpuVs64: number | undefined, wasmVs64: number | undefined;
        if (ref) {
          const f32 = Float32Array.from(vals), V = shape.at(-1)!;
          gpuVs64 = wasmVs64 = 0;
          for (let r = 0; r < cpu.length; r++) {
            const row = Array.from(f32.subarray(r * V, (r + 1) * V));
            const m = row.reduce((a, b) => Math.max(a, b), -Infinity);
            // error scale: Σ|x| for a sum (its condition), |result| for a product, 1 for a log (relative on the sum)
            const want = ref === "sum" ? row.reduce((a, b) => a + b, 0) : ref === "prod" ? row.reduce((a, b) => a * b, 1) : Math.log(row.reduce((a, b) => a + Math.exp(b - m), 0));
            const scale = ref === "sum" ? row.reduce((a, b) => a + Math.abs(b), 0) : ref === "prod" ? Math.abs(want) : 1;
            gpuVs64 = Math.max(gpuVs64, Math.abs(gpu[r]! - want) / scale);
            wasmVs64 = Math.max(wasmVs64, Math.abs(cpu[r]! - want) / scale);
          }
        }
        rows.push({ name, maxErr, modes, nonFinite, gpuVs64, wasmVs64 });
      }
      return rows;
    }, REDUCE_CASES);
    if (process.env.THINKRL_TEST_VERBOSE) console.info(out);
    for (const [i, [name, , , , modes, tol]] of REDUCE_CASES.entries()) {
      const r = out[i]!;
      expect([name, r.maxErr <= tol]).toEqual([name, true]);
      expect([name, r.modes]).toEqual([name, modes]); // the patch's kernel ran (or, for short rows, did not)
    }
    expect([out[3]!.nonFinite, out[4]!.nonFinite]).toEqual([1, 4]); // the all −inf row (max), every row (min)
    // the long-row order (256 strided partial sums, then a tree) is no further from float64 than Wasm's
    for (const r of out) if (r.gpuVs64 !== undefined) expect([r.name, r.gpuVs64 <= Math.max(2 * r.wasmVs64!, 1e-7)]).toEqual([r.name, true]);
  }, 120_000);

  test("gradients through the LM head's log-probs and entropy (tokenLogprobs' form) equal Wasm's; JAXJS_WEBGPU_REDUCE=0 restores jax-js's kernels", async () => {
    const out = await page.evaluate(async () => {
      const g = globalThis as unknown as { jax: any; __jaxjsWebgpuEnv?: Record<string, string>; __jaxjsWebgpuStats: { reductions?: { mode: string; op: string }[] } };
      const { init, numpy: np, lax, jit, valueAndGrad } = g.jax;
      await init("webgpu", "wasm");
      const [N, D] = [6, 64];
      // src/model/logprobs.ts tokenLogprobs over logits = h·W: max (outside the gradient), log Σ exp(x − max), the
      // target picked by compare-and-sum, the entropy; loss = −Σ logp − 0.1 Σ entropy.
      const loss = (w: any, h: any, t: any) => {
        const V = w.shape[1];
        const x = np.matmul(h, w);
        const max = lax.stopGradient(np.max(x.ref, -1, { keepdims: true }));
        const lse = np.log(np.exp(x.ref.sub(max.ref)).sum(-1, { keepdims: true }));
        const shifted = x.ref.sub(max.ref);
        const expectation = np.exp(shifted.ref.sub(lse.ref)).mul(shifted).sum(-1);
        const entropy = np.squeeze(lse.ref, -1).sub(expectation);
        const hit = np.equal(t.reshape([N, 1]), np.arange(V, undefined, undefined, { dtype: np.int32 }));
        const logp = np.where(hit, x, 0).sum(-1).sub(np.squeeze(max, -1)).sub(np.squeeze(lse, -1));
        return logp.sum().neg().sub(entropy.sum().mul(0.1));
      };
      const fill = (n: number, seed: number, a: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 613 + i * 0.77) * a);
      // Compiled kernels are cached per kernel, whatever the switch: the run with the switch off uses another V.
      const run = async (device: string, V = 5003) => {
        const targets = Int32Array.from({ length: N }, (_, i) => (i * 1777 + 5) % V);
        const f = jit(valueAndGrad(loss, { argnums: [0, 1] }));
        const [v, [gw, gh]] = f(np.array(fill(D * V, 1, 0.5), { device }).reshape([D, V]), np.array(fill(N * D, 2, 1), { device }).reshape([N, D]), np.array(targets, { device, dtype: np.int32 }));
        return [Array.from((await v.data()) as Float32Array), Array.from((await gw.data()) as Float32Array), Array.from((await gh.data()) as Float32Array)];
      };
      const err = (a: number[][], b: number[][]) => Math.max(...a.map((x, k) => { let e = 0, m = 0; for (let i = 0; i < x.length; i++) { e = Math.max(e, Math.abs(x[i]! - b[k]![i]!)); m = Math.max(m, Math.abs(b[k]![i]!)); } return e / m; }));
      const cpu = await run("wasm"), cpuOff = await run("wasm", 5011);
      g.__jaxjsWebgpuEnv = {};
      const r0 = g.__jaxjsWebgpuStats.reductions?.length ?? 0;
      const on = await run("webgpu");
      const recorded = (g.__jaxjsWebgpuStats.reductions ?? []).slice(r0).map((r) => `${r.op} ${r.mode}`);
      g.__jaxjsWebgpuEnv = { JAXJS_WEBGPU_REDUCE: "0" };
      const r1 = g.__jaxjsWebgpuStats.reductions?.length ?? 0;
      const off = await run("webgpu", 5011);
      const recordedOff = (g.__jaxjsWebgpuStats.reductions?.length ?? 0) - r1;
      g.__jaxjsWebgpuEnv = {};
      return { errOn: err(on, cpu), errOff: err(off, cpuOff), recorded, recordedOff, loss: cpu[0]![0] };
    });
    if (process.env.THINKRL_TEST_VERBOSE) console.info(out);
    expect(Number.isFinite(out.loss)).toBe(true);
    expect(out.errOn).toBeLessThan(1e-5);
    expect(out.errOff).toBeLessThan(1e-5);
    // the forward's max, sum-exp, expectation and pick are long rows of V: the patch's kernel ran for them
    expect(out.recorded.filter((r) => r.endsWith("row")).length).toBeGreaterThanOrEqual(3);
    expect(out.recorded).toContain("Max row");
    expect(out.recordedOff).toBe(0);
  }, 90_000);
});
