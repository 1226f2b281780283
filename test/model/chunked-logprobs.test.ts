/**
 * Log-probs computed over chunks of tokens (`chunkedTokenLogprobs`) equal the one-shot computation — values,
 * entropies and gradients — so a 150k-token vocabulary can be scored without B×T×V logits in one array.
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { ModelConfig } from "../../src/model/config.js";
import type { LlamaParams } from "../../src/model/llama.js";

await initEngine("wasm");
const { jit, numpy: np, tree, valueAndGrad } = await import("@jax-js/jax");
const { defaultModelConfig } = await import("../../src/model/default.js");
const { initTensors, paramsFromTensors } = await import("../../src/model/params.js");
const { LOGITS_CHUNK_ELEMENTS, defaultLogitsChunkElements, forward, forwardHidden } = await import("../../src/model/llama.js");
const { hiddenLogprobs: chunkedTokenLogprobs, tokenLogprobs: scaledTokenLogprobs } = await import("../../src/model/logprobs.js");
/** softmax(logits / T) log-probs the direct way (scaling the logits), as the reference of the chunked path. */
const tokenLogprobs = (logits: ReturnType<typeof np.array>, targets: ReturnType<typeof np.array>, temperature: number) =>
  scaledTokenLogprobs(temperature === 1 ? logits : logits.mul(1 / temperature), targets);
const { fullPositionInputs } = await import("../../src/model/positions.js");
const { Rng } = await import("../../src/core/rng.js");

const CFG: ModelConfig = { ...defaultModelConfig(), hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 4 };
const B = 3, T = 7;
const rng = new Rng(5);
const TOKENS = Int32Array.from({ length: B * T }, () => rng.int(0, CFG.vocabSize - 1));
const TARGETS = Int32Array.from({ length: B * T }, () => rng.int(0, CFG.vocabSize - 1));
const W = Float32Array.from({ length: B * T }, () => rng.next() - 0.3);

function params(cfg: ModelConfig): LlamaParams {
  return paramsFromTensors(cfg, initTensors(cfg, new Rng(11), 0.3));
}
const ids = (a: Int32Array) => np.array(a, { dtype: np.int32 }).reshape([B, T]);

/** Σ w·logp + 0.1·Σ entropy, with logits chunked to `chunk` elements (0 = one-shot `forward` + `tokenLogprobs`). */
function objective(cfg: ModelConfig, chunk: number, temperature: number) {
  return (p: LlamaParams) => {
    let r;
    if (chunk === 0) {
      const { logits, kv } = forward(p, cfg, ids(TOKENS), fullPositionInputs(cfg, B, T));
      tree.dispose(kv);
      r = tokenLogprobs(logits, ids(TARGETS), temperature);
    } else {
      const { hidden, head, kv } = forwardHidden(p, cfg, ids(TOKENS), fullPositionInputs(cfg, B, T));
      tree.dispose(kv);
      r = chunkedTokenLogprobs(hidden, head, ids(TARGETS), temperature, chunk);
    }
    return r.logp.mul(np.array(W).reshape([B, T])).sum().add(r.entropy.sum().mul(0.1));
  };
}

describe("chunkedTokenLogprobs", () => {
  for (const tied of [false, true]) {
    const cfg = { ...CFG, tieWordEmbeddings: tied };
    // A cap of 5 tokens per chunk over 21 tokens: 5 chunks of 5, 5, 5, 5, 1 tokens (the last one short).
    test(`values and gradients match the one-shot computation (${tied ? "tied" : "untied"} head, T=0.7)`, async () => {
      const V = cfg.vocabSize;
      const p = params(cfg);
      const [v0, g0] = jit(valueAndGrad(objective(cfg, 0, 0.7)))(tree.ref(p));
      const [v1, g1] = jit(valueAndGrad(objective(cfg, 5 * V, 0.7)))(tree.ref(p));
      const a = (await v0.data())[0]!, b = (await v1.data())[0]!;
      expect(Math.abs(a - b)).toBeLessThan(1e-4 * Math.max(1, Math.abs(a)));
      const l0 = tree.leaves(g0) as ReturnType<typeof np.array>[];
      const l1 = tree.leaves(g1) as ReturnType<typeof np.array>[];
      expect(l1.length).toBe(l0.length);
      let worst = 0;
      for (let i = 0; i < l0.length; i++) {
        const x = (await l0[i]!.data()) as Float32Array, y = (await l1[i]!.data()) as Float32Array;
        for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j]! - y[j]!));
      }
      expect(worst).toBeLessThan(1e-5);
      tree.dispose(p);
    });
  }

  test("per-token values match, and a single chunk is the one-shot path", async () => {
    const p = params(CFG);
    const one = forward(tree.ref(p), CFG, ids(TOKENS), fullPositionInputs(CFG, B, T));
    tree.dispose(one.kv);
    const ref = tokenLogprobs(one.logits, ids(TARGETS), 1);
    const h = forwardHidden(p, CFG, ids(TOKENS), fullPositionInputs(CFG, B, T));
    tree.dispose(h.kv);
    // A cap of 8 tokens over 21: three balanced chunks of 7.
    const ch = chunkedTokenLogprobs(h.hidden, h.head, ids(TARGETS), 1, 8 * CFG.vocabSize);
    expect(ch.logp.shape).toEqual([B, T]);
    const [x, y] = [(await ref.logp.data()) as Float32Array, (await ch.logp.data()) as Float32Array];
    const [ex, ey] = [(await ref.entropy.data()) as Float32Array, (await ch.entropy.data()) as Float32Array];
    for (let i = 0; i < B * T; i++) {
      expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-5);
      expect(Math.abs(ex[i]! - ey[i]!)).toBeLessThan(1e-5);
    }
  });

  test("the default chunk on the CPU backend is 2^25 logits", () => {
    expect(defaultLogitsChunkElements("wasm")).toBe(LOGITS_CHUNK_ELEMENTS);
    expect(LOGITS_CHUNK_ELEMENTS).toBe(2 ** 25);
  });
});
