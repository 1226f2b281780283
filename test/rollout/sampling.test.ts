import { describe, expect, test } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { descendingPrefix, sampleToken, topKIndices } from "../../src/rollout/sampling.js";

const LOGITS = [0.5, 2.0, -1.0, 1.2, 0.0];
const V = LOGITS.length;
const ARGMAX = 1;

/** log softmax(logits / t), in float64. */
function logSoftmax(xs: number[], t: number): number[] {
  const s = xs.map((x) => x / t);
  const m = Math.max(...s);
  const lz = m + Math.log(s.reduce((a, x) => a + Math.exp(x - m), 0));
  return s.map((x) => x - lz);
}

/** The logits embedded at an offset in a longer buffer, as generation passes them (row b of `[B, V]`). */
function buffer(): { logits: Float32Array; off: number } {
  const logits = new Float32Array(3 * V).fill(9); // other rows would win if the offset were ignored
  logits.set(LOGITS, V);
  return { logits, off: V };
}

describe("sampleToken", () => {
  test("temperature 0 is greedy, with the log-prob taken at temperature 1", () => {
    const { logits, off } = buffer();
    const rng = new Rng(1);
    for (let i = 0; i < 20; i++) {
      const { id, logprob } = sampleToken(logits, off, V, { temperature: 0, topP: 1, topK: 0 }, rng);
      expect(id).toBe(ARGMAX);
      expect(logprob).toBeCloseTo(logSoftmax(LOGITS, 1)[ARGMAX]!, 6);
    }
  });

  test("top-k = 1 always picks the argmax", () => {
    const { logits, off } = buffer();
    const rng = new Rng(2);
    for (let i = 0; i < 200; i++) expect(sampleToken(logits, off, V, { temperature: 1.5, topP: 1, topK: 1 }, rng).id).toBe(ARGMAX);
  });

  test("a tiny top-p keeps only the argmax", () => {
    const { logits, off } = buffer();
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) expect(sampleToken(logits, off, V, { temperature: 1.5, topP: 1e-6, topK: 0 }, rng).id).toBe(ARGMAX);
  });

  test("top-k = 2 samples only the two most likely tokens, in proportion to their probabilities", () => {
    const { logits, off } = buffer();
    const rng = new Rng(4);
    const n = 20_000;
    const counts = new Array<number>(V).fill(0);
    for (let i = 0; i < n; i++) counts[sampleToken(logits, off, V, { temperature: 1, topP: 1, topK: 2 }, rng).id]!++;
    expect(counts[0]! + counts[2]! + counts[4]!).toBe(0);
    const p1 = 1 / (1 + Math.exp(1.2 - 2.0)); // renormalised over tokens 1 and 3
    expect(Math.abs(counts[1]! / n - p1)).toBeLessThan(0.02);
  });

  test("top-p keeps the smallest prefix of the sorted distribution whose mass reaches p, renormalised", () => {
    // softmax(LOGITS) ≈ [0.120, 0.538, 0.027, 0.242, 0.073]: sorted cumulative mass 0.538, 0.780, 0.900, …
    const { logits, off } = buffer();
    const rng = new Rng(6);
    const p = LOGITS.map((x) => Math.exp(x));
    const n = 20_000;
    const counts = new Array<number>(V).fill(0);
    for (let i = 0; i < n; i++) counts[sampleToken(logits, off, V, { temperature: 1, topP: 0.85, topK: 0 }, rng).id]!++;
    expect(counts[2]! + counts[4]!).toBe(0);
    const kept = p[0]! + p[1]! + p[3]!;
    for (const i of [0, 1, 3]) expect(Math.abs(counts[i]! / n - p[i]! / kept), `token ${i}`).toBeLessThan(0.02);
  });

  test.each([0.7, 1, 2])("temperature %s: frequencies over 20k draws match softmax(logits / T) within 0.02", (t) => {
    const { logits, off } = buffer();
    const rng = new Rng(100 + Math.round(t * 10));
    const n = 20_000;
    const lsm = logSoftmax(LOGITS, t);
    const counts = new Array<number>(V).fill(0);
    let worstLogprob = 0;
    for (let i = 0; i < n; i++) {
      const { id, logprob } = sampleToken(logits, off, V, { temperature: t, topP: 1, topK: 0 }, rng);
      counts[id]!++;
      worstLogprob = Math.max(worstLogprob, Math.abs(logprob - lsm[id]!)); // vs log softmax(logits / T)[id]
    }
    expect(worstLogprob).toBeLessThan(1e-6);
    counts.forEach((c, i) => expect(Math.abs(c / n - Math.exp(lsm[i]!)), `token ${i}`).toBeLessThan(0.02));
  });

  test("the log-prob ignores top-k/top-p truncation (it is under the full softmax)", () => {
    const { logits, off } = buffer();
    const { id, logprob } = sampleToken(logits, off, V, { temperature: 0.8, topP: 0.5, topK: 2 }, new Rng(5));
    expect(logprob).toBeCloseTo(logSoftmax(LOGITS, 0.8)[id]!, 6);
  });

  test("the same seed gives the same draws", () => {
    const { logits, off } = buffer();
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 50 }, () => sampleToken(logits, off, V, { temperature: 1, topP: 0.9, topK: 0 }, rng).id);
    };
    expect(draw(7)).toEqual(draw(7));
  });
});

