/**
 * LoRA on the generic learner, in PEFT's layout: a fresh adapter leaves the logits unchanged (B = 0), steps move A/B
 * and the merged rollout policy while the base stays bitwise, `loraModel` merges W + (α/r)·BA exactly as the forward
 * hook does, and adapter directories round-trip (bad ones fail in one line).
 */
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { loadModel } = await import("../../src/model/load.js");
const { paramsToTensors } = await import("../../src/model/params.js");
const { Rng } = await import("../../src/core/rng.js");
const { selectTargets } = await import("../../src/adapt/targets.js");
const lora = await import("../../src/adapt/lora.js");
const { readPeftAdapter, writePeftAdapter } = await import("../../src/adapt/node.js");
const { Learner } = await import("../../src/train/learner.js");
const { packSequences } = await import("../../src/train/batch.js");
const { tokenWeights } = await import("../../src/rl/aggregate.js");
const { nll } = await import("../../src/rl/losses/index.js");

const HF = join(import.meta.dirname, "..", "fixtures", "hf");
type CausalLM = Awaited<ReturnType<typeof loadModel>>;
const ids = [1, 3, 11, 14, 44, 9, 50, 12];
const logp = async (m: CausalLM) => (await m.sequenceLogprobs({ B: 1, T: ids.length, tokens: Int32Array.from(ids), targets: Int32Array.from(ids.map((_, i) => ids[(i + 1) % ids.length]!)) })).logp;
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((mx, x, i) => Math.max(mx, Math.abs(x - b[i]!)), 0);

test("train a LoRA adapter: base bitwise unchanged, policy = merged adapter, PEFT directory round trip", async () => {
  const model = await loadModel(join(HF, "tiny-qwen2"));
  const before = await paramsToTensors(model.config, model.params);
  const base = await logp(model);
  const targets = selectTargets(model.config.numHiddenLayers, ["q_proj", "v_proj", "mlp.down_proj"]);
  const tr = new lora.LoraTrainer(model, lora.initLora(model, targets, { r: 4, alpha: 8, rng: new Rng(0) }));
  expect(lora.loraParamCount(tr.adapter)).toBe(2 * (4 * (32 + 32) + 4 * (32 + 16) + 4 * (64 + 32)));
  expect(maxAbsDiff(await logp(tr.policy), base)).toBe(0); // B = 0: W′ = W + 0
  const learner = new Learner(tr.policy, nll, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 }, { binding: tr.binding as never });
  const b = packSequences([[1, 3, 11], [1, 5, 9]], [[14, 44, 2], [50, 12, 2]], model.padId, undefined, 2);
  for (let s = 0; s < 3; s++) await learner.update(b, { microBatchSize: 2, miniBatches: 1, epochs: 1, lr: 1e-2, weights: (s0, e0) => tokenWeights("token_mean", b.mask.slice(s0 * b.T, e0 * b.T), e0 - s0, b.T, 8) });
  const trained = await tr.current();
  expect(Array.from(trained.B.get(targets[0]!.module)!.data).some((x) => x !== 0)).toBe(true);
  const policyLogp = await logp(tr.policy);
  expect(maxAbsDiff(policyLogp, base)).toBeGreaterThan(1e-4);
  const after = await paramsToTensors(model.config, model.params);
  for (const [k, t] of before) expect(Buffer.from(after.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).toBe(true);

  const dir = mkdtempSync(join(tmpdir(), "thinkrl-lora-"));
  await writePeftAdapter(dir, trained, model.config.numHiddenLayers, "tiny-qwen2");
  const back = await readPeftAdapter(dir, model);
  expect(new Set(back.targets.map((t) => t.name))).toEqual(new Set(targets.map((t) => t.name)));
  const merged = lora.loraModel(model, back);
  expect(maxAbsDiff(await logp(merged), policyLogp)).toBeLessThan(1e-5);
  lora.disposeLoraModel(merged);
  learner.dispose();
  tr.dispose();
  model.dispose();
});

test("bad PEFT adapters fail in one line", async () => {
  const model = await loadModel(join(HF, "tiny-llama"));
  const targets = selectTargets(model.config.numHiddenLayers, ["q_proj"]);
  const a = lora.initLora(model, targets, { r: 2, alpha: 4, rng: new Rng(1) });
  const { config, weights } = lora.encodePeft(a, 2, null);
  const w = new Uint8Array(Buffer.concat(weights));
  expect(lora.decodePeft(config, w, model, "ok").targets).toHaveLength(2);
  const cfg = JSON.parse(config) as Record<string, unknown>;
  expect(() => lora.decodePeft(JSON.stringify({ ...cfg, peft_type: "IA3" }), w, model, "d")).toThrow(/peft_type "IA3" is not LORA/);
  expect(() => lora.decodePeft(JSON.stringify({ ...cfg, r: 3 }), w, model, "d")).toThrow(/lora_A has shape \[2,32\], expected \[3, 32\]/);
  const qwen = await loadModel(join(HF, "tiny-qwen2"));
  const { encodeSafetensors } = await import("../../src/model/safetensors.js");
  const onlyA = new Uint8Array(Buffer.concat(encodeSafetensors({ "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": { shape: [2, 32], data: new Float32Array(64) } }, "F32")));
  expect(() => lora.decodePeft(config, onlyA, qwen, "d")).toThrow(/lacks lora_B/);
  const bad = new Uint8Array(Buffer.concat(encodeSafetensors({ "base_model.model.model.layers.9.self_attn.q_proj.lora_A.weight": { shape: [2, 32], data: new Float32Array(64) } }, "F32")));
  expect(() => lora.decodePeft(config, bad, qwen, "d")).toThrow(/is not a linear module of this model/);
  model.dispose();
  qwen.dispose();
});

