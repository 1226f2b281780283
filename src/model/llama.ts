/**
 * The Llama / Qwen2 decoder family on jax-js, written once for both (Qwen2 = Llama + q/k/v bias).
 *
 * References: Touvron et al., "LLaMA" (2023) — RMSNorm, SwiGLU, rotary embeddings; Ainslie et al., "GQA" (2023);
 * Su et al., "RoFormer" (2021) §3.4 with the Hugging Face `rotate_half` convention (first half / second half of
 * the head dimension, not interleaved pairs); Hugging Face `modeling_llama.py` / `modeling_qwen2.py` for the layout.
 *
 * Params are a plain tree (JAX style). Linear weights are stored `[in, out]` (transposed from the Hugging Face
 * `[out, in]` layout at load time, see `params.ts`) so a projection is one `x @ W`.
 *
 * Ownership: every function here CONSUMES its array arguments (jax-js convention); callers pass `.ref` to keep one.
 * Shapes: B batch, T query length, S key length (cache size), D hidden, N query heads, K key/value heads,
 * H head dim, F MLP width, V vocabulary.
 */
import { nn, numpy as np } from "@jax-js/jax";
import type { ModelConfig } from "./config.js";

/** Logits-chunk sizing is a backend limit: it lives in `engine/limits.ts` (re-exported here for existing callers). */
export { defaultLogitsChunkElements, LOGITS_CHUNK_ELEMENTS } from "../engine/limits.js";
import { attentionChunkElements, MAX_ATTENTION_CHUNKS } from "../engine/limits.js";

type Arr = np.Array;

/** One decoder layer. Biases exist only when `attentionBias` (Qwen2). */
export type LayerParams = {
  inputNorm: Arr; // [D]
  q: Arr; // [D, N*H]
  k: Arr; // [D, K*H]
  v: Arr; // [D, K*H]
  qBias?: Arr; // [N*H]
  kBias?: Arr; // [K*H]
  vBias?: Arr; // [K*H]
  o: Arr; // [N*H, D]
  oBias?: Arr; // [D]; Llama with `attention_bias` only (Qwen2 has none)
  postNorm: Arr; // [D]
  gate: Arr; // [D, F]
  up: Arr; // [D, F]
  down: Arr; // [F, D]
};

export type LlamaParams = {
  embed: Arr; // [V, D]
  layers: LayerParams[];
  norm: Arr; // [D]
  lmHead?: Arr; // [D, V]; absent when tieWordEmbeddings (then embedᵀ is used)
  /**
   * Per layer, additive branches of its linear maps: y = x·W (+ b) + branch(x), each given the map's input
   * `[B, T, in]` and consuming it — e.g. a LoRA adapter with dropout on its input while training (`adapt/lora.ts`).
   * Absent normally (and never in a model's own parameters: only in a training forward's). A symbol key, so tree
   * utilities (which walk string keys) never see the functions.
   */
  [BRANCHES]?: LayerBranches[];
};

/** Key of `LlamaParams`' per-layer branches. */
export const BRANCHES: unique symbol = Symbol("thinkrl.branches");

/** The linear maps of a layer. */
export type LinearKey = "q" | "k" | "v" | "o" | "gate" | "up" | "down";
/** Additive branches of one layer's linear maps (`LlamaParams[BRANCHES]`). */
export type LayerBranches = Partial<Record<LinearKey, (x: Arr) => Arr>>;

/** Keys/values of one layer from a full forward: `[B, T, K, H]` each. */
export type KV = { k: Arr; v: Arr };

/**
 * Decode-time key/value cache of one layer, in one of two layouts (`CausalLM` picks one per backend):
 * - rewritten each step (`decodeStep`): k `[B, K, H, S]`, v `[B, K, S, H]` — the layouts the attention matmuls read
 *   directly (no per-step transposes or GQA repeats); the step returns the whole cache with the new slot written;
 * - written in place (`decodeStepInPlace`, Wasm): k and v `[B, K, S, H]` — each (row, head) keeps its keys in one
 *   contiguous `[S, H]` block, so both attention products read memory in order — and the caller writes the new
 *   token's B·K vectors of H floats into the cache buffers after the step (`np.Array.thinkrlWriteInPlace` with a
 *   stride of S·H, jax-js patch `wasm-inplace-write`).
 */
