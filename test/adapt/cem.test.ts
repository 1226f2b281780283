/** The cross-entropy method (Transformer² §3.2's few-shot search) on synthetic objectives with known optima. */
import { expect, test } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { cem, compareScores, eliteCount } from "../../src/adapt/cem.js";

test("finds the optimum of a concave objective inside the box within 0.02", async () => {
  const target = [0.2, 0.7, 0.45];
  const r = await cem(async (pop) => pop.map((x) => [-x.reduce((s, v, i) => s + (v - target[i]!) ** 2, 0)]), {
    dim: 3, population: 32, eliteFraction: 0.2, iterations: 50, initMean: 1 / 3, initStd: 0.5, rng: new Rng(1),
  });
  r.best.forEach((v, i) => expect(Math.abs(v - target[i]!)).toBeLessThan(0.02));
  r.mean.forEach((v, i) => expect(Math.abs(v - target[i]!)).toBeLessThan(0.02));
  expect(r.evaluations).toBe(32 * r.iterations);
  expect(r.iterations).toBeLessThanOrEqual(50);
});

test("an optimum on the box's edge is reached (samples are clipped to [0, 1])", async () => {
  const r = await cem(async (pop) => pop.map((x) => [x[0]! - x[1]!]), { dim: 2, population: 32, eliteFraction: 0.2, iterations: 30, initMean: 0.5, initStd: 0.5, rng: new Rng(2) });
  expect(r.best[0]).toBeGreaterThan(0.98);
  expect(r.best[1]).toBeLessThan(0.02);
  for (const h of r.history) for (const m of h.mean) expect(m >= 0 && m <= 1).toBe(true);
});

test("ties on the first score are broken by the second (accuracy, then log-likelihood)", async () => {
  // Accuracy is a step: 1 whenever x > 0.3; the log-likelihood peaks at 0.6, so only the tie-break finds it.
  const r = await cem(async (pop) => pop.map((x) => [x[0]! > 0.3 ? 1 : 0, -((x[0]! - 0.6) ** 2)]), { dim: 1, population: 32, eliteFraction: 0.2, iterations: 40, initMean: 0.5, initStd: 0.5, rng: new Rng(3) });
  expect(r.bestScore[0]).toBe(1);
  expect(Math.abs(r.best[0]! - 0.6)).toBeLessThan(0.02);
});

test("the same seed gives the same search; scores compare lexicographically; bad options fail in one line", async () => {
  const f = async (pop: number[][]) => pop.map((x) => [-Math.abs(x[0]! - 0.25)]);
  const o = { dim: 1, population: 8, eliteFraction: 0.25, iterations: 5, initMean: 0.5, initStd: 0.5 };
  const a = await cem(f, { ...o, rng: new Rng(9) });
  const b = await cem(f, { ...o, rng: new Rng(9) });
  expect(a.best).toEqual(b.best);
  expect(compareScores([1, -2], [1, -3])).toBe(1);
  expect(compareScores([0, 5], [1, -3])).toBe(-1);
  expect(compareScores([NaN], [-1e9])).toBe(-1);
  expect(eliteCount(32, 0.2)).toBe(6);
  expect(eliteCount(5, 0.1)).toBe(2);
  await expect(cem(f, { ...o, population: 0, rng: new Rng(1) })).rejects.toThrow(/population must be an integer/);
  await expect(cem(f, { ...o, initMean: [0.1, 0.2], rng: new Rng(1) })).rejects.toThrow(/initMean has 2 values for 1 dimensions/);
  await expect(cem(async () => [[1]], { ...o, rng: new Rng(1) })).rejects.toThrow(/score returned 1 scores for 8 samples/);
});
