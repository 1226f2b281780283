/**
 * Kimi k1.5 online mirror descent (§2.3.2) against values worked by hand from the paper's surrogate, in plain JS:
 * loss Σ_j u_j·[−A_j·S_j + (τ/2)·(S_j − S_j^i)²], its gradient u_j·m_{j,t}·(−A_j + τ·(S_j − S_j^i)) per token, the
 * per-token variant, and — on a real (tiny) model through the learner — the τ term's gradient: zero at θ = θi, non-zero
 * after one step; the optimizer state after a reset.
 */
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import { tinyModel } from "../helpers/tiny-model.js";

await initEngine("wasm");
const { grad, numpy: np, tree } = await import("@jax-js/jax");
const { omdLoss, omd, getObjective } = await import("../../src/rl/losses/index.js");
const { Learner } = await import("../../src/train/learner.js");
const { packSequences } = await import("../../src/train/batch.js");
const { sequenceLogprobs } = await import("../../src/train/logprobs.js");
const { tokenWeights } = await import("../../src/rl/aggregate.js");

const B = 3, T = 3;
// One group of k = 3 samples with rewards [1, 0, 0.5]: r̄ = 0.5, A = r − r̄ = [0.5, −0.5, 0].
const REWARDS = [1, 0, 0.5];
const LOGP = [-0.5, -1.0, -0.2, -2.0, -0.1, -0.3, -0.7, -0.4, -9.0];
const OLD = [-0.6, -0.8, -0.2, -1.5, -0.1, -0.5, -0.7, -0.9, -1.0];
const MASK = [1, 1, 1, 1, 1, 0, 1, 1, 0]; // lengths 3, 2, 2: masked values must not matter
const TAU = 0.7;
const U = [1 / 3, 1 / 3, 1 / 3]; // 1/k per prompt, one prompt

const f32 = (xs: number[], shape: number[]) => np.array(Float32Array.from(xs)).reshape(shape);
const seq = (x: number[], j: number) => [0, 1, 2].reduce((s, t) => s + MASK[j * T + t]! * x[j * T + t]!, 0);

function handSequence(tau: number) {
  const A = omd.advantages!(REWARDS, 3, {} as never).advantages;
  let loss = 0;
  const dLogp: number[] = [];
  for (let j = 0; j < B; j++) {
    const d = seq(LOGP, j) - seq(OLD, j);
    loss += U[j]! * (-A[j]! * seq(LOGP, j) + (tau / 2) * d * d);
    for (let t = 0; t < T; t++) dLogp.push(U[j]! * MASK[j * T + t]! * (-A[j]! + tau * d));
  }
  return { A, loss, dLogp };
}

const inputs = (A: number[], logp: ReturnType<typeof np.array>, level: "sequence" | "token") => ({
  logp,
  mask: f32(MASK, [B, T]),
  advantages: np.array(Float32Array.from(A)),
  oldLogp: f32(OLD, [B, T]),
  weights: np.array(tokenWeights("grpo", Float32Array.from(MASK), B, T, 3)).reshape([B, T]),
  rowWeights: level === "sequence" ? np.array(Float32Array.from(U)) : undefined,
});

test("advantages are r − r̄ (no std division) and the sequence loss, gradient and metrics match the paper's surrogate", async () => {
  const h = handSequence(TAU);
  expect(h.A).toEqual([0.5, -0.5, 0]);
  const out = omdLoss(inputs(h.A, f32(LOGP, [B, T]), "sequence"), { omdTau: TAU });
  expect((await out.loss.data())[0]).toBeCloseTo(h.loss, 5);
  const d = [0, 1, 2].map((j) => seq(LOGP, j) - seq(OLD, j));
  expect((await out.metrics.omdRegRowSum!.data())[0]).toBeCloseTo(d.reduce((s, x) => s + (TAU / 2) * x * x, 0), 5);
  expect((await out.metrics.omdAbsLogRatioRowSum!.data())[0]).toBeCloseTo(d.reduce((s, x) => s + Math.abs(x), 0), 5);
  expect((await out.metrics.omdRowCount!.data())[0]).toBe(3);
  const g = grad((lp: ReturnType<typeof np.array>) => omdLoss(inputs(h.A, lp, "sequence"), { omdTau: TAU }).loss)(f32(LOGP, [B, T]));
  const got = Array.from((await g.data()) as Float32Array);
  got.forEach((x, i) => expect(x).toBeCloseTo(h.dLogp[i]!, 5));
});

