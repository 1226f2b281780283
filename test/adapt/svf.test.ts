/**
 * Transformer² SVF on the Hugging Face fixtures: float64 SVD reconstruction of every linear matrix, the identity
 * expert's logits, the mix (hand-computed W′ at α = (0.5, 0.5), exactly the base at α = 0), a learner run that moves
 * only the expert vectors (base bitwise unchanged), and expert files (round trip, one-line errors).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { numpy: np } = await import("@jax-js/jax");
const { loadModel } = await import("../../src/model/load.js");
const { paramsToTensors } = await import("../../src/model/params.js");
const { Rng } = await import("../../src/core/rng.js");
const { svd, reconstructionError } = await import("../../src/adapt/svd.js");
const { selectTargets } = await import("../../src/adapt/targets.js");
const { svdFactors } = await import("../../src/adapt/svd-cache.js");
const svf = await import("../../src/adapt/svf.js");
const { decodeSvfExpert, encodeSvfExpert } = await import("../../src/adapt/expert-file.js");
const { Learner } = await import("../../src/train/learner.js");
const { packSequences } = await import("../../src/train/batch.js");
const { tokenWeights } = await import("../../src/rl/aggregate.js");
const { reinforce } = await import("../../src/rl/losses/index.js");

const HF = join(import.meta.dirname, "..", "fixtures", "hf");
const cacheDir = mkdtempSync(join(tmpdir(), "thinkrl-svd-"));
type CausalLM = Awaited<ReturnType<typeof loadModel>>;

async function logits(m: CausalLM, ids: number[]): Promise<Float32Array> {
  const B = 1, T = ids.length;
  const tokens = Int32Array.from(ids);
  const targets = Int32Array.from(ids.map((_, i) => ids[(i + 1) % ids.length]!));
  return (await m.sequenceLogprobs({ B, T, tokens, targets })).logp;
}
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((mx, x, i) => Math.max(mx, Math.abs(x - b[i]!)), 0);

describe.each(["tiny-llama", "tiny-qwen2"])("%s", (name) => {
  test("every linear matrix reconstructs within 1e-6 (Frobenius, relative), both float64 methods", async () => {
    const model = await loadModel(join(HF, name));
    const tensors = await paramsToTensors(model.config, model.params);
    const targets = selectTargets(model.config.numHiddenLayers, ["proj"]);
    expect(targets).toHaveLength(7 * model.config.numHiddenLayers);
    const { report } = await svdFactors(model, targets, { cacheDir });
    for (const r of report) expect(r.relError, r.name).toBeLessThanOrEqual(1e-6);
    const w = tensors.get(targets[0]!.name)!;
    const gk = svd(w.data, w.shape[0]!, w.shape[1]!, "golub-kahan");
    expect(reconstructionError(w.data, gk)).toBeLessThan(1e-12);
    const again = await svdFactors(model, targets, { cacheDir }); // read back from the cache
    expect(again.report.every((r) => r.cached)).toBe(true);
    expect(again.factors.byName.get(targets[3]!.name)!.S).toEqual((await svdFactors(model, targets, { cacheDir })).factors.byName.get(targets[3]!.name)!.S);
    model.dispose();
  });

  test("an identity expert (z = 1) gives the base logits within 1e-5; the reference's initial sigmoid expert stays close", async () => {
    const model = await loadModel(join(HF, name));
    const targets = selectTargets(model.config.numHiddenLayers, ["mlp", "self_attn"]);
    const { factors } = await svdFactors(model, targets, { cacheDir });
    const ids = [1, 3, 11, 14, 44, 9, 50, 12];
    const base = await logits(model, ids);
    const meta = { targets: ["mlp", "self_attn"], task: null, validationScore: null };
    const id = svf.initSvfExpert(factors, { parameterization: "direct", rng: new Rng(0), std: 0, meta });
    const adapted = svf.mixedModel(model, factors, [id], [1]);
    expect(adapted === model).toBe(false);
    expect(maxAbsDiff(await logits(adapted, ids), base)).toBeLessThanOrEqual(1e-5);
    svf.disposeAdapted(adapted);
    const ref = svf.initSvfExpert(factors, { parameterization: "sigmoid", rng: new Rng(0), meta });
    const near = svf.mixedModel(model, factors, [ref], [1]);
    const d = maxAbsDiff(await logits(near, ids), base);
    expect(d).toBeGreaterThan(1e-7); // the noise moves it …
    expect(d).toBeLessThan(0.2); // … but the rescale keeps W′ ≈ W (σ scaled by 1 ± ~0.5%)
    svf.disposeAdapted(near);
    model.dispose();
  });
});

test("a mix α = (0.5, 0.5) matches W′ computed by hand from the applied masks; α = 0 is the base model itself", async () => {
  const model = await loadModel(join(HF, "tiny-llama"));
  const targets = selectTargets(model.config.numHiddenLayers, ["mlp"], [1]);
  const { factors } = await svdFactors(model, targets, { cacheDir });
  const meta = { targets: ["mlp"], task: null, validationScore: null };
  const e1 = svf.initSvfExpert(factors, { parameterization: "sigmoid", rng: new Rng(1), std: 1, meta });
  const e2 = svf.initSvfExpert(factors, { parameterization: "sigmoid", rng: new Rng(2), std: 1, meta });
  expect(svf.mixedModel(model, factors, [e1, e2], [0, 0]) === model).toBe(true);
  const mixed = svf.mixedModel(model, factors, [e1, e2], [0.5, 0.5]);
  for (const t of targets) {
    const f = factors.byName.get(t.name)!;
    const p1 = e1.vectors.get(t.name)!, p2 = e2.vectors.get(t.name)!;
    // By hand: m′ = ½·sigmoid(p1) + ½·sigmoid(p2); s′ = σ⊙m′·Σσ/Σ(σ⊙m′); W′_hf = U·diag(s′)·Vᵀ, ours is its transpose.
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const m = Array.from(p1, (x, i) => 0.5 * sig(x) + 0.5 * sig(p2[i]!));
    const sm = m.map((x, i) => x * f.S[i]!);
    const scale = f.S.reduce((a, b) => a + b, 0) / sm.reduce((a, b) => a + b, 0);
    const got = (await mixed.params.layers[t.layer]![t.key].ref.data()) as Float32Array; // [in, out]
    let err = 0;
    for (let o = 0; o < f.out; o++) for (let i = 0; i < f.in; i++) {
      let w = 0;
      for (let r = 0; r < f.k; r++) w += f.U[o * f.k + r]! * sm[r]! * scale * f.V[i * f.k + r]!;
      err = Math.max(err, Math.abs(w - got[i * f.out + o]!));
    }
    expect(err, t.name).toBeLessThan(1e-5);
  }
  // Matrices outside the targets are the base's own arrays.
  expect(mixed.params.layers[0]!.gate === model.params.layers[0]!.gate).toBe(true);
  svf.disposeAdapted(mixed);
  model.dispose();
});

test("REINFORCE steps on the SVF binding move the vectors and the rollout policy; the base weights stay bitwise", async () => {
  const model = await loadModel(join(HF, "tiny-qwen2"));
  const before = await paramsToTensors(model.config, model.params);
  const targets = selectTargets(model.config.numHiddenLayers, ["mlp"]);
  const { factors } = await svdFactors(model, targets, { cacheDir });
  const expert = svf.initSvfExpert(factors, { parameterization: "sigmoid", rng: new Rng(3), meta: { targets: ["mlp"], task: null, validationScore: null } });
  const tr = new svf.SvfTrainer(model, factors, expert);
  const opt = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1e-3 }; // the reference's clip
  const learner = new Learner(tr.policy, reinforce, opt, { binding: tr.binding, objectiveConfig: { epsilon: 0.2, epsilonHigh: 0.2, beta: 0, numIterations: 1, scaleRewards: "none" } });
  const b = packSequences([[1, 3, 11], [1, 3, 12], [1, 5, 9], [1, 7, 7]], [[14, 44, 2], [9, 2], [50, 12, 2], [4, 2]], model.padId, undefined, 4);
  const advantages = Float32Array.from([1, -1, 1, -1]);
  const ids = [1, 3, 11, 14, 44];
  const policyBefore = await logits(tr.policy, ids);
  for (let s = 0; s < 3; s++) {
    await learner.update({ ...b, advantages }, { microBatchSize: 2, miniBatches: 1, epochs: 1, lr: 2e-3, weights: (s0, e0) => tokenWeights("sequence_sum", b.mask.slice(s0 * b.T, e0 * b.T), e0 - s0, b.T, 8) });
  }
  const moved = await tr.current();
  const name = targets[0]!.name;
  expect(maxAbsDiff(moved.vectors.get(name)!, expert.vectors.get(name)!)).toBeGreaterThan(1e-3);
  expect(maxAbsDiff(await logits(tr.policy, ids), policyBefore)).toBeGreaterThan(1e-6);
  const after = await paramsToTensors(model.config, model.params);
  for (const [k, t] of before) expect(Buffer.from(after.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).toBe(true);
  learner.dispose();
  tr.dispose();
  model.dispose();
});

test("expert files round-trip with metadata; another base, a wrong length or a non-expert file fail in one line", async () => {
  const model = await loadModel(join(HF, "tiny-llama"));
  const targets = selectTargets(model.config.numHiddenLayers, ["mlp"]);
  const { factors } = await svdFactors(model, targets, { cacheDir });
  const e = svf.initSvfExpert(factors, { parameterization: "sigmoid", rng: new Rng(4), meta: { targets: ["mlp"], task: "arithmetic", validationScore: 0.5 } });
  const bytes = new Uint8Array(Buffer.concat(encodeSvfExpert(e)));
  const back = decodeSvfExpert(bytes, "x.safetensors");
  expect(back.meta).toMatchObject({ baseHash: factors.baseHash, task: "arithmetic", validationScore: 0.5, targets: ["mlp"] });
  expect(back.vectors.get(targets[0]!.name)).toEqual(e.vectors.get(targets[0]!.name));
  expect(svf.svfParamCount(back)).toBe(targets.length * 32);
  svf.checkExpertFits(back, factors);
  expect(() => svf.checkExpertFits({ ...back, meta: { ...back.meta, baseHash: "0".repeat(64) } }, factors)).toThrow(/another base model/);
  const short = new Map(back.vectors);
  short.set(targets[0]!.name, new Float32Array(3));
  expect(() => svf.checkExpertFits({ ...back, vectors: short }, factors)).toThrow(/has 3 values, the matrix has 32/);
  const other = new Map(back.vectors);
  other.set("model.layers.0.self_attn.q_proj.weight", new Float32Array(32));
  expect(() => svf.checkExpertFits({ ...back, vectors: other }, factors)).toThrow(/does not hold/);
  const { encodeSafetensors } = await import("../../src/model/safetensors.js");
  const plain = new Uint8Array(Buffer.concat(encodeSafetensors({ a: { shape: [2], data: new Float32Array(2) } }, "F32")));
  expect(() => decodeSvfExpert(plain, "lora.safetensors")).toThrow(/is not an SVF expert file/);
  model.dispose();
  void np;
});
