/**
 * Batched generation with a key/value cache on a local `CausalLM`.
 *
 * Prompts are left-padded to a length bucket, run through one prefill, then decoded one token per step for the
 * whole batch until every row has finished (EOS, a stop string, or `maxNewTokens`).
 */
import type { Rng } from "../core/rng.js";
import { currentBackend, deviceSamplingPays } from "../engine/limits.js";
import { bucket, type CausalLM } from "../model/causal-lm.js";
import type { KVCache } from "../model/llama.js";
import { sampleToken, type SamplingParams } from "./sampling.js";

export interface GenerateOptions extends SamplingParams {
  maxNewTokens: number;
  /** Stop when any of these strings appears in the completion text (kept in the text). */
  stopStrings?: string[];
  /** Rows per forward batch (default: all). */
  batchSize?: number;
  /** Called after each decode step with (tokens generated so far in this batch, rows). */
  onStep?: (newTokens: number) => void;
  /**
   * Called with each sampled token as soon as it is drawn (before the next decode step), for streaming:
   * `row` indexes `prompts`, `id` is the token (the final EOS included). Tokens of one row arrive in order.
   */
  onToken?: (row: number, id: number) => void;
  /**
   * Where tokens are drawn: `"host"` (all sampling options; the `[B, V]` logits come back each step), `"device"`
   * (Gumbel-max inside the decode step: only `[B]` ids come back; temperature only, so top-k/top-p must be off),
   * or `"auto"` (default): device on the WebGPU backend when the vocabulary has ≥ `DEVICE_SAMPLING_MIN_VOCAB`
   * tokens and top-k/top-p are off. On the Wasm (CPU) backend the host loop stays faster (measured at 151,936
   * tokens × 64 rows: 575 ms host vs 694 ms device a step), so auto keeps it there. The first token of each row is
   * always drawn on the host from the prefill logits.
   */
  sampleOn?: "host" | "device" | "auto";
  /**
   * One generator per prompt: row b draws only from `rngs[b]` (one `next()` per sampled token), so its tokens do not
   * depend on which other rows share the batch — partial rollouts continue a trajectory from its saved stream (Kimi
   * k1.5 §2.6.2). Implies host sampling. Default: all rows draw from the shared `rng` in slot order.
   */
  rngs?: readonly Rng[];
  /** Per-prompt token limits (each in 1..maxNewTokens); a row reaching its limit ends with `length`. Default: maxNewTokens. */
  rowMaxNewTokens?: readonly number[];
  /**
   * Per prompt, completion tokens written earlier and already part of the prompt (a continued trajectory's prefix):
   * stop strings are matched across the boundary. Default none.
   */
  history?: readonly (readonly number[])[];
  /**
   * Called after each non-EOS token that did not hit a stop string, with the prompt index and the token; returning
   * true ends the row with finish reason `repetition` (e.g. an n-gram repetition detector).
   */
  stopAfter?: (row: number, id: number) => boolean;
  /** Prompts are left-padded to a multiple of this many tokens (default 8): a coarser bucket bounds the prefill shapes jit compiles. */
  promptBucket?: number;
  /** Smallest key/value cache length (tokens): a fixed length keeps one decode shape per row bucket across calls. Default 0. */
  cacheLength?: number;
}

/** The device-sampling threshold is a backend limit: it lives in `engine/limits.ts` (re-exported for existing callers). */
export { DEVICE_SAMPLING_MIN_VOCAB } from "../engine/limits.js";

/** Why a row ended: EOS, a stop string, its token limit, or `stopAfter` (a repetition detector). */
export type FinishReason = "eos" | "stop" | "length" | "repetition";

export interface Completion {
  /** Sampled ids, including the final EOS token when the row ended on it. */
  ids: number[];
  /** log π(id) of each sampled id under the sampling temperature (`[len]`, nats). */
  logprobs: number[];
  /** Decoded text of `ids` without the EOS token. */
  text: string;
  finishReason: FinishReason;
}

/** Length bucket for prompts (tokens). */
const PROMPT_BUCKET = 8;
/** Length bucket for the key/value cache (tokens). */
const CACHE_BUCKET = 16;

/**
 * Generates one completion per prompt.
 * @param prompts token ids of each prompt (BOS included if the model wants one)
 * @throws Error when a prompt is empty
 */