test("LoRA dropout (PEFT semantics): on the branch's input only, p of its elements dropped, scaled by 1/(1 − p), seeded; the policy has none", async () => {
  const { numpy: np, tree } = await import("@jax-js/jax");
  const llama = await import("../../src/model/llama.js");
  /** One training forward's branch on layer 0's q_proj, applied to x = ones [1, 64, 32]. */
  const branchOnOnes = async (t: InstanceType<typeof lora.LoraTrainer>) => {
    const params = t.binding.effective(tree.ref(t.binding.get() as never) as never, tree.ref(t.binding.frozen() as never) as never);
    const y = (await params[llama.BRANCHES]![0]!.q!(np.ones([1, 64, 32])).data()) as Float32Array; // [1, 64, 32]
    tree.dispose(params as never);
    return y;
  };
  const model = await loadModel(join(HF, "tiny-qwen2"));
  const targets = selectTargets(model.config.numHiddenLayers, ["q_proj"]);
  const a = lora.initLora(model, targets, { r: 4, alpha: 8, rng: new Rng(0) });
  const rng = new Rng(5);
  for (const t of a.B.values()) for (let i = 0; i < t.data.length; i++) t.data[i] = 2 * rng.next() - 1;
  const p = 0.25;
  const tr = new lora.LoraTrainer(model, a, { dropout: p, seed: 3 });
  // The rollout policy is W + (α/r)·BA, with no dropout.
  const merged = lora.loraModel(model, a);
  expect(maxAbsDiff(await logp(tr.policy), await logp(merged))).toBe(0);
  lora.disposeLoraModel(merged);
  // The branch is y = (α/r)·(drop(x)·A)·B.
  const A = Float32Array.from(a.A.get(targets[0]!.module)!.data); // [r, in] (PEFT)
  const B = Float32Array.from(a.B.get(targets[0]!.module)!.data); // [out, r]
  const [y1, y2] = [await branchOnOnes(tr), await branchOnOnes(tr)];
  expect(maxAbsDiff(y1, y2)).toBeGreaterThan(1e-3); // a fresh mask per forward
  // Recover each token's kept inputs: y_t = 2·((k_t/(1 − p))·A)·B is linear in the mask k_t; with x = 1 the token
  // mean of y equals 2·(m̄/(1 − p))ᵀA·B for the mean mask m̄, whose mean over inputs ≈ 1 − p. Check against the
  // no-dropout branch 2·(1ᵀA)·B: E[y] = it, and y ≠ it on any single token.
  const full = new Float32Array(32);
  for (let o = 0; o < 32; o++) for (let k = 0; k < 4; k++) { let s = 0; for (let i = 0; i < 32; i++) s += A[k * 32 + i]!; full[o]! += 2 * s * B[o * 4 + k]!; }
  const mean = new Float32Array(32);
  for (const y of [y1, y2]) for (let t = 0; t < 64; t++) for (let o = 0; o < 32; o++) mean[o]! += y[t * 32 + o]! / 128;
  const rel = maxAbsDiff(mean, full) / Math.max(...Array.from(full, Math.abs));
  expect(rel).toBeLessThan(0.15); // 128 tokens × 32 inputs of Bernoulli(0.75) masks
  expect(maxAbsDiff(y1.slice(0, 32), full)).toBeGreaterThan(1e-3);
  // Seeded: a trainer with the same seed (or the saved RNG state) draws the same masks.
  const tr2 = new lora.LoraTrainer(model, a, { dropout: p, seed: 3 });
  const state = tr2.dropoutState;
  const z1 = await branchOnOnes(tr2);
  expect(maxAbsDiff(z1, y1)).toBe(0);
  tr2.dropoutState = state;
  const z2 = await branchOnOnes(tr2);
  expect(maxAbsDiff(z2, y1)).toBe(0);
  // It trains through the learner, and the PEFT config records the dropout.
  const learner = new Learner(tr.policy, nll, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 }, { binding: tr.binding as never });
  const b = packSequences([[1, 3, 11], [1, 5, 9]], [[14, 44, 2], [50, 12, 2]], model.padId, undefined, 2);
  const before = await tr.current();
  await learner.update(b, { microBatchSize: 2, miniBatches: 1, epochs: 1, lr: 1e-2, weights: (s0, e0) => tokenWeights("token_mean", b.mask.slice(s0 * b.T, e0 * b.T), e0 - s0, b.T, 8) });
  const after = await tr.current();
  expect(maxAbsDiff(after.A.get(targets[0]!.module)!.data, before.A.get(targets[0]!.module)!.data)).toBeGreaterThan(0);
  expect(JSON.parse(lora.encodePeft(after, 2, null).config).lora_dropout).toBe(p);
  learner.dispose();
  tr.dispose();
  tr2.dispose();
  model.dispose();
});