export type KVCache = { k: Arr; v: Arr };

/**
 * Inputs that depend on token positions, prepared on the host (see `rope.ts` / `masks.ts`).
 * `cos`, `sin`: `[B, T, 1, H/2]`; `mask`: `[B, 1, T, S]` boolean, true = query may attend to key.
 */
export type PositionInputs = { cos: Arr; sin: Arr; mask: Arr };

/** Large finite negative for masked scores: keeps rows with no visible key finite (no NaN through padding). */
const MASKED_SCORE = -1e9;

/** RMSNorm (Zhang & Sennrich 2019): x / sqrt(mean(x²) + eps) · w. x: `[..., D]`, w: `[D]`. */
export function rmsNorm(x: Arr, w: Arr, eps: number): Arr {
  const ms = x.ref.mul(x.ref).mean(-1, { keepdims: true });
  return x.div(np.sqrt(ms.add(eps))).mul(w);
}

/**
 * Rotary embedding, Hugging Face convention: out = x·cos + rotate_half(x)·sin with
 * rotate_half([x1, x2]) = [−x2, x1] over the two halves of the head dimension (RoFormer eq. 34).
 * x: `[B, T, heads, H]`; cos, sin: `[B, T, 1, H/2]`.
 */
export function applyRope(x: Arr, cos: Arr, sin: Arr): Arr {
  const [x1, x2] = np.split(x, 2, 3) as [Arr, Arr];
  const a = x1.ref.mul(cos.ref).sub(x2.ref.mul(sin.ref));
  const b = x2.mul(cos).add(x1.mul(sin));
  return np.concatenate([a, b], 3);
}

/**
 * `x · w` for an activation `x` (float32) and a weight `w`: a float16 weight (`castWeights`) takes the product in
 * float16 — `x` rounded to float16, f32 accumulation (jax-js), the result rounded to float16 and returned as float32 —
 * which the WebGPU backend runs on tensor cores where the device has them (jax-js patch 208).
 */
export function matmulWeight(x: Arr, w: Arr): Arr {
  if (w.dtype !== np.float16) return np.matmul(x, w);
  return np.matmul(x.dtype === np.float16 ? x : x.astype(np.float16), w).astype(np.float32);
}

/**
 * `x` rounded to float16 once when the weight `w` that reads it is float16 and no branch reads it too, so the
 * projections that share an input (q, k, v; gate, up) share one cast; otherwise `x` unchanged. Consumes `x`.
 */
function projectionInput(w: Arr, x: Arr, br: LayerBranches | undefined): Arr {
  return w.dtype === np.float16 && x.dtype !== np.float16 && br === undefined ? x.astype(np.float16) : x;
}

function linear(x: Arr, w: Arr, b?: Arr): Arr {
  const y = matmulWeight(x, w);
  return b === undefined ? y : y.add(b);
}

/** `linear` of the layer's map `key`, plus its branch when there is one (`LlamaParams[BRANCHES]`). */
function project(p: LayerParams, br: LayerBranches | undefined, key: LinearKey, x: Arr, b?: Arr): Arr {
  const branch = br?.[key];
  return branch === undefined ? linear(x, p[key], b) : linear(x.ref, p[key], b).add(branch(x));
}

