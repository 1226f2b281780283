/**
 * Log-probabilities of tokens under a model's output distribution, and the one temperature rule.
 *
 * Temperature T scales the logits: softmax(logits / T). T = 0 means greedy decoding, and the log-probs reported for
 * it are taken at T = 1 (`logitScale(0) = 1`) — in host sampling (`rollout/sampling.ts`), device sampling
 * (`CausalLM.decodeSample`) and every log-prob of the trainer alike. The trainer's log-probs (π_θ with gradients,
 * π_old, π_ref) all go through `hiddenLogprobs` (the learner: log-probs and entropy) or `hiddenTargetLogprobs`
 * (scoring: log-probs only), which scale the hidden states by 1/T before the LM head (the same
 * product as scaling the logits, computed on a `[N, D]` instead of a `[N, V]` array). They still differ in the last
 * float32 bits, because jax-js compiles the program with a backward pass differently from the one without (≈1e-6
 * on a log-prob of −10; the default run's step-1 k3 KL at β > 0 is −5·10⁻¹⁰, before and after this module).
 */
import { lax, nn, numpy as np } from "@jax-js/jax";
import { LOGITS_CHUNK_ELEMENTS } from "../engine/limits.js";

type Arr = np.Array;

/** The sampling temperature the distribution is taken at: T, or 1 for greedy (T ≤ 0). */
export function effectiveTemperature(temperature: number): number {
  return temperature > 0 ? temperature : 1;
}

/** The factor logits are multiplied by: 1 / `effectiveTemperature(T)`. */
export function logitScale(temperature: number): number {
  return 1 / effectiveTemperature(temperature);
}

/**
 * `x[..., ids[...]]`: picks one entry of the last axis per row by comparing `ids` with an iota, `[..., V]` → `[...]`.
 * Not `nn.oneHot`: jax-js 0.1.25 builds a one-hot by gathering rows of a `[V, V]` identity constant, which for a
 * 151,936-token vocabulary is 23·10⁹ floats (a WebGPU shader-compile error / out of memory).
 * Consumes `x` and `ids` (int32, shape of `x` without its last axis).
 */
export function takeLast(x: Arr, ids: Arr, V: number): Arr {
  const iota = np.arange(V, undefined, undefined, { dtype: np.int32 });
  const hit = np.equal(ids.reshape([...ids.shape, 1]), iota);
  return np.where(hit, x, 0).sum(-1);
}

/**
 * log Σ_v exp(x[..., v]) over the last axis, `[..., V]` → `[..., 1]` (keepdims), as max + log Σ exp(x − max) with the
 * max outside the gradient. Consumes `x`.
 */
function logsumexpLast(x: Arr): { max: Arr; lse: Arr } {
  const max = lax.stopGradient(np.max(x.ref, -1, { keepdims: true }));
  const lse = np.log(np.exp(x.sub(max.ref)).sum(-1, { keepdims: true }));
  return { max, lse };
}

/**
 * Per-token log-probabilities of `targets` under softmax(logits): x_t − logsumexp(x) at every position, without a
 * `[B, T, V]` log-softmax — every term is a reduction over the last axis that reads the logits once (jax-js fuses the
 * elementwise part into the reduction), so besides the logits only `[B, T]` arrays exist (score heap at
 * 256 × 151,936: 297 MiB with `nn.logSoftmax`, 1 MiB this way; `bench/logprobs.ts`). Computed as
 * (x_t − max) − log Σ exp(x − max), the same float operations as picking from `nn.logSoftmax`, so the values are
 * those of `referenceTokenLogprobs`. Selection is a compare-and-sum (`takeLast`; jax-js `take` on views fails under
 * jit(grad)).
 * @param logits `[..., V]` (consumed); targets `[...]` int32 (consumed)
 * @returns logp `[...]`
 */
export function targetLogprobs(logits: Arr, targets: Arr): Arr {
  const V = logits.shape[logits.ndim - 1]!;
  const { max, lse } = logsumexpLast(logits.ref);
  const picked = takeLast(logits, targets, V);
  return picked.sub(np.squeeze(max, -1)).sub(np.squeeze(lse, -1));
}

/**
 * `targetLogprobs` and the entropy of the distribution (logits already scaled by the temperature:
 * `hiddenLogprobs` scales the hidden states). Entropy H = log Z − Σ softmax(x)·(x − max), with log Z = log Σ exp(x − max):
 * one more fused reduction, again without a `[B, T, V]` intermediate.
 * @param logits `[B, T, V]` (consumed); targets `[B, T]` int32 (consumed)
 * @returns logp `[B, T]`, entropy `[B, T]` (nats)
 */
export function tokenLogprobs(logits: Arr, targets: Arr): { logp: Arr; entropy: Arr } {
  const V = logits.shape[logits.ndim - 1]!;
  const { max, lse } = logsumexpLast(logits.ref);
  const shifted = logits.ref.sub(max.ref); // x − max: fused into each reduction below, never stored
  const expectation = np.exp(shifted.ref.sub(lse.ref)).mul(shifted).sum(-1);
  const entropy = np.squeeze(lse.ref, -1).sub(expectation);
  const logp = takeLast(logits, targets, V).sub(np.squeeze(max, -1)).sub(np.squeeze(lse, -1));
  return { logp, entropy };
}