describe("large vocabularies: top-k / top-p sort only a prefix", () => {
  const V = 20000;
  const rng = new Rng(4);
  // Quantised logits: many exact ties, the case where a prefix could differ from the full stable sort.
  const logits = Float32Array.from({ length: V }, () => Math.round(rng.next() * 40) / 4);
  const probs = Float64Array.from(logits, (x) => Math.exp(x - 10));
  const full = Array.from({ length: V }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]!);

  test("descendingPrefix is a prefix of the full stable order, long enough for k and for the mass", () => {
    const z = probs.reduce((a, b) => a + b, 0);
    for (const [k, mass] of [[20, 0], [1, 0.8 * z], [0, 0.999 * z], [500, 0.1 * z]] as const) {
      const pre = descendingPrefix(probs, V, k, mass);
      expect(pre.length).toBeGreaterThanOrEqual(k);
      expect(pre.reduce((s, i) => s + probs[i]!, 0)).toBeGreaterThanOrEqual(mass);
      expect(pre).toEqual(full.slice(0, pre.length));
      expect(pre.length).toBeLessThan(V); // it did cut
    }
  });

  test("topKIndices equals the first k of the full stable order (ties by index), also on flat distributions", () => {
    for (const k of [1, 2, 20, 137, 5000, V]) expect(topKIndices(probs, V, k)).toEqual(full.slice(0, k));
    const flat = new Float64Array(V).fill(1);
    flat[123] = 2;
    expect(topKIndices(flat, V, 5)).toEqual([123, 0, 1, 2, 3]);
    const r = new Rng(9);
    const noisy = Float64Array.from({ length: V }, () => 1 + r.next() * 1e-3);
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => noisy[b]! - noisy[a]!);
    expect(topKIndices(noisy, V, 20)).toEqual(order.slice(0, 20));
    expect(() => topKIndices(probs, V, 0)).toThrow(RangeError);
  });

  test("top-k and top-p draws stay inside the top-k set / the nucleus of the full order", () => {
    const z = probs.reduce((a, b) => a + b, 0);
    const nucleus = new Set<number>();
    let cum = 0;
    for (const i of full) {
      nucleus.add(i);
      cum += probs[i]! / z;
      if (cum >= 0.9) break;
    }
    const topk = new Set(full.slice(0, 20));
    const r = new Rng(8);
    for (let n = 0; n < 200; n++) {
      expect(topk.has(sampleToken(logits, 0, V, { temperature: 1, topP: 1, topK: 20 }, r).id)).toBe(true);
      const { id, logprob } = sampleToken(logits, 0, V, { temperature: 1, topP: 0.9, topK: 0 }, r);
      expect(nucleus.has(id)).toBe(true);
      expect(logprob).toBeCloseTo(Math.log(probs[id]! / z), 6);
    }
  });
});
