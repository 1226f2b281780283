/**
 * GRPO loss on a 2×3 hand-worked example. The reference below is written out per token in plain JS from the
 * paper's formula (DeepSeekMath eq. 3 with DAPO clip-higher and the k3 KL), independent of the jax-js code.
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { LossType } from "../../src/rl/aggregate.js";
import type { GrpoLossConfig } from "../../src/rl/losses/index.js";

await initEngine("wasm");
const { grad, jit, numpy: np } = await import("@jax-js/jax");
const { grpoLoss, klK3, nllLoss, reinforceLoss, getObjective, OBJECTIVES } = await import("../../src/rl/losses/index.js");
const { rawAdvantages } = await import("../../src/rl/advantages.js");
const { tokenWeights } = await import("../../src/rl/aggregate.js");

type Arr = ReturnType<typeof np.array>;
const B = 2, T = 3;

// Row 0 (A = +1.5): ρ = e^0.1 (inside), e^−0.4 (below 1 − ε but A > 0: unclipped), e^0.5 (above 1 + ε_high: clipped).
// Row 1 (A = −0.7): ρ = e^−0.3 (below 1 − ε, A < 0: clipped), e^0.4 (above 1 + ε_high but A < 0: unclipped),
// and a masked position whose values must not matter.
const LOGP = [-1.0, -0.5, -2.0, -0.3, -1.2, -0.8];
const OLD = [-1.1, -0.1, -2.5, 0.0, -1.6, -0.2];
const REF = [-0.9, -0.7, -1.5, -0.5, -1.0, -1.0];
const ADV = [1.5, -0.7];
const MASK = [1, 1, 1, 1, 1, 0];
const CFG: GrpoLossConfig = { epsilon: 0.2, epsilonHigh: 0.28, beta: 0.04 };
const L_MAX = 4;

/** Per-token loss ℓ and dℓ/dlogp, by hand. */
function reference(cfg: GrpoLossConfig, old: number[] | null) {
  const loss: number[] = [], dLoss: number[] = [], clipped: boolean[] = [];
  let klSum = 0, low = 0, high = 0;
  for (let i = 0; i < B * T; i++) {
    const A = ADV[Math.floor(i / T)]!;
    const rho = old === null ? 1 : Math.exp(LOGP[i]! - old[i]!);
    const clip = Math.min(Math.max(rho, 1 - cfg.epsilon), 1 + cfg.epsilonHigh);
    const isClipped = clip * A < rho * A; // min picks the constant clipped branch
    const d = REF[i]! - LOGP[i]!;
    const kl = Math.exp(d) - d - 1;
    loss.push(-Math.min(rho * A, clip * A) + cfg.beta * kl);
    // d/dlogp: unclipped −A·ρ (ρ = e^{logp − old}); clipped 0. KL: β·(1 − e^{ref − logp}).
    dLoss.push((isClipped ? 0 : -A * rho) + cfg.beta * (1 - Math.exp(d)));
    clipped.push(isClipped);
    klSum += MASK[i]! * kl;
    if (rho < 1 - cfg.epsilon && A < 0) low += MASK[i]!;
    if (rho > 1 + cfg.epsilonHigh && A > 0) high += MASK[i]!;
  }
  return { loss, dLoss, clipped, klSum, low, high };
}

const f32 = (xs: number[], shape: number[]) => np.array(Float32Array.from(xs)).reshape(shape);
const weightsFor = (mode: LossType) => Array.from(tokenWeights(mode, Float32Array.from(MASK), B, T, L_MAX));
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

async function run(cfg: GrpoLossConfig, w: number[], withOld: boolean) {
  const { loss, metrics } = grpoLoss(
    {
      logp: f32(LOGP, [B, T]),
      oldLogp: withOld ? f32(OLD, [B, T]) : undefined,
      refLogp: f32(REF, [B, T]),
      advantages: f32(ADV, [B]),
      weights: f32(w, [B, T]),
      mask: f32(MASK, [B, T]),
    },
    cfg,
  );
  const num = async (a: Arr) => (await a.data())[0]!;
  return {
    loss: await num(loss),
    klSum: await num(metrics.klSum),
    low: await num(metrics.clipLowSum),
    high: await num(metrics.clipHighSum),
    region: await num(metrics.clipRegionSum),
  };
}