export async function generate(model: CausalLM, prompts: number[][], opts: GenerateOptions, rng: Rng): Promise<Completion[]> {
  const out: Completion[] = [];
  const bs = opts.batchSize ?? prompts.length;
  for (let s = 0; s < prompts.length; s += bs) {
    out.push(...(await generateBatch(model, prompts.slice(s, s + bs), opts, rng, s)));
  }
  return out;
}

async function generateBatch(model: CausalLM, prompts: number[][], opts: GenerateOptions, rng: Rng, rowOffset: number): Promise<Completion[]> {
  const B = prompts.length;
  const V = model.config.vocabSize;
  const eos = new Set(model.config.eosTokenId);
  const maxLen = Math.max(...prompts.map((p) => p.length));
  if (prompts.some((p) => p.length === 0)) throw new Error("generate: empty prompt");
  const limit = prompts.map((_, b) => opts.rowMaxNewTokens?.[rowOffset + b] ?? opts.maxNewTokens);
  if (limit.some((n) => !(Number.isInteger(n) && n >= 1 && n <= opts.maxNewTokens))) throw new Error(`generate: rowMaxNewTokens must be integers in 1..${opts.maxNewTokens}`);
  const maxNew = Math.max(...limit);
  const L = bucket(maxLen, opts.promptBucket ?? PROMPT_BUCKET);
  const S = Math.max(bucket(L + maxNew, CACHE_BUCKET), bucket(opts.cacheLength ?? 0, CACHE_BUCKET));
  const pad = prompts.map((p) => L - p.length);
  const tokens = new Int32Array(B * L).fill(model.padId);
  prompts.forEach((p, b) => tokens.set(p, b * L + pad[b]!));

  const ids: number[][] = prompts.map(() => []);
  const lps: number[][] = prompts.map(() => []);
  const reason: (FinishReason | null)[] = prompts.map(() => null);
  const first = await prefillDistinct(model, prompts, tokens, L, pad, S);
  let cache = first.cache;
  const onDevice = opts.rngs === undefined && useDeviceSampling(V, opts);
  const rngOf = (b: number) => opts.rngs?.[rowOffset + b] ?? rng;
  // Draws for the rows of batch slots `live` (finished rows skipped, in slot order: the host Rng is consumed in
  // the same order whichever path produced the logits).
  const hostDraw = (logits: Float32Array, live: number[]) =>
    live.map((b, j) => (reason[b] === null ? sampleToken(logits, j * V, V, opts, rngOf(b)) : null));
  let drawn = hostDraw(first.logits, prompts.map((_, b) => b));
  // `live[j]` = original row held in batch slot j. Finished rows are compacted away (`CausalLM.selectRows`) once they
  // are half the batch, so late decode steps run on smaller batches.
  let live = prompts.map((_, b) => b);
  for (let t = 0; t < maxNew; t++) {
    const next = new Int32Array(live.length);
    for (let j = 0; j < live.length; j++) {
      const b = live[j]!;
      const d = drawn[j];
      if (reason[b] !== null || !d) {
        next[j] = model.padId;
        continue;
      }
      const { id, logprob } = d;
      ids[b]!.push(id);
      lps[b]!.push(logprob);
      next[j] = id;
      opts.onToken?.(rowOffset + b, id);
      if (eos.has(id)) reason[b] = "eos";
      else if (opts.stopStrings?.length && hitsStop(model, withHistory(opts.history?.[rowOffset + b], ids[b]!, opts.stopStrings), opts.stopStrings)) reason[b] = "stop";
      else if (opts.stopAfter?.(rowOffset + b, id)) reason[b] = "repetition";
      else if (ids[b]!.length >= limit[b]!) reason[b] = "length";
    }
    opts.onStep?.(live.length);
    const active = live.map((b, j) => (reason[b] === null ? j : -1)).filter((j) => j >= 0);
    if (active.length === 0 || t === maxNew - 1) break;
    const target = rowBucket(active.length);
    let slotPad = live.map((b) => pad[b]!);
    let tok = next;
    if (target < live.length) {
      // Keep the active slots (in order) plus finished ones as filler up to the bucket size.
      const keepSlots = [...active, ...live.map((_, j) => j).filter((j) => !active.includes(j))].slice(0, target).sort((a, b) => a - b);
      cache = model.selectRows(cache, keepSlots);
      live = keepSlots.map((j) => live[j]!);
      tok = Int32Array.from(keepSlots, (j) => next[j]!);
      slotPad = live.map((b) => pad[b]!);
    }
    if (onDevice) {
      const r = await model.decodeSample(tok, L + t, slotPad, cache, opts.temperature, rng.nextU32());
      cache = r.cache;
      drawn = live.map((b, j) => (reason[b] === null ? { id: r.ids[j]!, logprob: r.logprobs[j]! } : null));
    } else {
      const r = await model.decode(tok, L + t, slotPad, cache);
      cache = r.cache;
      drawn = hostDraw(r.logits, live);
    }
  }
  for (const kv of cache) {
    kv.k.dispose();
    kv.v.dispose();
  }
  return ids.map((row, b) => {
    const body = reason[b] === "eos" ? row.slice(0, -1) : row;
    return { ids: row, logprobs: lps[b]!, text: model.tokenizer.decode(body), finishReason: reason[b] ?? "length" };
  });
}

