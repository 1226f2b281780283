/**
 * Shared by `test/model/parity.test.ts` (CPU, vitest) and `bench/parity.ts` (any device, no test runner): the
 * Hugging Face parity checks against the committed fixtures of `scripts/make_fixtures.py`.
 *
 * Import this module dynamically, after `initEngine` (it loads jax-js).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { jit, numpy as np, tree } from "@jax-js/jax";
import { Rng } from "../src/core/rng.js";
import { CausalLM } from "../src/model/causal-lm.js";
import { loadCheckpointFiles, type CheckpointFiles } from "../src/model/checkpoint.js";
import type { ModelConfig } from "../src/model/config.js";
import { forward, type LlamaParams, type PositionInputs } from "../src/model/llama.js";
import { paramsFromTensors } from "../src/model/params.js";
import { fullPositionInputs, ropeTables } from "../src/model/positions.js";
import { loadTokenizer } from "../src/model/tokenizer.js";
import { generate } from "../src/rollout/generate.js";

/** Every fixture under `test/fixtures/hf` (see `scripts/make_fixtures.py` for what each exercises). */
export const FIXTURES = [
  "tiny-llama",
  "tiny-qwen2",
  "tiny-llama-bf16",
  "tiny-qwen2-sharded",
  "tiny-llama-rope-linear",
  "tiny-llama-rope-dynamic",
  "tiny-llama-rope-llama3",
  "tiny-qwen2-rope-yarn",
] as const;

/** Max |Δlogit| allowed in float32: a 2-layer model in a different op order lands at ~1e-6–1e-5. */
export const LOGIT_TOL = 1e-4;

/** `reference.json` as written by `scripts/make_fixtures.py`. */
export interface Reference {
  /** `[2, T]` ids (T = 12, or 40 for the rope-* fixtures). */
  input_ids: number[][];
  /** `[2, T, V]` float32 logits from transformers (no mask, no cache). */
  logits: number[][][];
  /** 32 greedy tokens, argmax of a full re-forward each step, EOS ignored. */
  greedy: { prompt_ids: number[]; output_ids: number[] };
  /** 32 greedy tokens from transformers `generate(do_sample=False, use_cache=True)`, EOS disabled. */
  greedy_cached: { prompt_ids: number[]; output_ids: number[]; method: string };
  /** Whether the two greedy references agree (false for the dynamic fixture: see positions.ts). */
  greedy_match: boolean;
  plain_rope_max_abs_diff?: number;
}

export interface Fixture {
  name: string;
  files: CheckpointFiles;
  ref: Reference;
}

export async function loadFixture(root: string, name: string): Promise<Fixture> {
  const dir = join(root, name);
  const files = await loadCheckpointFiles(dir);
  const ref = JSON.parse(await readFile(join(dir, "reference.json"), "utf8")) as Reference;
  return { name, files, ref };
}

/** Max |Δ| between our float32 forward logits on `ref.input_ids` and transformers'. */
export async function maxLogitDiff({ files, ref }: Fixture): Promise<number> {
  const cfg = files.config;
  const B = ref.input_ids.length, T = ref.input_ids[0]!.length, V = cfg.vocabSize;
  const params = paramsFromTensors(cfg, files.tensors);
  const tokens = np.array(Int32Array.from(ref.input_ids.flat()), { dtype: np.int32 }).reshape([B, T]);
  const { logits, kv } = forward(params, cfg, tokens, fullPositionInputs(cfg, B, T));
  for (const { k, v } of kv) {
    k.dispose();
    v.dispose();
  }
  if (logits.shape.join() !== [B, T, V].join()) throw new Error(`maxLogitDiff: logits shape ${logits.shape} != [${B}, ${T}, ${V}]`);
  const got = (await logits.data()) as Float32Array;
  const want = ref.logits.flat(2);
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
  return maxDiff;
}

/** First index of the largest value of `x[off, off + n)` (torch.argmax's tie rule). */
function argmax(x: Float32Array, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[off + i]! > x[off + best]!) best = i;
  return best;
}

/**
 * Greedy decoding by full re-forward (no KV cache): each step runs `forward` over the whole sequence and takes the
 * argmax at the last position. EOS is not special. For `dynamic` RoPE every key is rotated with the frequencies of
 * the full length, as in transformers' re-forward.
 *
 * Every step runs at one shape: the sequence right-padded to its final length `prompt + n` (token 0), so the jitted
 * forward compiles once instead of once per length (32 compiles of the whole forward were most of this check's time).
 * The padding is invisible to the last real position: the mask is causal (masked scores weigh exactly 0 after the
 * softmax) and the rotary tables are those of the real length (`ropeTables`' `seqLen`: dynamic RoPE's frequencies
 * depend on it; the padded positions' rows are never read).
 */
export async function greedyReforward(cfg: ModelConfig, params: LlamaParams, prompt: number[], n: number): Promise<number[]> {
  const seq = [...prompt];
  const V = cfg.vocabSize;
  const L = prompt.length + n;
  const positions = Int32Array.from({ length: L }, (_, i) => i);
  const causal = new Int32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = 0; j <= i; j++) causal[i * L + j] = 1;
  const step = jit((p: LlamaParams, tokens: np.Array, pos: PositionInputs) => {
    const { logits, kv } = forward(p, cfg, tokens, pos);
    for (const { k, v } of kv) {
      k.dispose();
      v.dispose();
    }
    return logits;
  });
  for (let s = 0; s < n; s++) {
    const T = seq.length;
    const ids = new Int32Array(L);
    ids.set(seq);
    const tokens = np.array(ids, { dtype: np.int32 }).reshape([1, L]);
    const { cos, sin } = ropeTables(cfg, positions, 1, L, T);
    const mask = np.array(causal, { dtype: np.bool }).reshape([1, 1, L, L]);
    const logits = step(tree.ref(params), tokens, { cos, sin, mask });
    seq.push(argmax((await logits.data()) as Float32Array, (T - 1) * V, V));
  }
  step.dispose();
  return seq.slice(prompt.length);
}

/**
 * Model for the KV-cached path: the project's `CausalLM`, with `eosTokenId` emptied so that `generate` (which
 * stops at EOS and has no option to ignore it) runs all `maxNewTokens` steps like the EOS-disabled reference.
 * Token ids and the forward are unaffected by the EOS list.
 */
export function causalLMIgnoringEos(files: CheckpointFiles): CausalLM {
  const cfg: ModelConfig = { ...files.config, eosTokenId: [] };
  return new CausalLM(cfg, paramsFromTensors(cfg, files.tensors), loadTokenizer(files.tokenizerJson, files.tokenizerConfig));
}

/** Greedy (temperature 0) through the project's KV-cached `generate`, one completion per prompt. */
export async function greedyCached(model: CausalLM, prompts: number[][], n: number): Promise<number[][]> {
  const out = await generate(model, prompts, { maxNewTokens: n, temperature: 0, topP: 1, topK: 0 }, new Rng(0));
  return out.map((c) => c.ids);
}