/**
 * Scaled dot-product attention with grouped-query heads (GQA: query head n uses key/value head ⌊n / (N/K)⌋,
 * as Hugging Face `repeat_kv`). q: `[B, T, N, H]`, k, v: `[B, S, K, H]`, mask: `[B, 1, T, S]` → `[B, T, N·H]`.
 *
 * Memory: when the scores `[B, N, T, S]` would pass `chunkElements` floats, the queries are processed in chunks of
 * `attentionQueryChunk` rows (each chunk's scores, softmax and output are dead before the next chunk starts, so a jit
 * program holds one chunk's scores at a time), and with `causal` a chunk ending at query t reads only the keys
 * s < S − T + t: the ones after it are masked for every query of the chunk. Per query row the softmax is unchanged,
 * so the result equals the unchunked one up to float summation order.
 * @param causal the mask hides key s from query t whenever s > S − T + t (true for every full forward here:
 *   `fullPositionInputs` builds causal masks); enables the key truncation
 * @param chunkElements most score elements per chunk (default `attentionChunkElements()`; 0 = never chunk)
 */
export function attention(q: Arr, k: Arr, v: Arr, mask: Arr, causal = false, chunkElements = attentionChunkElements()): Arr {
  const [B, T, N, H] = q.shape as [number, number, number, number];
  const [, S, K] = k.shape as [number, number, number, number];
  if (N % K !== 0) throw new Error(`attention: query heads ${N} not divisible by key/value heads ${K}`);
  const G = N / K;
  let kk = k;
  let vv = v;
  if (G > 1) {
    kk = np.repeat(kk, G, 2);
    vv = np.repeat(vv, G, 2);
  }
  // Matmul operands in their own layout, not transposed views (see `materialize`).
  const qh = materialize(q.transpose([0, 2, 1, 3])); // [B, N, T, H]
  const kh = materialize(kk.transpose([0, 2, 3, 1])); // [B, N, H, S]
  const vh = materialize(vv.transpose([0, 2, 1, 3])); // [B, N, S, H]
  const rows = attentionQueryChunk(B * N, T, S, chunkElements);
  if (rows >= T) {
    const out = attentionBlock(qh, kh, vh, mask, H);
    return materialize(out.transpose([0, 2, 1, 3])).reshape([B, T, N * H]);
  }
  const outs: Arr[] = [];
  for (let t0 = 0; t0 < T; t0 += rows) {
    const t1 = Math.min(T, t0 + rows);
    const s1 = causal ? Math.max(1, Math.min(S, S - T + t1)) : S;
    const qc = qh.ref.slice([], [], [t0, t1]); // [B, N, t1 − t0, H]
    const kc = s1 === S ? kh.ref : kh.ref.slice([], [], [], [0, s1]); // [B, N, H, s1]
    const vc = s1 === S ? vh.ref : vh.ref.slice([], [], [0, s1]); // [B, N, s1, H]
    const mc = mask.ref.slice([], [], [t0, t1], [0, s1]); // [B, 1, t1 − t0, s1]
    outs.push(materialize(attentionBlock(materialize(qc), materialize(kc), materialize(vc), mc, H).transpose([0, 2, 1, 3])));
  }
  qh.dispose();
  kh.dispose();
  vh.dispose();
  mask.dispose();
  return np.concatenate(outs, 1).reshape([B, T, N * H]); // chunks of [B, rows, N, H] → [B, T, N·H]
}

/** softmax(q·k / √H, masked) · v for q `[B, N, T, H]`, k `[B, N, H, S]`, v `[B, N, S, H]` → `[B, N, T, H]`. */
function attentionBlock(qh: Arr, kh: Arr, vh: Arr, mask: Arr, H: number): Arr {
  const scores = np.matmul(qh, kh).mul(1 / Math.sqrt(H)); // [B, N, T, S]
  const probs = nn.softmax(np.where(mask, scores, MASKED_SCORE), -1);
  return np.matmul(probs, vh);
}

/**
 * Query rows per attention chunk: all `T` when `heads·T·S` (heads = B·N) fits in `chunkElements` (or it is 0),
 * else the most rows that fit, at least ⌈T / MAX_ATTENTION_CHUNKS⌉ (bounding the kernels a jit program gets)
 * and at least 1.
 */