/** d loss / d logp `[B·T]` through jit(grad) (eager grad leaks in jax-js). */
async function gradLogp(cfg: GrpoLossConfig, w: number[], withOld: boolean): Promise<Float32Array> {
  const lossOf = (logp: Arr, old: Arr, ref: Arr, adv: Arr, wt: Arr, mask: Arr) =>
    grpoLoss({ logp, oldLogp: withOld ? old : (old.dispose(), undefined), refLogp: ref, advantages: adv, weights: wt, mask }, cfg).loss;
  const g = jit(grad(lossOf));
  return (await g(f32(LOGP, [B, T]), f32(OLD, [B, T]), f32(REF, [B, T]), f32(ADV, [B]), f32(w, [B, T]), f32(MASK, [B, T])).data()) as Float32Array;
}

describe("grpoLoss", () => {
  test("the example covers every clip case", () => {
    const r = reference(CFG, OLD);
    expect(r.clipped).toEqual([false, false, true, true, false, true]); // the last is masked out
  });

  test.each<LossType>(["grpo", "dapo", "dr_grpo"])("%s weights: loss, KL and clip-ratio sums match the hand computation", async (mode) => {
    const w = weightsFor(mode);
    const want = reference(CFG, OLD);
    const got = await run(CFG, w, true);
    expect(got.loss).toBeCloseTo(dot(w, want.loss), 6);
    expect(got.klSum).toBeCloseTo(want.klSum, 6);
    expect([got.low, got.high, got.region]).toEqual([1, 1, 2]);
    expect([want.low, want.high]).toEqual([1, 1]);
  });

  test("β = 0 drops the KL term and reports zero KL", async () => {
    const cfg = { ...CFG, beta: 0 };
    const w = weightsFor("dapo");
    const got = await run(cfg, w, true);
    expect(got.loss).toBeCloseTo(dot(w, reference(cfg, OLD).loss), 6);
    expect(got.klSum).toBe(0);
  });

  test("without oldLogp the ratio is exactly 1: loss = −Σ w·A and nothing is clipped", async () => {
    const cfg = { ...CFG, beta: 0 };
    const w = weightsFor("grpo");
    const got = await run(cfg, w, false);
    const wA = w.map((x, i) => x * ADV[Math.floor(i / T)]!);
    expect(got.loss).toBeCloseTo(-wA.reduce((a, b) => a + b, 0), 7);
    expect([got.low, got.high, got.region]).toEqual([0, 0, 0]);
    const g = await gradLogp(cfg, w, false);
    g.forEach((x, i) => expect(x, `token ${i}`).toBeCloseTo(-wA[i]!, 7)); // −w·A·ρ with ρ = 1
  });

  test("gradient w.r.t. logp: −w·A·ρ on unclipped tokens, only the KL term on clipped ones, 0 where masked", async () => {
    for (const mode of ["grpo", "dr_grpo"] as const) {
      const w = weightsFor(mode);
      const want = reference(CFG, OLD);
      const g = await gradLogp(CFG, w, true);
      g.forEach((x, i) => expect(x, `${mode} token ${i}`).toBeCloseTo(w[i]! * want.dLoss[i]!, 6));
      expect(g[5]).toBe(0);
    }
    // Without KL the clipped tokens (row 0 pos 2, row 1 pos 0) have exactly zero gradient.
    const g0 = await gradLogp({ ...CFG, beta: 0 }, weightsFor("dapo"), true);
    expect([g0[2], g0[3]]).toEqual([0, 0]);
    expect(g0[0]).toBeCloseTo(-(1 / 5) * 1.5 * Math.exp(0.1), 6);
    expect(g0[4]).toBeCloseTo(-(1 / 5) * -0.7 * Math.exp(0.4), 6);
  });

  test("β > 0 without refLogp is rejected", () => {
    expect(() =>
      grpoLoss({ logp: f32(LOGP, [B, T]), advantages: f32(ADV, [B]), weights: f32(MASK, [B, T]), mask: f32(MASK, [B, T]) }, CFG),
    ).toThrow(/refLogp/);
  });
});

