/**
 * jax-js patch 208 (float16 matmuls on WebGPU, docs/jax-patch.md) on Dawn's null backend (the optional `webgpu`
 * package): a device that validates every shader and command but runs nothing, and — unlike SwiftShader, which has
 * no `shader-f16` — offers `shader-f16`, `subgroups` and `chromium-experimental-subgroup-matrix`. So this checks
 * that the generated WGSL of both float16 kernels compiles and validates for every operand form (x·W, dY·Wᵀ, Xᵀ·dY,
 * batched, a folded decode step, ragged M/N/K, unaligned operands, fused epilogues), that the patch picks the kernel
 * its switches and the adapter's subgroup-matrix configurations say, and that generation with float16 weights
 * (`castWeights`) runs through them. Values are not checked here (nothing executes): the GPU script
 * `bench/gpu-f16wire-run.sh` measures the error against float64 on a real device.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

type Stats = { matmuls: { dtype?: string; kernel?: string; tiles: number[]; layout?: string[]; M: number; N: number; K: number }[] };
type Env = { __jaxjsWebgpuEnv?: Record<string, string>; __jaxjsWebgpuStats?: Stats };
const g = globalThis as unknown as Env & { navigator?: unknown };

let available = false;
const errors: string[] = [];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let jax: any;
let keep: unknown;

beforeAll(async () => {
  let mod: { create: (o: string[]) => unknown; globals: object };
  try {
    mod = (await import("webgpu" as string)) as typeof mod;
  } catch {
    return; // the optional package is missing: the tests below say so
  }
  Object.assign(globalThis, mod.globals);
  keep = mod.create(["backend=null", "enable-dawn-features=allow_unsafe_apis"]); // kept: its finalizer ends Dawn
  g.navigator = { userAgent: "node", gpu: keep };
  const { initEngine } = await import("../../src/engine/init.js");
  await initEngine("webgpu");
  jax = await import("@jax-js/jax");
  const device = jax.getWebGPUDevice();
  available = device.features.has("shader-f16") && device.features.has("chromium-experimental-subgroup-matrix");
  device.addEventListener("uncapturederror", (e: { error: { message: string } }) => errors.push(e.error.message));
}, 60_000);
afterAll(() => {
  g.__jaxjsWebgpuEnv = {};
  void keep;
});

/** Runs `f(a, b)` jitted on float16 inputs of the given shapes under `env`; returns the matmuls the patch compiled. */
async function run(env: Record<string, string>, sa: number[], sb: number[], f: (np: any, a: any, b: any) => any): Promise<Stats["matmuls"]> {
  const { numpy: np, jit } = jax;
  g.__jaxjsWebgpuEnv = env;
  const before = g.__jaxjsWebgpuStats!.matmuls.length;
  const mk = (s: number[]) => np.ones(s).astype(np.float16);
  const y = jit((a: unknown, b: unknown) => f(np, a, b))(mk(sa), mk(sb));
  await y.data();
  return g.__jaxjsWebgpuStats!.matmuls.slice(before);
}

/** [name, a shape, b shape, program, operand layouts the subgroup-matrix kernel must choose] */
const FORMS: [string, number[], number[], (np: any, a: any, b: any) => any, string[]][] = [
  ["x·W aligned", [256, 128], [128, 192], (np, a, b) => np.matmul(a, b), ["k-fast vec", "n-fast vec"]],
  ["x·W ragged N, bias, f32 result", [150, 40], [40, 140], (np, a, b) => np.matmul(a, b).astype(np.float32).add(1), ["k-fast vec", "n-fast scalar"]],
  ["Xᵀ·dY", [130, 96], [130, 72], (np, a, b) => np.matmul(a.transpose(), b), ["m-fast vec", "n-fast vec"]],
  ["dY·Wᵀ", [96, 200], [136, 200], (np, a, b) => np.matmul(a, b.transpose()), ["k-fast vec", "k-fast vec"]],
  ["batched", [2, 3, 64, 48], [2, 3, 48, 80], (np, a, b) => np.matmul(a, b), ["k-fast vec", "n-fast vec"]],
  ["decode step folded", [40, 1, 64], [64, 96], (np, a, b) => np.matmul(a, b), ["k-fast vec", "n-fast vec"]],
  ["odd K, scale epilogue", [64, 37], [37, 64], (np, a, b) => np.matmul(a, b).mul(3), ["k-fast scalar", "n-fast vec"]],
];