export function attentionQueryChunk(heads: number, T: number, S: number, chunkElements: number): number {
  if (chunkElements <= 0 || heads * T * S <= chunkElements) return T;
  const fit = Math.floor(chunkElements / (heads * S));
  return Math.min(T, Math.max(1, fit, Math.ceil(T / MAX_ATTENTION_CHUNKS)));
}

/**
 * `x` copied into its own row-major layout (values unchanged). Under `jit`, jax-js 0.1.25 reads a matmul operand that
 * is a transposed view through an untuned strided kernel — the attention-score matmul of an 8 × 512-token batch took
 * 1,015 ms on Wasm that way against 64 ms on contiguous operands — and only materialises a view's producer, in the
 * producer's layout. A multiply by a ones array is a non-view op, so its output (the transposed layout) is
 * materialised. (A literal `× 1` or `+ 0` is folded away at trace time.)
 */
function materialize(x: Arr): Arr {
  return x.mul(np.ones([1], { dtype: x.dtype }));
}

/**
 * Attention of one new token per row against the cache. GQA without repeats: the G query heads that share a
 * key/value head are the rows of one matmul (head n = k·G + g, as HF `repeat_kv`).
 * q: `[B, 1, N, H]`; cache k `[B, K, H, S]`, v `[B, K, S, H]`; mask `[B, 1, 1, S]` → `[B, 1, N·H]`.
 */
export function cachedAttention(q: Arr, k: Arr, v: Arr, mask: Arr): Arr {
  const [B, , N, H] = q.shape as [number, number, number, number];
  const K = k.shape[1]!;
  const qg = q.reshape([B, K, N / K, H]);
  const scores = np.matmul(qg, k).mul(1 / Math.sqrt(H)); // [B, K, G, S]
  const probs = nn.softmax(np.where(mask, scores, MASKED_SCORE), -1);
  return np.matmul(probs, v).reshape([B, 1, N * H]); // [B, K, G, H] → [B, 1, N·H]
}

/**
 * Attention of one new token per row against a read-only cache (`KVCache`, in-place layout) plus the token's own key/value, which is
 * not in the cache yet (`decodeStepInPlace` writes it afterwards). One softmax over the S cached keys and the new
 * key, so the result equals attention over a cache holding the new key, up to float summation order. GQA as
 * `cachedAttention`. Only the first W slots are read, W given by the mask (a strided view of the cache, no copy):
 * early decode steps of a long cache attend over fewer slots.
 * q: `[B, 1, N, H]`; kNew, vNew: `[B, 1, K, H]`; cache k, v: `[B, K, S, H]`; mask `[B, 1, 1, W + 1]`, W ≤ S (cache
 * slots 0…W−1 the token may see, then its own key) → `[B, 1, N·H]`.
 * @throws Error when the mask covers more than the S cached slots
 */
export function cachedAttentionWithSelf(q: Arr, kNew: Arr, vNew: Arr, k: Arr, v: Arr, mask: Arr): Arr {
  const [B, , N, H] = q.shape as [number, number, number, number];
  const [, K, S0] = k.shape as [number, number, number, number];
  const S = mask.shape[3]! - 1;
  if (S > S0) throw new Error(`cachedAttentionWithSelf: mask [${mask.shape}] covers ${S} slots of a ${S0}-slot cache`);
  if (S < S0) {
    k = k.slice([], [], [0, S]);
    v = v.slice([], [], [0, S]);
  }
  const G = N / K;
  const qg = q.reshape([B, K, G, H]);
  const scale = 1 / Math.sqrt(H);
  const cached = np.matmul(qg.ref, k.transpose([0, 1, 3, 2])).mul(scale); // [B, K, G, S]
  const own = qg.mul(kNew.reshape([B, K, 1, H])).sum(-1, { keepdims: true }).mul(scale); // [B, K, G, 1]
  const scores = np.concatenate([cached, own], 3); // [B, K, G, S + 1]
  const probs = nn.softmax(np.where(mask, scores, MASKED_SCORE), -1);
  const [pc, po] = np.split(probs, [S], 3) as [Arr, Arr];
  const out = np.matmul(pc, v).add(po.mul(vNew.reshape([B, K, 1, H]))); // [B, K, G, H]
  return out.reshape([B, 1, N * H]);
}

