/**
 * The in-place key/value cache (jax-js patch `wasm-inplace-write`, `decodeStepInPlace`): the write primitive itself,
 * and generation with the cache written in place against the cache rewritten each step.
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { ModelConfig } from "../../src/model/config.js";

await initEngine("wasm");
const { numpy: np } = await import("@jax-js/jax");
const { defaultModelConfig, defaultTokenizerJson } = await import("../../src/model/default.js");
const { initTensors, paramsFromTensors } = await import("../../src/model/params.js");
const { attentionWindow, CausalLM } = await import("../../src/model/causal-lm.js");
const { loadTokenizer } = await import("../../src/model/tokenizer.js");
const { generate } = await import("../../src/rollout/generate.js");
const { Rng } = await import("../../src/core/rng.js");

describe("thinkrlWriteInPlace", () => {
  test("writes the update at the offset and leaves the rest", async () => {
    const a = np.array(Float32Array.from({ length: 12 }, (_, i) => i)).reshape([4, 3]);
    await a.thinkrlWriteInPlace(np.array([-1, -2, -3]), 6);
    expect(Array.from((await a.data()) as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, -1, -2, -3, 9, 10, 11]);
  });

  test("a computation submitted before the write reads the old values", async () => {
    const a = np.array(new Float32Array(4096).fill(2));
    const before = a.ref.mul(3);
    await before.blockUntilReady();
    await a.thinkrlWriteInPlace(np.array(new Float32Array(1024).fill(5)), 1024);
    const after = (await a.data()) as Float32Array;
    const b = (await before.data()) as Float32Array;
    expect([b[0], b[1024], after[1023], after[1024], after[2047], after[2048]]).toEqual([6, 6, 2, 5, 5, 2]);
  });

  test("writes blocks at a stride", async () => {
    const a = np.array(Float32Array.from({ length: 12 }, (_, i) => i)).reshape([2, 2, 3]);
    await a.thinkrlWriteInPlace(np.array([-1, -2, -3, -4]), 1, { blockSize: 2, stride: 6 });
    expect(Array.from((await a.data()) as Float32Array)).toEqual([0, -1, -2, 3, 4, 5, 6, -3, -4, 9, 10, 11]);
  });

  test("refuses a shared buffer, a second reference and an update that does not fit", async () => {
    const data = Float32Array.from({ length: 4096 }, (_, i) => i);
    const a = np.array(data);
    const queued = a.ref.mul(2); // not yet run: it still reads a's buffer
    await expect(a.thinkrlWriteInPlace(np.zeros([4]), 0)).rejects.toThrow(/shared/);
    expect(Array.from((await queued.data()) as Float32Array)).toEqual(Array.from(data, (x) => 2 * x));
    const r = a.ref;
    await expect(a.thinkrlWriteInPlace(np.zeros([4]), 0)).rejects.toThrow(/references/);
    r.dispose();
    await expect(a.thinkrlWriteInPlace(np.zeros([4]), 4093)).rejects.toThrow(/fit/);
    await expect(a.thinkrlWriteInPlace(np.zeros([4]), 0, { blockSize: 3 })).rejects.toThrow(/tile/);
    a.dispose();
  });
});

test("attentionWindow rounds the slots before the new one up to 16, capped at the cache length", () => {
  expect([1, 16, 17, 32, 33, 60].map((slot) => attentionWindow(slot, 48))).toEqual([16, 16, 32, 32, 48, 48]);
});

/** Default model shrunk (d32, 2 layers), GQA 4/2, no EOS (rows run to their limits). */
const CFG: ModelConfig = { ...defaultModelConfig(), eosTokenId: [], hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8 };

test("sampling with the cache written in place equals the rewritten cache (tokens; log-probs within 1e-5)", async () => {
  const tensors = initTensors(CFG, new Rng(5), 0.3);
  const make = (inPlace: boolean) => {
    process.env.THINKRL_KV_INPLACE = inPlace ? "1" : "0";
    try {
      return new CausalLM(CFG, paramsFromTensors(CFG, tensors), loadTokenizer(defaultTokenizerJson()));
    } finally {
      delete process.env.THINKRL_KV_INPLACE;
    }
  };
  const rng = new Rng(3);
  const prompts = Array.from({ length: 12 }, (_, b) => Array.from({ length: 1 + (b % 7) }, () => rng.int(7, CFG.vocabSize - 1)));
  // Row limits from 3 to 40 tokens: rows finish at different steps, so the batch is compacted (selectRows) several
  // times, and the 40 steps cross attention windows of 16, 32 and 48 slots.
  const rowMaxNewTokens = prompts.map((_, b) => (b === 0 ? 40 : 3 + ((b * 7) % 38)));
  const opts = { maxNewTokens: 40, temperature: 1, topP: 1, topK: 0, rowMaxNewTokens };
  const runs = [];
  for (const inPlace of [true, false]) {
    const model = make(inPlace);
    expect(model.kvInPlace).toBe(inPlace);
    runs.push(await generate(model, prompts, opts, new Rng(9)));
    model.dispose();
  }
  const [a, b] = runs as [Awaited<ReturnType<typeof generate>>, Awaited<ReturnType<typeof generate>>];
  expect(a.map((c) => c.ids)).toEqual(b.map((c) => c.ids));
  expect(a.map((c) => c.ids.length)).toEqual(rowMaxNewTokens);
  for (let i = 0; i < a.length; i++) for (let t = 0; t < a[i]!.logprobs.length; t++) expect(Math.abs(a[i]!.logprobs[t]! - b[i]!.logprobs[t]!)).toBeLessThan(1e-5);
});

test("a batch that repeats prompts is prefilled once per distinct prompt, with the same completions", async () => {
  const model = new CausalLM(CFG, paramsFromTensors(CFG, initTensors(CFG, new Rng(6), 0.3)), loadTokenizer(defaultTokenizerJson()));
  const rows: number[] = [];
  const prefill = model.prefill.bind(model);
  model.prefill = (tokens, B, L, pad, S) => (rows.push(B), prefill(tokens, B, L, pad, S));
  const [a, b, c] = [[1, 9, 10, 11], [1, 12, 13, 14], [1, 15, 9, 16]];
  const prompts = [a, b, a, c, b, a];
  const opts = { maxNewTokens: 12, temperature: 0, topP: 1, topK: 0 };
  const batched = await generate(model, prompts, opts, new Rng(1));
  expect(rows).toEqual([3]);
  const alone = new Map<number[], number[]>();
  for (const p of [a, b, c]) alone.set(p, (await generate(model, [p], opts, new Rng(1)))[0]!.ids);
  expect(batched.map((x) => x.ids)).toEqual(prompts.map((p) => alone.get(p)));
  model.dispose();
});