test("the τ term has zero gradient at θ = θi (one step per iteration = REINFORCE with a mean baseline)", async () => {
  const h0 = handSequence(0);
  const atOld = (tau: number) => grad((lp: ReturnType<typeof np.array>) => {
    const inp = inputs(h0.A, lp, "sequence");
    return omdLoss({ ...inp, oldLogp: f32(OLD, [B, T]) }, { omdTau: tau }).loss;
  });
  const g0 = Array.from((await atOld(0)(f32(OLD, [B, T])).data()) as Float32Array);
  const g5 = Array.from((await atOld(5)(f32(OLD, [B, T])).data()) as Float32Array);
  g5.forEach((x, i) => expect(x).toBeCloseTo(g0[i]!, 6));
});

test("token level (ROLL's variant): −A·log π(o_t) + (τ/2)(log π(o_t) − log π_θi(o_t))² under the aggregation weights", async () => {
  const A = [0.5, -0.5, 0];
  const w = Array.from(tokenWeights("grpo", Float32Array.from(MASK), B, T, 3));
  let loss = 0;
  for (let i = 0; i < B * T; i++) {
    const d = LOGP[i]! - OLD[i]!;
    loss += w[i]! * (-A[Math.floor(i / T)]! * LOGP[i]! + (TAU / 2) * d * d);
  }
  const out = omdLoss(inputs(A, f32(LOGP, [B, T]), "token"), { omdTau: TAU, omdLevel: "token" });
  expect((await out.loss.data())[0]).toBeCloseTo(loss, 5);
  tree.dispose(out.metrics as never);
  expect(omd.needs({ omdLevel: "token" } as never).rowWeights).toBe(false);
  expect(getObjective("omd")).toBe(omd);
});

test("on a model: the τ-only gradient is ~0 at θ = θi and non-zero after one optimizer step; a reset zeroes AdamW", async () => {
  const lm = await tinyModel(2, 0.5);
  const b = packSequences(Array.from({ length: 4 }, (_, i) => [3 + i, 4]), Array.from({ length: 4 }, (_, i) => [10 + i, 11 + i, 1]), lm.padId, undefined, 4);
  const oldLogp = await sequenceLogprobs(lm, b, { temperature: 1, microBatchSize: 4 });
  const cfg = { epsilon: 0.2, epsilonHigh: 0.2, beta: 0, numIterations: 1, scaleRewards: "none" as const, omdTau: 1 };
  const learner = new Learner(lm, omd, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 0 }, { objectiveConfig: cfg });
  const weights = () => tokenWeights("grpo", b.mask, b.B, b.T, 3);
  const rowWeights = () => new Float32Array(4).fill(1 / 4);
  const tauOnly = async () => {
    await learner.accumulate({ ...b, weights: weights(), rowWeights: rowWeights(), advantages: new Float32Array(4), oldLogp });
    return (await learner.apply(0)).gradNorm; // lr 0: measure the gradient without moving
  };
  // π_θi's log-probs come from the trainer's own forward pass, a different jit program: equal up to float32 rounding.
  const atOld = await tauOnly();
  expect(atOld).toBeLessThan(1e-3);
  const step = await learner.update({ ...b, advantages: Float32Array.from([1, -1, 0.5, -0.5]), oldLogp }, { microBatchSize: 4, miniBatches: 1, epochs: 1, lr: 1e-2, weights, rowWeights, rows: 4 });
  expect(step.steps).toBe(1);
  const after = await tauOnly();
  expect(after).toBeGreaterThan(100 * atOld);
  const moments = async () => Promise.all((tree.leaves(learner.state as never) as ReturnType<typeof np.array>[]).map(async (a) => Array.from((await a.ref.data()) as Float32Array)));
  expect((await moments()).flat().some((x) => x !== 0)).toBe(true);
  learner.resetOptimizer();
  expect((await moments()).flat().every((x) => x === 0)).toBe(true);
  learner.dispose();
});
