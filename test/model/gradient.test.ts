/**
 * Backprop through the whole model: the gradient of Σ_t w_t · log π(target_t) (the shape of every policy loss)
 * with respect to individual parameter entries matches finite differences.
 *
 * Computed in float64 (jit + valueAndGrad work in float64 on Wasm), but jax-js 0.1.25's Wasm `exp`/`log` are
 * float32-grade approximations even for float64 inputs (measured: exp relative error ≈ 3e-7; log absolute error
 * up to 1.2e-5 just below 1). So the objective carries ~1e-7 of non-smooth noise: a tiny step (h = 1e-6) gives
 * FD errors of ~0.05, and even the analytic gradient differs from the true one by ~1e-4. Hence a 5-point stencil
 * with a moderate step and a 2e-3 tolerance (observed worst |Δ| ≈ 5e-4); a wrong gradient rule is off by O(|g|).
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { ModelConfig } from "../../src/model/config.js";
import type { LlamaParams, PositionInputs } from "../../src/model/llama.js";

await initEngine("wasm");
const { jit, numpy: np, tree, valueAndGrad } = await import("@jax-js/jax");
const { defaultModelConfig } = await import("../../src/model/default.js");
const { initTensors, paramsFromTensors } = await import("../../src/model/params.js");
const { forward } = await import("../../src/model/llama.js");
const { tokenLogprobs } = await import("../../src/model/logprobs.js");
const { fullPositionInputs } = await import("../../src/model/positions.js");
const { Rng } = await import("../../src/core/rng.js");

type Arr = ReturnType<typeof np.array>;

const LLAMA: ModelConfig = { ...defaultModelConfig(), hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 4 };
const QWEN2: ModelConfig = { ...LLAMA, modelType: "qwen2", attentionBias: true, tieWordEmbeddings: true, ropeTheta: 1e6 };
/** Weight std: large enough that every term of the gradient matters (0.02 leaves the model near-linear). */
const INIT_STD = 0.3;
/** Finite-difference step: large enough to average out the ~1e-7 noise of Wasm exp/log (see header). */
const H = 3e-3;
/** |analytic − FD| ≤ TOL · max(1, |analytic|). */
const TOL = 2e-3;

/** A parameter entry: which leaf, and a flat index into it. */
interface Probe {
  name: string;
  get: (p: LlamaParams) => Arr;
  set: (p: LlamaParams, a: Arr) => void;
  index: number;
}

const B = 2, T = 6;
const TOKENS = [1, 5, 9, 12, 7, 20, 1, 22, 3, 3, 14, 8];
const TARGETS = [5, 9, 12, 7, 20, 2, 22, 3, 3, 14, 8, 2];

function probes(cfg: ModelConfig): Probe[] {
  const D = cfg.hiddenSize;
  const out: Probe[] = [
    { name: "embed[9, 3]", get: (p) => p.embed, set: (p, a) => (p.embed = a), index: 9 * D + 3 },
    { name: "layers[0].q[2, 5]", get: (p) => p.layers[0]!.q, set: (p, a) => (p.layers[0]!.q = a), index: 2 * (cfg.numAttentionHeads * cfg.headDim) + 5 },
    { name: "layers[1].down[7, 4]", get: (p) => p.layers[1]!.down, set: (p, a) => (p.layers[1]!.down = a), index: 7 * D + 4 },
    { name: "layers[1].k[0, 3]", get: (p) => p.layers[1]!.k, set: (p, a) => (p.layers[1]!.k = a), index: 3 },
    { name: "layers[0].inputNorm[6]", get: (p) => p.layers[0]!.inputNorm, set: (p, a) => (p.layers[0]!.inputNorm = a), index: 6 },
    { name: "norm[11]", get: (p) => p.norm, set: (p, a) => (p.norm = a), index: 11 },
  ];
  if (cfg.attentionBias) out.push({ name: "layers[0].qBias[1]", get: (p) => p.layers[0]!.qBias!, set: (p, a) => (p.layers[0]!.qBias = a), index: 1 });
  return out;
}

describe.each([
  ["llama", LLAMA],
  ["qwen2", QWEN2],
])("%s", (_name, cfg) => {
  test("∂(Σ w·logp)/∂θ matches finite differences (float64)", async () => {
    const rng = new Rng(3);
    const tensors = initTensors(cfg, rng, INIT_STD);
    for (const [n, t] of tensors) if (n.endsWith(".bias")) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.next() - 0.5;
    const params = tree.map((a: Arr) => a.astype(np.float64), paramsFromTensors(cfg, tensors)) as LlamaParams;
    const pos32 = fullPositionInputs(cfg, B, T);
    const pos: PositionInputs = { cos: pos32.cos.astype(np.float64), sin: pos32.sin.astype(np.float64), mask: pos32.mask };
    const tokens = np.array(Int32Array.from(TOKENS), { dtype: np.int32 }).reshape([B, T]);
    const targets = np.array(Int32Array.from(TARGETS), { dtype: np.int32 }).reshape([B, T]);
    const w = np.array(Float64Array.from({ length: B * T }, () => 2 * rng.next() - 1), { dtype: np.float64 }).reshape([B, T]);

    const objective = (p: LlamaParams, tok: Arr, tgt: Arr, ps: PositionInputs, wt: Arr): Arr => {
      const { logits, kv } = forward(p, cfg, tok, ps);
      for (const { k, v } of kv) {
        k.dispose();
        v.dispose();
      }
      const { logp, entropy } = tokenLogprobs(logits, tgt);
      entropy.dispose();
      return logp.mul(wt).sum();
    };
    const value = jit(objective);
    const valueGrad = jit(valueAndGrad(objective)); // eager grad leaks in jax-js: always jit
    const f = async (p: LlamaParams): Promise<number> =>
      (await value(p, tokens.ref, targets.ref, tree.ref(pos), w.ref).data())[0]!;

    const [v0, grads] = valueGrad(tree.ref(params), tokens.ref, targets.ref, tree.ref(pos), w.ref) as [Arr, LlamaParams];
    expect(v0.dtype).toBe(np.float64);
    v0.dispose();

    for (const pr of probes(cfg)) {
      const g = pr.get(grads);
      expect(g.dtype).toBe(np.float64);
      const analytic = (await g.ref.data())[pr.index]!;
      const leaf = pr.get(params);
      const base = Float64Array.from(await leaf.ref.data());
      const at = async (delta: number): Promise<number> => {
        const data = base.slice();
        data[pr.index]! += delta;
        const p = tree.ref(params);
        pr.get(p).dispose();
        pr.set(p, np.array(data, { dtype: np.float64 }).reshape(leaf.shape));
        return f(p);
      };
      // 5-point central stencil: truncation error O(h⁴).
      const fd = (8 * ((await at(H)) - (await at(-H))) - ((await at(2 * H)) - (await at(-2 * H)))) / (12 * H);
      expect(Math.abs(analytic), `${pr.name} gradient is not trivially zero`).toBeGreaterThan(1e-4);
      expect(Math.abs(analytic - fd), `${pr.name}: analytic ${analytic} vs FD ${fd}`).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(analytic)));
    }
    tree.dispose(grads);
    tree.dispose(params);
    tree.dispose(pos);
    tokens.dispose();
    targets.dispose();
    w.dispose();
  });
});
