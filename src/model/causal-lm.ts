/**
 * A causal language model on the jax-js engine: config + param tree + tokenizer, with the jit-compiled entry
 * points the rest of thinkrl uses (prefill, decode step, per-token log-probs). jit compiles once per input shape,
 * so callers pad to a few length buckets (`bucket`).
 */
import { jit, numpy as np, random, tree } from "@jax-js/jax";
import type { ModelConfig } from "./config.js";
import { defaultLogitsChunkElements, kvCacheInPlace, withDecodeMainThreadWork } from "../engine/limits.js";
import { decodeStep, decodeStepInPlace, forwardHidden, matmulWeight, type KV, type KVCache, type LlamaParams, type PositionInputs } from "./llama.js";
import { hiddenTargetLogprobs, logitScale, targetLogprobs } from "./logprobs.js";
import { decodePositionInputs, decodePositionInputsOwnKey, fullPositionInputs } from "./positions.js";
import type { TextTokenizer } from "./tokenizer.js";

/** Rounds `n` up to a multiple of `step` (shape buckets that bound jit recompiles). */
export function bucket(n: number, step: number): number {
  return Math.max(step, Math.ceil(n / step) * step);
}

/**
 * Draws one token per row on the device by Gumbel-max: argmax(z + g), g ~ Gumbel(0, 1) i.i.d., is an exact sample
 * of softmax(z) (Gumbel 1954; Maddison et al. 2014 §2), with z = logits · invTemp. Consumes every input.
 * @param logits `[B, V]`; invTemp `[1]` (1 / temperature); noise scalar (0 turns it into greedy argmax); seed uint32
 * @returns id `[B]` int32 and its log-prob `[B]` under softmax(z)
 */
function gumbelSample(logits: np.Array, invTemp: np.Array, noise: np.Array, seed: np.Array): { id: np.Array; logprob: np.Array } {
  const scaled = logits.mul(invTemp); // [B, V]
  const g = random.gumbel(random.key(seed), scaled.shape).mul(noise);
  const id = np.argmax(scaled.ref.add(g), -1); // [B] int32
  return { id: id.ref, logprob: targetLogprobs(scaled, id) };
}

/** Granularity (slots) of the cache prefix an in-place decode step attends over (`attentionWindow`). */
export const ATTENTION_WINDOW_BUCKET = 16;

/**
 * Cache slots an in-place decode step writing slot `slot` reads: the slots before it, rounded up to a multiple of
 * `ATTENTION_WINDOW_BUCKET` (each window is one more compiled decode shape), at most the cache length S.
 */
export function attentionWindow(slot: number, S: number): number {
  return Math.min(S, bucket(Math.max(1, slot), ATTENTION_WINDOW_BUCKET));
}

/**
 * Whether `e` says the Wasm heap is exhausted: jax-js's allocator ("Allocation exceeds the 4 GiB memory32 limit") or
 * `WebAssembly.Memory.grow` failing below it (both RangeErrors).
 */
export function isHeapExhausted(e: unknown): boolean {
  return e instanceof RangeError && /memory|allocation/i.test(e.message);
}

let splitNoticeShown = false;

/**
 * Runs `run(0, B)`; when that exhausts the heap (`isHeapExhausted`) and B > 1, runs the two halves of the rows
 * instead (recursively) and `merge`s their results in row order, saying so once per process on stderr. A jit call
 * fails at allocation, before any kernel runs, and the patched jax-js releases what it allocated (patch
 * `wasm-jit-arena`), so the retry starts from the same heap.
 * @param what the call, for the message ("a prefill of 64 × 900 tokens")
 */
export async function splitRowsOnHeapLimit<R>(B: number, what: string, run: (b0: number, b1: number) => Promise<R>, merge: (a: R, b: R) => R): Promise<R> {
  const go = async (b0: number, b1: number): Promise<R> => {
    try {
      return await run(b0, b1);
    } catch (e) {
      if (!isHeapExhausted(e) || b1 - b0 < 2) throw e;
      const mid = b0 + Math.ceil((b1 - b0) / 2);
      if (!splitNoticeShown) {
        splitNoticeShown = true;
        console.error(`thinkrl: ${what} does not fit the Wasm heap (${(e as Error).message}); running it in parts of ${mid - b0} rows or fewer (said once)`);
      }
      const a = await go(b0, mid);
      return merge(a, await go(mid, b1));
    }
  };
  return go(0, B);
}

/** `f(...args)`; when it throws, disposes the (array trees of) `args` it did not consume, then rethrows. */
function callReleasingInputs<A extends unknown[], R>(f: (...args: A) => R, args: A): R {
  try {
    return f(...args);
  } catch (e) {
    for (const a of args) {
      try {
        tree.dispose(a as never);
      } catch {
        // already consumed
      }
    }
    throw e;
  }
}