describe("klK3", () => {
  test("equals e^{ref−logp} − (ref − logp) − 1, and is 0 when the policies agree", async () => {
    const got = (await klK3(f32(LOGP, [B, T]), f32(REF, [B, T])).data()) as Float32Array;
    got.forEach((x, i) => {
      const d = REF[i]! - LOGP[i]!;
      expect(x).toBeCloseTo(Math.exp(d) - d - 1, 6);
    });
    expect(Array.from(await klK3(f32(LOGP, [B, T]), f32(LOGP, [B, T])).data())).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe("nllLoss", () => {
  test("is −Σ w·logp", async () => {
    const w = weightsFor("dapo");
    expect((await nllLoss(f32(LOGP, [B, T]), f32(w, [B, T])).data())[0]).toBeCloseTo(-dot(w, LOGP), 6);
  });
});

describe("reinforceLoss", () => {
  // Sequence-sum weights (w = 1/N on every completion token, N = 2 rows): the REINFORCE estimator −(1/N) Σ_i A_i Σ_t logp.
  const W = MASK.map((m) => m / B);
  async function reinforce(beta: number, klDirection?: "policy_ref" | "ref_policy") {
    const inputs = () => ({ logp: f32(LOGP, [B, T]), refLogp: f32(REF, [B, T]), advantages: f32(ADV, [B]), weights: f32(W, [B, T]), mask: f32(MASK, [B, T]) });
    const { loss, metrics } = reinforceLoss(inputs(), { beta, klDirection });
    const lossOf = (logp: Arr, ref: Arr, adv: Arr, wt: Arr, mask: Arr) => reinforceLoss({ logp, refLogp: ref, advantages: adv, weights: wt, mask }, { beta, klDirection }).loss;
    const i = inputs();
    const g = (await jit(grad(lossOf))(i.logp, i.refLogp, i.advantages, i.weights, i.mask).data()) as Float32Array;
    return { loss: (await loss.data())[0]!, kl: (await metrics.klSum!.data())[0]!, g };
  }

  test("β = 0: loss = −(1/N) Σ_i A_i Σ_t logp, by hand", async () => {
    // Row 0: A = 1.5, Σ logp = −1 − 0.5 − 2 = −3.5 → −1.5·(−3.5)/2 = 2.625.
    // Row 1: A = −0.7, Σ logp over the 2 unmasked tokens = −0.3 − 1.2 = −1.5 → 0.7·(−1.5)/2 = −0.525.
    const r = await reinforce(0);
    expect(r.loss).toBeCloseTo(2.625 - 0.525, 6);
    expect(r.kl).toBe(0);
    // d/dlogp = −A_i / N on unmasked tokens, 0 on the masked one.
    expect(Array.from(r.g).map((x) => +x.toFixed(6))).toEqual([-0.75, -0.75, -0.75, 0.35, 0.35, 0]);
  });

  // Per token, with d = log ρ = ref − logp: KL(π_θ‖π_ref) ≈ k3 = e^d − d − 1 with gradient (logp − ref)·∇logp;
  // KL(π_ref‖π_θ) ≈ ρ·d − ρ + 1 with gradient (1 − ρ)·∇logp (docstring of klPenalty).
  const cases = {
    policy_ref: { value: (d: number) => Math.exp(d) - d - 1, slope: (d: number) => -d },
    ref_policy: { value: (d: number) => Math.exp(d) * d - Math.exp(d) + 1, slope: (d: number) => 1 - Math.exp(d) },
  } as const;
  for (const [dir, f] of Object.entries(cases) as [keyof typeof cases, (typeof cases)[keyof typeof cases]][]) {
    test(`β > 0, ${dir}: adds β·Σ w·KL and the direction's gradient, by hand`, async () => {
      const beta = 0.1;
      const r = await reinforce(beta, dir === "policy_ref" ? undefined : dir); // policy_ref is the default
      let kl = 0, wkl = 0;
      for (let i = 0; i < B * T; i++) {
        const d = REF[i]! - LOGP[i]!;
        kl += MASK[i]! * f.value(d);
        wkl += W[i]! * f.value(d);
      }
      expect(r.loss).toBeCloseTo(2.1 + beta * wkl, 6);
      expect(r.kl).toBeCloseTo(kl, 6);
      r.g.forEach((x, i) => {
        const d = REF[i]! - LOGP[i]!;
        expect(x, `token ${i}`).toBeCloseTo(W[i]! * (-ADV[Math.floor(i / T)]! + beta * f.slope(d)), 6);
      });
    });
  }

  test("the KL estimates are unbiased for their direction on tokens drawn from π_θ (exact expectation over a 3-token vocabulary)", async () => {
    const { klPenalty } = await import("../../src/rl/losses/reinforce.js");
    const p = [0.5, 0.3, 0.2];
    const q = [0.2, 0.5, 0.3]; // π_ref
    const { value } = klPenalty(f32(p.map(Math.log), [1, 3]), f32(q.map(Math.log), [1, 3]), "policy_ref");
    const { value: rev } = klPenalty(f32(p.map(Math.log), [1, 3]), f32(q.map(Math.log), [1, 3]), "ref_policy");
    const e = (v: Float32Array) => v.reduce((s, x, i) => s + p[i]! * x, 0);
    const kl = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * Math.log(x / b[i]!), 0);
    expect(e((await value.data()) as Float32Array)).toBeCloseTo(kl(p, q), 6);
    expect(e((await rev.data()) as Float32Array)).toBeCloseTo(kl(q, p), 6);
  });

  test("advantages are the raw rewards (no baseline), null → 0, with group statistics for metrics", () => {
    const a = rawAdvantages([1, 1, -1, null], 2);
    expect(a.advantages).toEqual([1, 1, -1, 0]);
    expect(a.fracZeroStd).toBe(1); // group 0 all equal; group 1 has one scorable reward
    expect(a.numNull).toBe(1);
  });
});

describe("objective registry", () => {
  test("grpo, reinforce and nll are registered with what they need", () => {
    expect(Object.keys(OBJECTIVES)).toEqual(expect.arrayContaining(["grpo", "reinforce", "nll"]));
    const c = { epsilon: 0.2, epsilonHigh: 0.2, beta: 0, numIterations: 1, scaleRewards: "group" as const };
    expect(getObjective("grpo").needs(c)).toMatchObject({ oldLogp: false, refLogp: false });
    expect(getObjective("grpo").needs({ ...c, numIterations: 2, beta: 0.04 })).toMatchObject({ oldLogp: true, refLogp: true });
    expect(getObjective("reinforce").needs({ ...c, beta: 0.1 })).toMatchObject({ oldLogp: false, refLogp: true });
    expect(getObjective("grpo").advantages!([1, 0, 0, 0], 2, c).advantages[0]).toBeGreaterThan(0);
  });

  test("the RL objective names the config accepts are registered RL objectives", async () => {
    const { RL_OBJECTIVES } = await import("../../src/rl/losses/names.js");
    for (const n of RL_OBJECTIVES) expect(getObjective(n).advantages, n).toBeTypeOf("function");
  });

  test("an unknown objective fails in one line naming the registered ones", () => {
    expect(() => getObjective("ppo")).toThrow(/unknown objective "ppo"/);
  });
});