function layerForward(
  p: LayerParams,
  cfg: ModelConfig,
  x: Arr,
  pos: PositionInputs,
  cache: KVCache | null,
  slot: Arr | null,
  br?: LayerBranches,
): { x: Arr; kv: KV } {
  const [B, T] = x.shape as [number, number, number];
  const { numAttentionHeads: N, numKeyValueHeads: K, headDim: H } = cfg;
  const h = projectionInput(p.q, rmsNorm(x.ref, p.inputNorm, cfg.rmsNormEps), br);
  let q = project(p, br, "q", h.ref, p.qBias).reshape([B, T, N, H]);
  let k = project(p, br, "k", h.ref, p.kBias).reshape([B, T, K, H]);
  const v = project(p, br, "v", h, p.vBias).reshape([B, T, K, H]);
  q = applyRope(q, pos.cos.ref, pos.sin.ref);
  k = applyRope(k, pos.cos.ref, pos.sin.ref);
  let kv: KV;
  let att: Arr;
  if (cache === null) {
    kv = { k, v };
    att = attention(q, kv.k.ref, kv.v.ref, pos.mask.ref, true);
  } else if (slot === null) {
    // Decode against a read-only cache: return only the new token's key/value `[B, 1, K, H]`.
    kv = { k, v };
    att = cachedAttentionWithSelf(q, kv.k.ref, kv.v.ref, cache.k, cache.v, pos.mask.ref);
  } else {
    // Decode: T == 1; write the new key/value into cache slot `slot` ([S] one-hot, bool). [B,1,K,H] has the
    // memory order of [B,K,H,1] and of [B,K,1,H], so the new entries need only reshapes.
    const S = slot!.shape[0]!;
    kv = {
      k: np.where(slot!.ref.reshape([1, 1, 1, S]), k.reshape([B, cfg.numKeyValueHeads, H, 1]), cache.k),
      v: np.where(slot!.reshape([1, 1, S, 1]), v.reshape([B, cfg.numKeyValueHeads, 1, H]), cache.v),
    };
    att = cachedAttention(q, kv.k.ref, kv.v.ref, pos.mask.ref);
  }
  x = x.add(project(p, br, "o", att, p.oBias));
  const h2 = projectionInput(p.gate, rmsNorm(x.ref, p.postNorm, cfg.rmsNormEps), br);
  const mlp = project(p, br, "down", nn.silu(project(p, br, "gate", h2.ref)).mul(project(p, br, "up", h2)));
  return { x: x.add(mlp), kv };
}

/**
 * The output projection `[D, V]`: `lm_head` (disposing the unused embedding reference), or the transposed
 * embedding when tied. Consumes `params.embed` / `params.lmHead`.
 */
export function outputHead(params: LlamaParams): Arr {
  if (params.lmHead !== undefined) {
    params.embed.dispose();
    return params.lmHead;
  }
  return params.embed.transpose();
}

function finalLogits(params: LlamaParams, cfg: ModelConfig, x: Arr): Arr {
  return matmulWeight(rmsNorm(x, params.norm, cfg.rmsNormEps), outputHead(params));
}

/**
 * Full forward pass (training, scoring, prompt prefill). Consumes `params` and all inputs.
 * @param tokens `[B, T]` int32
 * @param pos cos/sin `[B, T, 1, H/2]`, mask `[B, 1, T, T]`
 * @returns logits `[B, T, V]` (float32) and each layer's keys/values `[B, T, K, H]`
 */
export function forward(params: LlamaParams, cfg: ModelConfig, tokens: Arr, pos: PositionInputs): { logits: Arr; kv: KV[] } {
  const { hidden, head, kv } = forwardHidden(params, cfg, tokens, pos);
  return { logits: matmulWeight(hidden, head), kv };
}