function concatF32(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A right-padded batch of sequences for scoring/training: the model reads `tokens` and predicts `targets`. */
export interface SequenceBatch {
  /** `[B, T]` int32 input ids (sequence[:-1], right-padded). */
  tokens: Int32Array;
  /** `[B, T]` int32 next-token ids (sequence[1:]). */
  targets: Int32Array;
  B: number;
  T: number;
}

export class CausalLM {
  readonly #prefill;
  readonly #decode;
  readonly #logprobs;
  readonly #decodeSample;
  readonly #decodeInPlace;
  readonly #decodeSampleInPlace;
  /**
   * Whether decode steps write the key/value cache in place (`kvCacheInPlace()` at construction: the Wasm backend with
   * jax-js's `wasm-inplace-write` patch). Decides the cache layout (`KVCache`): k and v `[B, K, S, H]` when true.
   */
  readonly kvInPlace = kvCacheInPlace();
  /**
   * Most logits elements (tokens × V) materialised at once when scoring or training (`chunkedTokenLogprobs`).
   * Read when a shape is first compiled; set it before the first call. Default: `defaultLogitsChunkElements()` for
   * the backend current at construction.
   */
  logitsChunkElements = defaultLogitsChunkElements();

  constructor(
    readonly config: ModelConfig,
    public params: LlamaParams,
    readonly tokenizer: TextTokenizer,
  ) {
    const cfg = config;
    this.#prefill = jit((p: LlamaParams, tokens: np.Array, pos: PositionInputs) => {
      // Only the last position's logits are needed: project one hidden state per row, not [B, L, V].
      const T = tokens.shape[1]!;
      const { hidden, head, kv } = forwardHidden(p, cfg, tokens, pos);
      return { last: matmulWeight(hidden.slice([], T - 1), head), kv };
    });
    this.#decode = jit((p: LlamaParams, token: np.Array, pos: PositionInputs, cache: KVCache[], slot: np.Array) =>
      decodeStep(p, cfg, token, pos, cache, slot),
    );
    this.#decodeSample = jit(
      (p: LlamaParams, token: np.Array, pos: PositionInputs, cache: KVCache[], slot: np.Array, invTemp: np.Array, noise: np.Array, seed: np.Array) => {
        const out = decodeStep(p, cfg, token, pos, cache, slot);
        return { ...gumbelSample(out.logits, invTemp, noise, seed), cache: out.cache };
      },
    );
    this.#decodeInPlace = jit((p: LlamaParams, token: np.Array, pos: PositionInputs, cache: KVCache[]) => decodeStepInPlace(p, cfg, token, pos, cache));
    this.#decodeSampleInPlace = jit(
      (p: LlamaParams, token: np.Array, pos: PositionInputs, cache: KVCache[], invTemp: np.Array, noise: np.Array, seed: np.Array) => {
        const out = decodeStepInPlace(p, cfg, token, pos, cache);
        return { ...gumbelSample(out.logits, invTemp, noise, seed), kv: out.kv };
      },
    );
    this.#logprobs = jit((p: LlamaParams, tokens: np.Array, targets: np.Array, pos: PositionInputs, scale: np.Array) => {
      // The temperature's logit scale is a runtime input: no recompile per value.
      const { hidden, head, kv } = forwardHidden(p, cfg, tokens, pos);
      for (const x of kv) {
        x.k.dispose();
        x.v.dispose();
      }
      return { logp: hiddenTargetLogprobs(hidden, head, targets, scale, this.logitsChunkElements) };
    });
  }

  /** Token id used for padding (`pad_token_id`, else the first EOS id, else 0). */
  get padId(): number {
    return this.config.padTokenId ?? this.config.eosTokenId[0] ?? 0;
  }

  /**
   * Runs a left-padded prompt batch and allocates a key/value cache of `S` slots.
   * @param tokens `[B, L]` left-padded prompt ids; `pad[b]` leading pads in row b
   * @returns the last position's logits `[B, V]` (host copy) and the cache (owned by the caller)
   */
  async prefill(tokens: Int32Array, B: number, L: number, pad: number[], S: number): Promise<{ logits: Float32Array; cache: KVCache[] }> {
    return splitRowsOnHeapLimit(
      B,
      `a prefill of ${B} × ${L} tokens`,
      (b0, b1) => this.#prefillRows(tokens.subarray(b0 * L, b1 * L), b1 - b0, L, pad.slice(b0, b1), S),
      (a, b) => ({
        logits: concatF32(a.logits, b.logits),
        cache: a.cache.map((x, i) => ({ k: np.concatenate([x.k, b.cache[i]!.k], 0), v: np.concatenate([x.v, b.cache[i]!.v], 0) })),
      }),
    );
  }

  async #prefillRows(tokens: Int32Array, B: number, L: number, pad: number[], S: number): Promise<{ logits: Float32Array; cache: KVCache[] }> {
    const c = this.config;
    const pos = fullPositionInputs(c, B, L, pad);
    const ids = np.array(tokens, { dtype: np.int32 }).reshape([B, L]);
    const { last, kv } = callReleasingInputs(this.#prefill, [tree.ref(this.params), ids, pos]);
    const logits = (await last.data()) as Float32Array;
    const K = c.numKeyValueHeads, H = c.headDim;
    if (this.kvInPlace) {
      // [B, L, K, H] → [B, K, S, H] (see KVCache), zero slots after the prompt.
      const layout = (x: np.Array) => {
        const t = x.transpose([0, 2, 1, 3]);
        return S === L ? t : np.concatenate([t, np.zeros([B, K, S - L, H])], 2);
      };
      return { logits, cache: kv.map(({ k, v }) => ({ k: layout(k), v: layout(v) })) };
    }
    // [B, L, K, H] → cache layouts k [B, K, H, S], v [B, K, S, H] (see KVCache), zero slots after the prompt.
    const cache = kv.map(({ k, v }) => {
      const kt = k.transpose([0, 2, 3, 1]);
      const vt = v.transpose([0, 2, 1, 3]);
      if (S === L) return { k: kt, v: vt };
      return {
        k: np.concatenate([kt, np.zeros([B, K, H, S - L])], 3),
        v: np.concatenate([vt, np.zeros([B, K, S - L, H])], 2),
      };
    });
    return { logits, cache };
  }

  /** Cache slots S of `cache` (in this model's layout). */
  cacheLength(cache: KVCache[]): number {
    return cache[0]!.k.shape[this.kvInPlace ? 2 : 3]!;
  }

  /**
   * The cache restricted to batch rows `rows` (in that order), e.g. to drop finished rows. Consumes `cache`.
   * @param rows indices into the cache's batch axis (repeats allowed)
   */
  selectRows(cache: KVCache[], rows: readonly number[]): KVCache[] {
    const idx = () => np.array(Int32Array.from(rows), { dtype: np.int32 });
    return cache.map(({ k, v }) => ({ k: np.take(k, idx(), 0), v: np.take(v, idx(), 0) })); // batch is axis 0 of every layout
  }

  /** Writes each layer's new key/value `[B, 1, K, H]` into slot `slot` of the `[B, K, S, H]` cache, in place. Consumes `kv`. */
  async #writeSlot(cache: KVCache[], kv: KV[], slot: number): Promise<void> {
    const S = this.cacheLength(cache), H = this.config.headDim;
    const at = { blockSize: H, stride: S * H };
    for (const [i, { k, v }] of kv.entries()) {
      const c = cache[i]!;
      await c.k.thinkrlWriteInPlace(k, slot * H, at);
      await c.v.thinkrlWriteInPlace(v, slot * H, at);
    }
  }

  /**
   * Device inputs of one in-place decode step: token ids `[B, 1]` and position inputs whose mask `[B, 1, 1, W + 1]`
   * covers the first W = `attentionWindow(slot, S)` cache slots (the attention reads only those).
   */
  #stepInputsInPlace(token: Int32Array, slot: number, pad: number[], cache: KVCache[]): { ids: np.Array; pos: PositionInputs } {
    const B = token.length;
    return {
      ids: np.array(token, { dtype: np.int32 }).reshape([B, 1]),
      pos: decodePositionInputsOwnKey(this.config, B, attentionWindow(slot, this.cacheLength(cache)), slot, pad),
    };
  }

  /** Device inputs of one decode step: token ids `[B, 1]`, position inputs, and the `[S]` one-hot of `slot`. */
  #stepInputs(token: Int32Array, slot: number, pad: number[], cache: KVCache[]): { ids: np.Array; pos: PositionInputs; slotMask: np.Array } {
    const B = token.length;
    const S = cache[0]!.k.shape[3]!;
    const slotMask = new Int32Array(S);
    slotMask[slot] = 1;
    return {
      ids: np.array(token, { dtype: np.int32 }).reshape([B, 1]),
      pos: decodePositionInputs(this.config, B, S, slot, pad),
      slotMask: np.array(slotMask, { dtype: np.bool }),
    };
  }

  /**
   * One decode step: feeds `token[b]` at cache slot `slot`. Consumes `cache`, returns the new one.
   * @returns logits `[B, V]` (host copy) for the next token
   */
  async decode(token: Int32Array, slot: number, pad: number[], cache: KVCache[]): Promise<{ logits: Float32Array; cache: KVCache[] }> {
    return withDecodeMainThreadWork(() => this.#decodeStep(token, slot, pad, cache));
  }

  async #decodeStep(token: Int32Array, slot: number, pad: number[], cache: KVCache[]): Promise<{ logits: Float32Array; cache: KVCache[] }> {
    if (this.kvInPlace) {
      const { ids, pos } = this.#stepInputsInPlace(token, slot, pad, cache);
      const out = this.#decodeInPlace(tree.ref(this.params), ids, pos, tree.ref(cache));
      const logits = (await out.logits.data()) as Float32Array;
      await this.#writeSlot(cache, out.kv, slot);
      return { logits, cache };
    }
    const { ids, pos, slotMask } = this.#stepInputs(token, slot, pad, cache);
    const out = this.#decode(tree.ref(this.params), ids, pos, cache, slotMask);
    const logits = (await out.logits.data()) as Float32Array;
    return { logits, cache: out.cache };
  }

  /**
   * One decode step that also draws the next token on the device, so only `[B]` ids and log-probs come back
   * instead of `[B, V]` logits (39 MB a step for 64 rows of a 151,936-token vocabulary) and no O(B·V) host loop
   * runs. Samples softmax(logits / temperature) exactly (Gumbel-max); temperature 0 = greedy. No top-k/top-p.
   * Consumes `cache`, returns the new one.
   * @param seed uint32 seeding this step's noise (the caller draws it from its `Rng`, so runs are reproducible)
   * @returns next ids `[B]`, their log-probs `[B]` under softmax(logits / temperature) (temperature 1 when greedy)
   */
  async decodeSample(token: Int32Array, slot: number, pad: number[], cache: KVCache[], temperature: number, seed: number): Promise<{ ids: Int32Array; logprobs: Float32Array; cache: KVCache[] }> {
    return withDecodeMainThreadWork(() => this.#decodeSampleStep(token, slot, pad, cache, temperature, seed));
  }

  async #decodeSampleStep(token: Int32Array, slot: number, pad: number[], cache: KVCache[], temperature: number, seed: number): Promise<{ ids: Int32Array; logprobs: Float32Array; cache: KVCache[] }> {
    const scalars = () => [np.array([logitScale(temperature)]), np.array(temperature > 0 ? 1 : 0), np.array(seed >>> 0, { dtype: np.uint32 })] as const;
    if (this.kvInPlace) {
      const { ids: tokens, pos } = this.#stepInputsInPlace(token, slot, pad, cache);
      const out = this.#decodeSampleInPlace(tree.ref(this.params), tokens, pos, tree.ref(cache), ...scalars());
      const ids = (await out.id.data()) as Int32Array;
      const logprobs = (await out.logprob.data()) as Float32Array;
      await this.#writeSlot(cache, out.kv, slot);
      return { ids, logprobs, cache };
    }
    const { ids: tokens, pos, slotMask } = this.#stepInputs(token, slot, pad, cache);
    const out = this.#decodeSample(
      tree.ref(this.params),
      tokens,
      pos,
      cache,
      slotMask,
      ...scalars(),
    );
    const ids = (await out.id.data()) as Int32Array;
    const logprobs = (await out.logprob.data()) as Float32Array;
    return { ids, logprobs, cache: out.cache };
  }

  /**
   * Per-token log-probs of `targets` under softmax(logits / temperature) (`model/logprobs.ts`: the same path and
   * temperature rule as the learner's, without the entropy and without a `[B, T, V]` log-softmax), without gradients.
   * @returns logp `[B, T]` as a host array
   */
  async sequenceLogprobs(batch: SequenceBatch, temperature = 1, params: LlamaParams = this.params): Promise<{ logp: Float32Array }> {
    const { B, T } = batch;
    return splitRowsOnHeapLimit(
      B,
      `scoring ${B} × ${T} tokens`,
      (b0, b1) => this.#sequenceLogprobsRows({ tokens: batch.tokens.subarray(b0 * T, b1 * T), targets: batch.targets.subarray(b0 * T, b1 * T), B: b1 - b0, T }, temperature, params),
      (a, b) => ({ logp: concatF32(a.logp, b.logp) }),
    );
  }

  async #sequenceLogprobsRows(batch: SequenceBatch, temperature: number, params: LlamaParams): Promise<{ logp: Float32Array }> {
    const { B, T } = batch;
    const out = callReleasingInputs(this.#logprobs, [
      tree.ref(params),
      np.array(batch.tokens, { dtype: np.int32 }).reshape([B, T]),
      np.array(batch.targets, { dtype: np.int32 }).reshape([B, T]),
      fullPositionInputs(this.config, B, T),
      np.array([logitScale(temperature)]),
    ]);
    return { logp: (await out.logp.data()) as Float32Array };
  }

  dispose(): void {
    tree.dispose(this.params);
  }
}
