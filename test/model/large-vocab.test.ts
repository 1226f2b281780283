/**
 * Real vocabularies (Qwen2.5: 151,936 tokens) must never build `[V, V]` or `[B·T, V]`-per-everything arrays:
 * jax-js 0.1.25's `nn.oneHot` gathers rows of a `[V, V]` identity (23·10⁹ floats at 151,936, which failed to
 * compile on the H200). The programs are checked structurally (constants captured by the jaxpr), then a
 * Qwen2.5-vocabulary model with tiny layers takes a GRPO update and generates with device sampling on the CPU.
 */
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { ModelConfig } from "../../src/model/config.js";
import type { LlamaParams } from "../../src/model/llama.js";

await initEngine("wasm");
const { makeJaxpr, nn, numpy: np, valueAndGrad } = await import("@jax-js/jax");
const { defaultModelConfig, defaultTokenizerJson } = await import("../../src/model/default.js");
const { initTensors, paramsFromTensors } = await import("../../src/model/params.js");
const { forwardHidden } = await import("../../src/model/llama.js");
const { hiddenLogprobs } = await import("../../src/model/logprobs.js");
const { fullPositionInputs } = await import("../../src/model/positions.js");
const { CausalLM } = await import("../../src/model/causal-lm.js");
const { loadTokenizer } = await import("../../src/model/tokenizer.js");
const { Learner } = await import("../../src/train/learner.js");
const { grpo, nll } = await import("../../src/rl/losses/index.js");
const { tokenWeights } = await import("../../src/rl/aggregate.js");
const { generate } = await import("../../src/rollout/generate.js");
const { Rng } = await import("../../src/core/rng.js");

const tiny = (V: number): ModelConfig => ({
  ...defaultModelConfig(),
  modelType: "qwen2",
  attentionBias: true,
  tieWordEmbeddings: true,
  vocabSize: V,
  hiddenSize: 16,
  intermediateSize: 32,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  numKeyValueHeads: 1,
  headDim: 8,
});

/** Element counts of the arrays a jaxpr binds as inputs and captured constants (`{ lambda a:float32[…], … .`). */
function boundArrays(jaxpr: string): number[] {
  const head = jaxpr.slice(0, jaxpr.indexOf(" ."));
  return [...head.matchAll(/(?:float32|float64|int32|uint32|bool)\[([\d,]*)\]/g)].map((m) => m[1]!.split(",").filter(Boolean).reduce((a, d) => a * Number(d), 1));
}

test("the loss gradient captures no [V, V] constant (the one-hot table of nn.oneHot)", () => {
  // Intermediates in a jaxpr are often lazy broadcasts that fusion never materialises; captured constants are
  // real buffers. The largest legitimate one is the embedding, V·D.
  const V = 4096, B = 2, T = 8;
  const cfg = tiny(V);
  const p = paramsFromTensors(cfg, initTensors(cfg, new Rng(1)));
  const loss = (params: LlamaParams, tokens: ReturnType<typeof np.array>, targets: ReturnType<typeof np.array>) => {
    const { hidden, head, kv } = forwardHidden(params, cfg, tokens, fullPositionInputs(cfg, B, T));
    for (const x of kv) {
      x.k.dispose();
      x.v.dispose();
    }
    return hiddenLogprobs(hidden, head, targets, 1).logp.sum();
  };
  const ids = () => np.zeros([B, T], { dtype: np.int32 });
  const bound = boundArrays(String(makeJaxpr(valueAndGrad(loss))(p, ids(), ids()).jaxpr));
  expect(bound.length).toBeGreaterThan(3);
  expect(Math.max(...bound)).toBe(V * cfg.hiddenSize);
  // The check itself: nn.oneHot does capture a [V, V] table.
  const withOneHot = String(makeJaxpr((x: ReturnType<typeof np.array>) => nn.oneHot(np.argmax(x.ref, -1), V).mul(x).sum(-1))(np.zeros([2, V])).jaxpr);
  expect(Math.max(...boundArrays(withOneHot))).toBe(V * V);
});

test("a 151,936-token vocabulary: GRPO update and device-sampled generation run on the CPU", async () => {
  const V = 151936;
  const cfg = tiny(V);
  const model = new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(2))), loadTokenizer(defaultTokenizerJson()));
  const B = 2, T = 8;
  const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 104729 + 5) % V);
  const mask = new Float32Array(B * T).fill(1);
  const up = new Learner(model, grpo, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
  const m = await up.accumulate({ B, T, tokens, targets, mask, weights: tokenWeights("grpo", mask, B, T, T), advantages: Float32Array.from([1, -1]) });
  expect(Number.isFinite(m.loss)).toBe(true);
  const { gradNorm } = await up.apply(1e-3);
  expect(gradNorm).toBeGreaterThan(0);
  const out = await generate(model, [[1, 2, 3], [4, 5]], { maxNewTokens: 4, temperature: 1, topP: 1, topK: 0, sampleOn: "device" }, new Rng(3));
  expect(out.map((c) => c.ids.length)).toEqual([4, 4]);
  for (const c of out) for (const id of c.ids) expect(id).toBeLessThan(V);
  for (const c of out) for (const lp of c.logprobs) expect(lp).toBeLessThan(0);
  up.dispose();
}, 120_000);
