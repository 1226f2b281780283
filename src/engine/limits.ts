/**
 * Backend facts the algorithms ask about, in one place: which jax-js backend runs the arrays, and the sizes and
 * thresholds tuned per backend. Model and rollout code ask here instead of probing jax-js devices themselves.
 * Browser-safe (no Node module); call after the engine is initialised (`initEngine`).
 */
import { defaultDevice, getWebGPUDevice, numpy as np } from "@jax-js/jax";

/** The jax-js backend new arrays go to (`"wasm"`, `"webgpu"`, `"cpu"`). */
export function currentBackend(): string {
  return defaultDevice();
}

/** Default cap on logits elements materialised at once by `chunkedTokenLogprobs` on the CPU (2^25 floats = 128 MiB). */
export const LOGITS_CHUNK_ELEMENTS = 2 ** 25;

/**
 * Logits elements per `chunkedTokenLogprobs` chunk for a backend: `LOGITS_CHUNK_ELEMENTS` on Wasm; on WebGPU 3/4 of
 * the device's largest storage binding (1.5 GiB of floats on the H200's 2 GiB limit, so a whole 4×512-token
 * micro-batch of a 151,936-token vocabulary, 1.16 GiB, is one chunk). Measured on the H200 (docs/benchmarks.md): the
 * LM-head backward `dlogits · headᵀ` reduces over V, and with 220-row chunks it ran at 0.6 TFLOP/s (10 chunks, 43% of
 * a 0.5B micro-batch); one 2048-row chunk ran at 4.4 TFLOP/s and a full 8×8×512 GRPO step took 49.4 s instead of 58.8.
 * @param backend jax-js device name (default: the current default device)
 */
export function defaultLogitsChunkElements(backend: string = currentBackend()): number {
  if (backend !== "webgpu") return LOGITS_CHUNK_ELEMENTS;
  const limit = Math.min(getWebGPUDevice().limits.maxStorageBufferBindingSize, 2 ** 31);
  return Math.max(LOGITS_CHUNK_ELEMENTS, Math.floor((limit * 3) / 4 / 4));
}

/**
 * Default cap on attention-score elements (B·N·T·S floats) one query chunk of `attention` (`model/llama.ts`) holds:
 * 2^22 floats = 16 MiB. Measured on the Wasm backend (docs/benchmarks.md, "Prefill and scoring memory"): a prefill
 * of 8 × 512 tokens of a stories260K-shaped Llama grew the heap by 143 MiB with the whole [B, N, T, S] scores and by
 * 48 MiB with 16 MiB chunks (which also skip the keys after each chunk: 0.9 s instead of 1.2 s).
 */
export const ATTENTION_CHUNK_ELEMENTS = 2 ** 22;

/** Most query chunks per attention call (each chunk adds its kernels to the jit program). */
export const MAX_ATTENTION_CHUNKS = 16;

let attentionChunk = ATTENTION_CHUNK_ELEMENTS;

/** Attention-score elements per query chunk used by `attention` when a shape is traced (0 = never chunk). */
export function attentionChunkElements(): number {
  return attentionChunk;
}

/**
 * Sets the attention chunk size for shapes traced from now on (already compiled shapes keep theirs).
 * @param elements score elements per chunk; 0 turns chunking off
 * @throws RangeError when `elements` is negative or not an integer
 */
export function setAttentionChunkElements(elements: number): void {
  if (!Number.isInteger(elements) || elements < 0) throw new RangeError(`attention chunk elements must be an integer ≥ 0, got ${elements}`);
  attentionChunk = elements;
}

/**
 * Vocabulary size from which `generate`'s `sampleOn: "auto"` draws tokens on the device (WebGPU only): below it the
 * host loop costs little (the embedded model's 26 tokens); at 151,936 tokens it took 240 ms of a 359 ms decode step
 * for 64 rows on the H200 (host sampling 240 ms + decode 119 ms).
 */
export const DEVICE_SAMPLING_MIN_VOCAB = 16384;

/**
 * Whether drawing tokens on the device pays for a `V`-token vocabulary on `backend`: on WebGPU from
 * `DEVICE_SAMPLING_MIN_VOCAB` tokens. On the Wasm (CPU) backend the host loop stays faster (measured at 151,936
 * tokens × 64 rows: 575 ms host vs 694 ms device a step), so never there.
 * @param backend jax-js device name (default: the current default device)
 */
export function deviceSamplingPays(V: number, backend: string = currentBackend()): boolean {
  return V >= DEVICE_SAMPLING_MIN_VOCAB && backend === "webgpu";
}

/**
 * Whether decode steps write the key/value cache in place (`decodeStepInPlace` in `model/llama.ts`) instead of
 * returning a rewritten cache: on the Wasm backend when jax-js carries thinkrl's `wasm-inplace-write` patch. The
 * rewrite reads and writes every cache element of every layer each step (a `where` over B·K·H·S floats); the in-place
 * write touches the new slot only (B·K·H). `THINKRL_KV_INPLACE=0` in the environment turns it off (A/B runs).
 * @param backend jax-js device name (default: the current default device)
 */
export function kvCacheInPlace(backend: string = currentBackend()): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.THINKRL_KV_INPLACE === "0") return false;
  return backend === "wasm" && typeof (np.Array.prototype as { thinkrlWriteInPlace?: unknown }).thinkrlWriteInPlace === "function";
}

/**
 * Work (output elements × reduction length) up to which the Wasm kernels of a decode step run on the calling thread
 * instead of the worker pool (jax-js patch 103 `wasm-main-thread`, whose default is 2^20 for every kernel): 2^24, so
 * every kernel of a default-model decode step at 256 rows (the largest: 256 × 336 × 128 ≈ 11 M multiply-adds) skips the
 * pool. A pooled kernel costs a `postMessage` per worker and a promise round trip, and the pool runs one kernel at a
 * time, so ~150 small kernels a step paid more in messaging than the second core gave back (docs/benchmarks.md, "In-place
 * KV cache"). `THINKRL_DECODE_MAIN_THREAD_WORK` overrides it (0: leave patch 103's threshold alone); a
 * `JAXJS_WASM_MAIN_THREAD_WORK` set by the user wins over both.
 */
export const DECODE_MAIN_THREAD_WORK = 2 ** 24;

/**
 * Runs `fn` with decode's main-thread threshold (`DECODE_MAIN_THREAD_WORK`) on the Wasm backend, restoring the
 * previous setting afterwards; elsewhere (WebGPU), or when the user set `JAXJS_WASM_MAIN_THREAD_WORK`, just `fn()`.
 */
export async function withDecodeMainThreadWork<T>(fn: () => Promise<T>): Promise<T> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const work = Number(env?.THINKRL_DECODE_MAIN_THREAD_WORK ?? DECODE_MAIN_THREAD_WORK);
  if (currentBackend() !== "wasm" || !(work > 0) || env?.JAXJS_WASM_MAIN_THREAD_WORK !== undefined) return fn();
  const g = globalThis as { __jaxjsWasmEnv?: Record<string, unknown> };
  const own = (g.__jaxjsWasmEnv ??= {});
  if (own.JAXJS_WASM_MAIN_THREAD_WORK !== undefined) return fn();
  own.JAXJS_WASM_MAIN_THREAD_WORK = work;
  try {
    return await fn();
  } finally {
    delete own.JAXJS_WASM_MAIN_THREAD_WORK;
  }
}
