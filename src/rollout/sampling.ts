/**
 * Host-side token sampling from one row of logits: temperature, top-k, top-p (nucleus; Holtzman et al. 2020
 * §3.1), greedy at temperature 0. Randomness comes only from the `Rng` passed in.
 */
import type { Rng } from "../core/rng.js";
import { effectiveTemperature } from "../model/logprobs.js";

export interface SamplingParams {
  /** Softmax temperature; 0 = greedy. Default 1. */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 = off. */
  topP: number;
  /** Keep the k most likely tokens; 0 = off. */
  topK: number;
}

/**
 * Samples a token from `logits[off .. off+V)`.
 * @returns the token id and its log-probability under softmax(logits / temperature) over the whole
 *   vocabulary (the distribution the trainer scores; top-k/top-p truncation is not renormalised into it).
 *   At temperature 0 the log-prob is taken at temperature 1.
 */
export function sampleToken(logits: Float32Array, off: number, V: number, p: SamplingParams, rng: Rng): { id: number; logprob: number } {
  const t = effectiveTemperature(p.temperature); // the one rule: greedy's log-prob is taken at T = 1
  let max = -Infinity;
  let argmax = 0;
  for (let i = 0; i < V; i++) {
    const x = logits[off + i]!;
    if (x > max) {
      max = x;
      argmax = i;
    }
  }
  const probs = new Float64Array(V);
  let z = 0;
  for (let i = 0; i < V; i++) {
    const e = Math.exp((logits[off + i]! - max) / t);
    probs[i] = e;
    z += e;
  }
  const logZ = Math.log(z);
  const logprobOf = (id: number) => (logits[off + id]! - max) / t - logZ;
  if (p.temperature <= 0) return { id: argmax, logprob: logprobOf(argmax) };

  let candidates: number[] | null = null;
  const byProb = (a: number, b: number) => probs[b]! - probs[a]!;
  // Large vocabularies: select the top-k in O(V); sort only a prefix of the order that is sure to hold the nucleus.
  const big = V >= PREFIX_SORT_MIN_VOCAB;
  if (p.topK > 0 && p.topK < V) {
    candidates = big ? topKIndices(probs, V, p.topK) : Array.from({ length: V }, (_, i) => i).sort(byProb).slice(0, p.topK);
  }
  if (p.topP < 1) {
    const order = candidates ?? (big ? descendingPrefix(probs, V, 0, p.topP * z) : Array.from({ length: V }, (_, i) => i).sort(byProb));
    const mass = candidates === null && big ? z : order.reduce((s, i) => s + probs[i]!, 0);
    const keep: number[] = [];
    let cum = 0;
    for (const i of order) {
      keep.push(i);
      cum += probs[i]! / mass;
      if (cum >= p.topP) break;
    }
    candidates = keep;
  }
  let u = rng.next();
  if (candidates === null) {
    u *= z;
    for (let i = 0; i < V; i++) {
      u -= probs[i]!;
      if (u < 0) return { id: i, logprob: logprobOf(i) };
    }
    return { id: argmax, logprob: logprobOf(argmax) };
  }
  const mass = candidates.reduce((s, i) => s + probs[i]!, 0);
  u *= mass;
  for (const i of candidates) {
    u -= probs[i]!;
    if (u < 0) return { id: i, logprob: logprobOf(i) };
  }
  const last = candidates[candidates.length - 1]!;
  return { id: last, logprob: logprobOf(last) };
}

/** Vocabulary size from which top-k selects (`topKIndices`) and top-p sorts a prefix of the order, instead of sorting all V tokens. */
export const PREFIX_SORT_MIN_VOCAB = 4096;

/**
 * Indices of `probs[0..V)` in descending order of probability (ties by index, as a stable sort of all V), cut to
 * a prefix holding at least `k` entries and at least `mass` probability: the tokens with probability ≥ τ form a
 * prefix of the full order, so τ is lowered (÷1024) until that prefix is large enough, and only it is sorted.
 * O(V) passes plus O(n log n) for the n tokens kept, instead of O(V log V) (151,936 tokens: ~40 ms a row).
 */
export function descendingPrefix(probs: Float64Array, V: number, k: number, mass: number): number[] {
  let max = 0;
  for (let i = 0; i < V; i++) if (probs[i]! > max) max = probs[i]!;
  for (let tau = max / 1024; ; tau = tau > 1e-300 ? tau / 1024 : 0) {
    const idx: number[] = [];
    let m = 0;
    for (let i = 0; i < V; i++) {
      if (probs[i]! >= tau) {
        idx.push(i);
        m += probs[i]!;
      }
    }
    if ((idx.length >= k && m >= mass) || tau === 0) return idx.sort((a, b) => probs[b]! - probs[a]!);
  }
}

/**
 * The first `k` indices of the descending stable order of `probs[0..V)` (ties by index), as `sort(...).slice(0, k)`
 * would give, in O(V) expected time: quickselect finds the k-th largest value τ, then the tokens above τ and the
 * lowest-indexed ones equal to τ are sorted. A flat distribution (a random or high-temperature model) puts almost
 * every token above `descendingPrefix`'s thresholds, so that sorted ~V tokens a row (151,936: ~90 ms a step).
 * @throws RangeError unless 1 ≤ k ≤ V
 */
export function topKIndices(probs: Float64Array, V: number, k: number): number[] {
  if (!(k >= 1 && k <= V)) throw new RangeError(`topKIndices: k must be in [1, ${V}] (got ${k})`);
  const a = probs.slice(0, V);
  // Quickselect (Hoare partition, middle pivot) for the value at descending rank k − 1.
  let lo = 0, hi = V - 1;
  const want = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else break;
  }
  const tau = a[want]!;
  const out: number[] = [];
  for (let i = 0; i < V; i++) if (probs[i]! > tau) out.push(i);
  for (let i = 0; i < V && out.length < k; i++) if (probs[i] === tau) out.push(i);
  return out.sort((x, y) => probs[y]! - probs[x]! || x - y);
}
