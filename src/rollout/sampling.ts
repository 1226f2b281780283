/**
 * Host-side token sampling from one row of logits: temperature, top-k, top-p (nucleus; Holtzman et al. 2020
 * §3.1), greedy at temperature 0. Randomness comes only from the `Rng` passed in.
 */
import type { Rng } from "../data/rng.js";

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
  const t = p.temperature > 0 ? p.temperature : 1;
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
  if (p.topK > 0 && p.topK < V) {
    candidates = Array.from({ length: V }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]!).slice(0, p.topK);
  }
  if (p.topP < 1) {
    const order = candidates ?? Array.from({ length: V }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]!);
    const mass = order.reduce((s, i) => s + probs[i]!, 0);
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