describe("jax-js patch 208 on Dawn's null backend", () => {
  test("the subgroup-matrix kernel compiles and validates for every operand form (JAXJS_WEBGPU_F16_SGMAT=force)", async (ctx) => {
    if (!available) ctx.skip();
    for (const [name, sa, sb, f, layout] of FORMS) {
      const mms = await run({ JAXJS_WEBGPU_F16_SGMAT: "force" }, sa, sb, f);
      expect([name, mms.map((m) => [m.dtype, m.kernel, m.layout])]).toEqual([name, [["float16", "subgroup-matrix", layout]]]);
    }
    expect(errors).toEqual([]);
  }, 60_000);

  test("without a listed f16 configuration (the null adapter lists none) or with JAXJS_WEBGPU_F16_SGMAT=0, the tiled kernel with f16 loads; JAXJS_WEBGPU_F16_MATMUL=0 leaves f16 to jax-js", async (ctx) => {
    if (!available) ctx.skip();
    // shapes unlike the test above, so no executable compiled under another switch is reused
    for (const [env, sa, sb] of [[{}, [160, 64], [64, 96]], [{ JAXJS_WEBGPU_F16_SGMAT: "0" }, [96, 72], [96, 40]]] as const) {
      const mms = await run({ ...env }, [...sa], [...sb], (np, a, b) => (sa[0] === 96 ? np.matmul(a.transpose(), b) : np.matmul(a, b).astype(np.float32)));
      expect([env, mms.map((m) => [m.dtype, m.kernel])]).toEqual([env, [["float16", "tiled"]]]);
    }
    const none = await run({ JAXJS_WEBGPU_F16_MATMUL: "0" }, [200, 64], [64, 88], (np, a, b) => np.matmul(a, b));
    expect(none).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);

  test("generation with float16 weights (castWeights) runs its products through the patch's kernels", async (ctx) => {
    if (!available) ctx.skip();
    g.__jaxjsWebgpuEnv = { JAXJS_WEBGPU_F16_SGMAT: "force" };
    const { loadModel } = await import("../../src/model/load.js");
    const { castWeights } = await import("../../src/model/params.js");
    const { generate } = await import("../../src/rollout/generate.js");
    const { Rng } = await import("../../src/core/rng.js");
    const model = await loadModel(join(import.meta.dirname, "..", "fixtures", "hf", "tiny-qwen2"));
    model.params = castWeights(model.params, "float16");
    expect(model.params.layers[0]!.q.dtype).toBe("float16");
    expect(model.params.lmHead?.dtype).toBe("float16");
    expect(model.params.embed.dtype).toBe("float32");
    const before = g.__jaxjsWebgpuStats!.matmuls.length;
    const out = await generate(model, Array.from({ length: 40 }, () => [1, 2, 3, 4, 5, 6, 7, 8]), { maxNewTokens: 3, temperature: 1, topP: 1, topK: 0 }, new Rng(1));
    expect(out.length).toBe(40);
    const f16 = g.__jaxjsWebgpuStats!.matmuls.slice(before).filter((m) => m.dtype === "float16");
    expect(f16.length).toBeGreaterThan(0);
    expect(f16.every((m) => m.kernel === "subgroup-matrix")).toBe(true);
    expect(errors).toEqual([]);
    g.__jaxjsWebgpuEnv = {};
  }, 120_000);
});
