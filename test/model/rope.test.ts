/**
 * RoPE variants on the host (positions.ts): inverse frequencies against the `inv_freq` / `attention_scaling` that
 * transformers 5.17 printed for the fixtures (`scripts/make_fixtures.py`), closed forms, and the dynamic-scaling
 * sequence-length rule. End-to-end parity is in parity.test.ts.
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { ModelConfig, RopeScaling } from "../../src/model/config.js";

await initEngine("wasm");
const { inverseFrequencies, ropeAttentionFactor, ropeTables, decodePositionInputs, fullPositionInputs } = await import("../../src/model/positions.js");

const BASE: ModelConfig = {
  modelType: "llama",
  vocabSize: 64,
  hiddenSize: 32,
  intermediateSize: 64,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  numKeyValueHeads: 2,
  headDim: 8,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  maxPositionEmbeddings: 64,
  tieWordEmbeddings: false,
  attentionBias: false,
  bosTokenId: 1,
  eosTokenId: [2],
  padTokenId: 0,
};
const withRope = (ropeScaling: RopeScaling, extra: Partial<ModelConfig> = {}): ModelConfig => ({ ...BASE, ...extra, ropeScaling });
const yarn: RopeScaling = { type: "yarn", factor: 4, originalMaxPositionEmbeddings: 1024, attentionFactor: 0.1 * Math.log(4) + 1, betaFast: 32, betaSlow: 1, truncate: true };

describe("inverseFrequencies", () => {
  test("bit-identical to transformers' inv_freq for the fixtures", () => {
    expect(Array.from(inverseFrequencies(BASE))).toEqual([1.0, 0.10000000149011612, 0.009999999776482582, 0.0010000000474974513]);
    expect(Array.from(inverseFrequencies(withRope({ type: "linear", factor: 4 })))).toEqual([0.25, 0.02500000037252903, 0.0024999999441206455, 0.0002500000118743628]);
    const llama3 = withRope({ type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 }, { maxPositionEmbeddings: 256 });
    expect(Array.from(inverseFrequencies(llama3))).toEqual([1.0, 0.013042256236076355, 0.0012499999720603228, 0.0001250000059371814]);
    const qwenYarn = withRope(yarn, { ropeTheta: 1e6, maxPositionEmbeddings: 4096, modelType: "qwen2", attentionBias: true });
    expect(Array.from(inverseFrequencies(qwenYarn))).toEqual([1.0, 0.019764237105846405, 0.0002500000118743628, 7.905693564680405e-6]);
    expect(ropeAttentionFactor(qwenYarn)).toBe(1.138629436111989);
  });

  test("llama3: short wavelengths kept, long ones divided by factor, the band between interpolated", () => {
    const c = withRope({ type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 });
    const [w0, w1, w2, w3] = inverseFrequencies(c);
    expect(w0).toBe(1); // wavelength 2π < 64/4
    expect(w2).toBeCloseTo(0.01 / 8, 9); // wavelength 628 > 64
    expect(w3).toBeCloseTo(0.001 / 8, 10);
    const s = (64 / (2 * Math.PI * 10) - 1) / 3; // wavelength 62.8 is between 16 and 64
    expect(w1).toBeCloseTo((1 - s) * 0.1 / 8 + s * 0.1, 8);
  });

  test("dynamic: plain up to max_position_embeddings, then base θ·(f·L/L0 − (f − 1))^(H/(H−2))", () => {
    const c = withRope({ type: "dynamic", factor: 2 }, { maxPositionEmbeddings: 16 });
    expect(inverseFrequencies(c, 16)).toEqual(inverseFrequencies(BASE));
    expect(inverseFrequencies(c, 1)).toEqual(inverseFrequencies(BASE));
    const base = 10000 * Math.pow((2 * 40) / 16 - 1, 8 / 6);
    const want = [0, 1, 2, 3].map((i) => Math.pow(base, (-2 * i) / 8));
    inverseFrequencies(c, 40).forEach((w, i) => expect(w / want[i]!).toBeCloseTo(1, 6));
  });

  test("linear with factor 1 and yarn's ramp ends reduce to plain RoPE / positional interpolation", () => {
    expect(inverseFrequencies(withRope({ type: "linear", factor: 1 }))).toEqual(inverseFrequencies(BASE));
    // θ = 1e6, H = 8, C = 1024: correction range [0, 2] → dim 0 extrapolated, dim 1 half-half, dims 2–3 interpolated.
    const c = withRope(yarn, { ropeTheta: 1e6 });
    const plain = inverseFrequencies({ ...BASE, ropeTheta: 1e6 });
    const got = inverseFrequencies(c);
    expect(got[0]).toBe(plain[0]);
    expect(got[1]!).toBeCloseTo(0.5 * plain[1]! + (0.5 * plain[1]!) / 4, 8);
    expect(got[2]!).toBeCloseTo(plain[2]! / 4, 10);
    expect(got[3]!).toBeCloseTo(plain[3]! / 4, 12);
  });
});

describe("ropeTables", () => {
  test("yarn scales cos and sin by the attention factor", async () => {
    const c = withRope(yarn);
    const { cos, sin } = ropeTables(c, Int32Array.from([0, 3]), 1, 2);
    const cs = (await cos.data()) as Float32Array;
    const sn = (await sin.data()) as Float32Array;
    expect(cs[0]).toBe(Math.fround(1.138629436111989)); // cos 0 · factor
    expect(sn[0]).toBe(0);
    expect(cs[4]! ** 2 + sn[4]! ** 2).toBeCloseTo(1.138629436111989 ** 2, 5);
  });

  test("dynamic: the sequence length is max(position) + 1 over the whole batch, for prefill and decode", async () => {
    const c = withRope({ type: "dynamic", factor: 2 }, { maxPositionEmbeddings: 16 });
    const data = async (t: { cos: { data(): Promise<unknown> } }) => Array.from((await t.cos.data()) as Float32Array);
    // Row 0 left-padded by 30: its positions stop at 9, row 1's at 39 → both use L = 40.
    const full = fullPositionInputs(c, 2, 40, [30, 0]);
    full.sin.dispose();
    full.mask.dispose();
    const explicit = ropeTables(c, Int32Array.from({ length: 80 }, (_, k) => Math.max(0, (k % 40) - (k < 40 ? 30 : 0))), 2, 40, 40);
    explicit.sin.dispose();
    expect(await data(full)).toEqual(await data(explicit));
    // One row padded by 10: positions stop at 29 → L = 30, not the padded width T = 40.
    const padded = fullPositionInputs(c, 1, 40, [10]);
    padded.sin.dispose();
    padded.mask.dispose();
    const pos30 = Int32Array.from({ length: 40 }, (_, i) => Math.max(0, i - 10));
    const at30 = ropeTables(c, pos30, 1, 40, 30);
    const at40 = ropeTables(c, pos30, 1, 40, 40);
    at30.sin.dispose();
    at40.sin.dispose();
    const got = await data(padded);
    expect(got).toEqual(await data(at30));
    expect(got).not.toEqual(await data(at40));
    // Decode at cache slot 39 with pads [30, 0]: positions 9 and 39 → L = 40 for both rows.
    const step = decodePositionInputs(c, 2, 48, 39, [30, 0]);
    step.sin.dispose();
    step.mask.dispose();
    const want = ropeTables(c, Int32Array.from([9, 39]), 2, 1, 40);
    want.sin.dispose();
    expect(await data(step)).toEqual(await data(want));
    // A row alone at position 9 stays in the unscaled regime (L = 10 ≤ 16).
    const alone = ropeTables(c, Int32Array.from([9]), 1, 1);
    alone.sin.dispose();
    const plain = ropeTables(BASE, Int32Array.from([9]), 1, 1);
    plain.sin.dispose();
    expect(await data(alone)).toEqual(await data(plain));
  });
});
