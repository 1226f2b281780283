/**
 * Sigmoid DPO (Rafailov et al. 2023, eq. 7) against values worked by hand: ln 2 when the policy equals the reference,
 * −log σ(0.1) = 0.6444 for a margin Δ = 1 at β = 0.1, TRL's reward metrics, and a gradient that raises the chosen
 * answer's log-probs and lowers the rejected one's. Rows of two pairs are interleaved with a padding row to check
 * the pairing.
 */
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { grad, numpy: np } = await import("@jax-js/jax");
const { dpoLoss, getObjective } = await import("../../src/rl/losses/index.js");

const T = 3;
const f32 = (xs: number[], shape: number[]) => np.array(Float32Array.from(xs)).reshape(shape);
// Rows: pair 0 chosen, pair 1 chosen, pair 0 rejected, padding, pair 1 rejected.
const PAIR = [0, 1, 0, -1, 1];
const SIGN = [1, 1, -1, 0, -1];
const W = [0.5, 0.5, 0, 0, 0];
const MASK = [1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0];

function inputs(logp: number[], ref: number[]) {
  return {
    logp: f32(logp, [5, T]),
    refLogp: f32(ref, [5, T]),
    mask: f32(MASK, [5, T]),
    weights: f32(new Array(5 * T).fill(0), [5, T]),
    pairIds: np.array(Float32Array.from(PAIR)),
    pairSigns: np.array(Float32Array.from(SIGN)),
    rowWeights: np.array(Float32Array.from(W)),
  };
}
const num = async (a: { data(): Promise<unknown> }) => ((await a.data()) as Float32Array)[0]!;

test("loss = ln 2 when the policy is the reference", async () => {
  const lp = [-1, -2, -9, -0.5, -0.5, -0.5, -3, -1, -1, 0, 0, 0, -4, -7, -7];
  const { loss, metrics } = dpoLoss(inputs(lp, lp), 0.1);
  expect(await num(loss)).toBeCloseTo(Math.LN2, 6);
  expect(await num(metrics.dpoPairCount!)).toBe(2);
  expect(await num(metrics.dpoMarginSum!)).toBeCloseTo(0, 6);
});

test("Δ = 1 at β = 0.1 gives −log σ(0.1) = 0.6444; the reward metrics are TRL's", async () => {
  // Pair 0: chosen log π − log π_ref = (−1 −2) − (−1.5 −2) = +0.5; rejected (−3·1) vs ref: −0.5 → Δ = 1.
  // Pair 1: chosen 0.5·3 tokens −0.5 vs ref −0.75 → +0.75; rejected −4 vs ref −3.75 → −0.25 → Δ = 1.
  // (Masked positions differ wildly and must not count.)
  const lp = [-1, -2, 50, -0.5, -0.5, -0.5, -1, -1, -1, 9, 9, 9, -4, 50, 50];
  const ref = [-1.5, -2, -50, -0.75, -0.75, -0.75, -1, -0.75, -0.75, -9, -9, -9, -3.75, -50, -50];
  const { loss, metrics } = dpoLoss(inputs(lp, ref), 0.1);
  const L = await num(loss);
  expect(L).toBeCloseTo(0.6444, 4);
  expect(L).toBeCloseTo(Math.log(1 + Math.exp(-0.1)), 4); // float32 softplus
  expect(await num(metrics.dpoLossSum!)).toBeCloseTo(2 * Math.log(1 + Math.exp(-0.1)), 4);
  expect(await num(metrics.dpoChosenRewardSum!)).toBeCloseTo(0.1 * (0.5 + 0.75), 6);
  expect(await num(metrics.dpoRejectedRewardSum!)).toBeCloseTo(0.1 * (-0.5 - 0.25), 6);
  expect(await num(metrics.dpoMarginSum!)).toBeCloseTo(0.2, 6);
  expect(await num(metrics.dpoAccuracySum!)).toBe(2);
  expect(await num(metrics.dpoChosenLogpSum!)).toBeCloseTo(-3 - 1.5, 5);
  expect(await num(metrics.dpoRejectedLogpSum!)).toBeCloseTo(-3 - 4, 5);
});

test("the gradient raises the chosen answer's log-probs and lowers the rejected one's", async () => {
  const ref = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1];
  const lp = [...ref];
  const g = grad((x: ReturnType<typeof np.array>) => dpoLoss({ ...inputs(lp, ref), logp: x }, 0.1).loss)(f32(lp, [5, T]));
  const gv = Array.from((await g.data()) as Float32Array);
  // ∂L/∂log π(token) = −β·σ(−β·m)·sign·w_pair = −0.1·0.5·sign·0.5 on completion tokens, 0 elsewhere.
  const want = MASK.map((m, i) => m * -0.1 * 0.5 * SIGN[Math.floor(i / T)]! * 0.5);
  gv.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
  expect(gv[0]).toBeLessThan(0); // descent raises chosen log-probs
  expect(gv[6]).toBeGreaterThan(0); // and lowers rejected ones
  expect(getObjective("dpo").needs({} as never)).toMatchObject({ refLogp: true, pairs: true, rowWeights: true });
});