/**
 * Full forward pass up to the final RMSNorm (no output projection), for log-probs computed in chunks
 * (`chunkedTokenLogprobs`). Consumes `params` and all inputs.
 * @param tokens `[B, T]` int32
 * @returns hidden states `[B, T, D]` after the final norm, the output head `[D, V]`, and each layer's
 *   keys/values `[B, T, K, H]` (dispose them when unused)
 */
export function forwardHidden(params: LlamaParams, cfg: ModelConfig, tokens: Arr, pos: PositionInputs): { hidden: Arr; head: Arr; kv: KV[] } {
  let x = np.take(params.embed.ref, tokens, 0); // [B, T, D]
  const kv: KV[] = [];
  for (const [i, layer] of params.layers.entries()) {
    const out = layerForward(layer, cfg, x, pos, null, null, params[BRANCHES]?.[i]);
    x = out.x;
    kv.push(out.kv);
  }
  pos.cos.dispose();
  pos.sin.dispose();
  pos.mask.dispose();
  return { hidden: rmsNorm(x, params.norm, cfg.rmsNormEps), head: outputHead(params), kv };
}

/**
 * One decode step with a key/value cache. Consumes everything.
 * @param token `[B, 1]` int32, the newest token of each row
 * @param pos cos/sin `[B, 1, 1, H/2]`, mask `[B, 1, 1, S]` (keys visible to the new token, itself included)
 * @param cache per layer (`KVCache` layout)
 * @param slot `[S]` bool one-hot: the cache slot the new token's key/value is written to
 * @returns logits `[B, V]` and the updated cache
 */
export function decodeStep(
  params: LlamaParams,
  cfg: ModelConfig,
  token: Arr,
  pos: PositionInputs,
  cache: KVCache[],
  slot: Arr,
): { logits: Arr; cache: KVCache[] } {
  let x = np.take(params.embed.ref, token, 0); // [B, 1, D]
  const out: KV[] = [];
  params.layers.forEach((layer, i) => {
    const r = layerForward(layer, cfg, x, pos, cache[i]!, slot.ref);
    x = r.x;
    out.push(r.kv);
  });
  slot.dispose();
  pos.cos.dispose();
  pos.sin.dispose();
  pos.mask.dispose();
  const logits = finalLogits(params, cfg, x);
  const [B, , V] = logits.shape as [number, number, number];
  return { logits: logits.reshape([B, V]), cache: out };
}

/**
 * One decode step against a read-only key/value cache (`KVCache`, in-place layout): the new token attends to the
 * cached keys its mask shows and to itself (`cachedAttentionWithSelf`), and the step returns the new token's
 * key/value of every layer instead of a rewritten cache — the caller writes them into slot `s` of the cache in place.
 * Consumes everything, the cache included (pass `.ref`s to keep it).
 * @param token `[B, 1]` int32, the newest token of each row
 * @param pos cos/sin `[B, 1, 1, H/2]`, mask `[B, 1, 1, W + 1]` (the cached keys visible to the new token among
 *   the first W ≤ S slots, which are all that is read, then true for its own key; the slot it will be written to
 *   must be hidden)
 * @param cache per layer, k and v `[B, K, S, H]`
 * @returns logits `[B, V]` and per layer the new key and value `[B, 1, K, H]` (keys after RoPE)
 */
export function decodeStepInPlace(
  params: LlamaParams,
  cfg: ModelConfig,
  token: Arr,
  pos: PositionInputs,
  cache: KVCache[],
): { logits: Arr; kv: KV[] } {
  let x = np.take(params.embed.ref, token, 0); // [B, 1, D]
  const kv: KV[] = [];
  params.layers.forEach((layer, i) => {
    const r = layerForward(layer, cfg, x, pos, cache[i]!, null);
    x = r.x;
    kv.push(r.kv);
  });
  pos.cos.dispose();
  pos.sin.dispose();
  pos.mask.dispose();
  const logits = finalLogits(params, cfg, x);
  const [B, , V] = logits.shape as [number, number, number];
  return { logits: logits.reshape([B, V]), kv };
}
