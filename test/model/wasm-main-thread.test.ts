/**
 * Small Wasm kernels on the main thread (the thinkrl `wasm-main-thread` patch of @jax-js/jax, patch 103): generation
 * and a training gradient give the same numbers, bit for bit, with the path off (JAXJS_WASM_MAIN_THREAD_WORK=-1:
 * every kernel on the worker pool, as jax-js 0.1.25), at its default threshold, and with every kernel eligible —
 * and the path was really taken (its counter moves) only when on. Likewise for the synchronous worker pool (patch 205
 * `wasm-sync-pool` part: JAXJS_WASM_SYNC_POOL=0 sends kernels through the asynchronous pool again).
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { numpy as npT } from "@jax-js/jax";

const env = ((globalThis as { __jaxjsWasmEnv?: Record<string, string> }).__jaxjsWasmEnv ??= {});
await initEngine("wasm", { threads: 2 });
const { jit, numpy: np, tree, valueAndGrad } = await import("@jax-js/jax");
const { Rng } = await import("../../src/core/rng.js");
const { CausalLM } = await import("../../src/model/causal-lm.js");
const { defaultModelConfig, defaultTokenizerJson } = await import("../../src/model/default.js");
const { initTensors, paramsFromTensors } = await import("../../src/model/params.js");
const { loadTokenizer } = await import("../../src/model/tokenizer.js");
const { forwardHidden } = await import("../../src/model/llama.js");
const { hiddenLogprobs } = await import("../../src/model/logprobs.js");
const { fullPositionInputs } = await import("../../src/model/positions.js");
const { generate } = await import("../../src/rollout/generate.js");

const syncCounter = (): number => (globalThis as { __jaxjsWasmSyncPool?: { kernels: number } }).__jaxjsWasmSyncPool?.kernels ?? 0;
const counter = (): number => (globalThis as { __jaxjsWasmMainThread?: { kernels: number } }).__jaxjsWasmMainThread?.kernels ?? 0;

const cfg = { ...defaultModelConfig(), hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8 };
const model = new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(0), 0.3)), loadTokenizer(defaultTokenizerJson()));
const B = 4, T = 16;
const rng = new Rng(4);
const TOKENS = Int32Array.from({ length: B * T }, () => rng.int(0, cfg.vocabSize - 1));
const TARGETS = Int32Array.from({ length: B * T }, () => rng.int(0, cfg.vocabSize - 1));
const loss = jit(valueAndGrad((p: typeof model.params) => {
  const { hidden, head, kv } = forwardHidden(p, cfg, np.array(TOKENS, { dtype: np.int32 }).reshape([B, T]), fullPositionInputs(cfg, B, T));
  tree.dispose(kv);
  const r = hiddenLogprobs(hidden, head, np.array(TARGETS, { dtype: np.int32 }).reshape([B, T]), 0.8);
  return r.logp.sum().add(r.entropy.sum().mul(0.1));
}));

/** Sampled ids and log-probs of 12 new tokens for 3 prompts, then the loss and every gradient entry. */
async function run(): Promise<{ ids: number[][]; logprobs: number[][]; value: number; grads: number[] }> {
  const out = await generate(model, [[1, 5, 6], [1, 7], [1, 8, 9, 10]], { maxNewTokens: 12, temperature: 1, topP: 1, topK: 0 }, new Rng(9));
  const [v, g] = loss(tree.ref(model.params));
  const grads: number[] = [];
  for (const leaf of tree.leaves(g) as npT.Array[]) grads.push(...((await leaf.data()) as Float32Array));
  return { ids: out.map((c) => [...c.ids]), logprobs: out.map((c) => [...c.logprobs]), value: (await v.data())[0]!, grads };
}

describe("wasm main-thread kernels (jax-js patch 103)", () => {
  test("the same tokens, log-probs, loss and gradients with the path off, default and everywhere", async () => {
    const results = [];
    const moved = [];
    for (const setting of ["-1", undefined, "1e15"]) {
      if (setting === undefined) delete env.JAXJS_WASM_MAIN_THREAD_WORK;
      else env.JAXJS_WASM_MAIN_THREAD_WORK = setting;
      const before = counter();
      results.push(await run());
      moved.push(counter() - before);
    }
    expect(moved[0]).toBe(0);
    expect(moved[1]).toBeGreaterThan(100);
    expect(moved[2]).toBeGreaterThanOrEqual(moved[1]!);
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
    expect(results[0]!.grads.some((x) => x !== 0)).toBe(true);
    delete env.JAXJS_WASM_MAIN_THREAD_WORK;
  });

  test("the same numbers with the synchronous pool off and on, and the split kernels counted only when on", async () => {
    env.JAXJS_WASM_MAIN_THREAD_WORK = "-1"; // no kernel runs on the main thread alone: each one uses the pool
    const results = [];
    const moved = [];
    for (const setting of ["0", undefined]) {
      if (setting === undefined) delete env.JAXJS_WASM_SYNC_POOL;
      else env.JAXJS_WASM_SYNC_POOL = setting;
      const before = syncCounter();
      results.push(await run());
      moved.push(syncCounter() - before);
    }
    delete env.JAXJS_WASM_MAIN_THREAD_WORK;
    expect(moved[0]).toBe(0);
    expect(moved[1]).toBeGreaterThan(100);
    expect(results[1]).toEqual(results[0]);
  });
});