/**
 * The materialising form `tokenLogprobs` replaced: `nn.logSoftmax` over `[B, T, V]`, then pick and entropy from it.
 * Kept as the reference for tests and `bench/logprobs.ts`; not used by the library.
 * @param logits `[B, T, V]` (consumed); targets `[B, T]` int32 (consumed)
 */
export function referenceTokenLogprobs(logits: Arr, targets: Arr): { logp: Arr; entropy: Arr } {
  const V = logits.shape[logits.ndim - 1]!;
  const lsm = nn.logSoftmax(logits, -1);
  const logp = takeLast(lsm.ref, targets, V);
  const entropy = np.exp(lsm.ref).mul(lsm).sum(-1).neg();
  return { logp, entropy };
}

/**
 * `tokenLogprobs` of `(hidden · logitScale(temperature)) @ head` — the log-probs of softmax(logits / T), the one
 * path every log-prob of the trainer takes (π_θ with gradients in the learner, π_old and π_ref without) — computed
 * over chunks of at most `maxElements / V` tokens, so the full
 * `[B, T, V]` logits (B·T·V floats: 2.5 GB for 4096 tokens of a 151,936-token vocabulary, above WebGPU's 2 GiB
 * storage-binding limit) never exist as one array. The tokens are split into the fewest chunks the cap allows, of
 * equal size but for the last. When all B·T tokens fit in one chunk this is exactly
 * `tokenLogprobs(hidden @ head, …)`. Under `grad` each chunk's softmax is kept for the backward pass (jax-js has
 * no rematerialisation), so training memory still scales with the micro-batch: bound it with the micro-batch size.
 * @param hidden `[B, T, D]` final hidden states (consumed); head `[D, V]` (consumed); targets `[B, T]` int32 (consumed)
 * @param temperature T (the rule of `logitScale`), or a `[1]` array holding logitScale(T) — a runtime input, so a
 *   jitted caller does not recompile per temperature (consumed)
 * @param maxElements logits elements per chunk (≥ V; default `LOGITS_CHUNK_ELEMENTS`)
 * @returns logp `[B, T]`, entropy `[B, T]` (nats)
 */
export function hiddenLogprobs(hidden: Arr, head: Arr, targets: Arr, temperature: number | Arr, maxElements = LOGITS_CHUNK_ELEMENTS): { logp: Arr; entropy: Arr } {
  const r = chunkedLogprobs(hidden, head, targets, temperature, maxElements, true);
  return { logp: r.logp, entropy: r.entropy! };
}

/**
 * `hiddenLogprobs` without the entropy: only the targets' log-probs (`targetLogprobs` per chunk), for the callers
 * that need nothing else — scoring (π_old, π_ref, SFT/DPO/eval losses through `CausalLM.sequenceLogprobs`).
 * Arguments as `hiddenLogprobs`; returns logp `[B, T]`.
 */
export function hiddenTargetLogprobs(hidden: Arr, head: Arr, targets: Arr, temperature: number | Arr, maxElements = LOGITS_CHUNK_ELEMENTS): Arr {
  return chunkedLogprobs(hidden, head, targets, temperature, maxElements, false).logp;
}

function chunkedLogprobs(hidden: Arr, head: Arr, targets: Arr, temperature: number | Arr, maxElements: number, withEntropy: boolean): { logp: Arr; entropy?: Arr } {
  const pick = (logits: Arr, t: Arr): { logp: Arr; entropy?: Arr } => (withEntropy ? tokenLogprobs(logits, t) : { logp: targetLogprobs(logits, t) });
  if (typeof temperature !== "number") hidden = hidden.mul(temperature);
  else if (logitScale(temperature) !== 1) hidden = hidden.mul(logitScale(temperature));
  const [B, T, D] = hidden.shape as [number, number, number];
  const V = head.shape[1]!;
  const N = B * T;
  const cap = Math.max(1, Math.floor(maxElements / V));
  if (cap >= N) return pick(np.matmul(hidden, head), targets);
  // The fewest chunks the cap allows, equal in size but for the last: on the H200 the LM-head backward was fastest
  // in the largest chunk measured (2048 rows) and slow in small ones (128, 220 rows), so no needlessly small chunks.
  const rows = Math.ceil(N / Math.ceil(N / cap));
  const h = hidden.reshape([N, D]);
  const t = targets.reshape([N]);
  const logp: Arr[] = [];
  const entropy: Arr[] = [];
  for (let s = 0; s < N; s += rows) {
    const e = Math.min(N, s + rows);
    const logits = np.matmul(h.ref.slice([s, e]), head.ref).reshape([1, e - s, V]);
    const r = pick(logits, t.ref.slice([s, e]).reshape([1, e - s]));
    logp.push(r.logp.reshape([e - s]));
    if (r.entropy) entropy.push(r.entropy.reshape([e - s]));
  }
  h.dispose();
  t.dispose();
  head.dispose();
  return { logp: np.concatenate(logp, 0).reshape([B, T]), entropy: withEntropy ? np.concatenate(entropy, 0).reshape([B, T]) : undefined };
}