/**
 * `model.prefill` of the distinct prompts only, then each row's logits and cache copied from its prompt's: a GRPO
 * rollout repeats each prompt G times (32 × 8 rows by default), and a row's prefill does not depend on the other rows
 * of its batch (same padded length L), so the result equals the prefill of all rows.
 * @param tokens `[B, L]` left-padded ids of `prompts`; `pad[b]` leading pads in row b
 */
async function prefillDistinct(model: CausalLM, prompts: number[][], tokens: Int32Array, L: number, pad: number[], S: number): Promise<{ logits: Float32Array; cache: KVCache[] }> {
  const B = prompts.length;
  const index = new Map<string, number>();
  const source = prompts.map((p) => {
    const key = p.join(",");
    let u = index.get(key);
    if (u === undefined) index.set(key, (u = index.size));
    return u;
  });
  if (index.size === B) return model.prefill(tokens, B, L, pad, S);
  const firstRow = [...index.values()].map((u) => source.indexOf(u));
  const uniq = new Int32Array(firstRow.length * L);
  firstRow.forEach((b, u) => uniq.set(tokens.subarray(b * L, (b + 1) * L), u * L));
  const out = await model.prefill(uniq, firstRow.length, L, firstRow.map((b) => pad[b]!), S);
  const V = out.logits.length / firstRow.length;
  const logits = new Float32Array(B * V);
  source.forEach((u, b) => logits.set(out.logits.subarray(u * V, (u + 1) * V), b * V));
  return { logits, cache: model.selectRows(out.cache, source) };
}

/**
 * Whether `opts` draw tokens on the device for a `V`-token vocabulary (see `GenerateOptions.sampleOn`).
 * @param backend the jax-js backend running the model (default: jax-js's default device)
 * @throws Error for `sampleOn: "device"` with top-k or top-p on
 */
export function useDeviceSampling(V: number, opts: Pick<GenerateOptions, "sampleOn" | "topK" | "topP">, backend: string = currentBackend()): boolean {
  const plain = opts.topK <= 0 && opts.topP >= 1;
  if (opts.sampleOn === "device") {
    if (!plain) throw new Error("generate: sampleOn \"device\" supports temperature sampling only (set topK 0 and topP 1)");
    return true;
  }
  return opts.sampleOn !== "host" && plain && deviceSamplingPays(V, backend);
}

/** Decode batch size for `n` live rows: the smallest power of two ≥ n (≥ 8), so few decode shapes get compiled. */
function rowBucket(n: number): number {
  return Math.max(8, 2 ** Math.ceil(Math.log2(Math.max(1, n))));
}

/** The new tokens, preceded by as much of `history` as a stop string can reach back into. */
function withHistory(history: readonly number[] | undefined, row: number[], stops: string[]): number[] {
  const w = Math.max(...stops.map((s) => s.length)) + 2;
  return history === undefined || history.length === 0 || row.length >= w ? row : [...history.slice(-(w - row.length)), ...row];
}

function hitsStop(model: CausalLM, row: number[], stops: string[]): boolean {
  // Only the tail can contain a new match: decode a window long enough for the longest stop string.
  const tail = model.tokenizer.decode(row.slice(-Math.max(...stops.map((s) => s.length)) - 2));
  return stops.some((s) => tail.includes(s));
}
