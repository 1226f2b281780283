/**
 * Key/value-cache decoding: prefill of a left-padded batch followed by one-token decode steps must give the same
 * logits as a full forward over each row's own unpadded sequence (positions, pad masking, cache writes, GQA).
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import type { ModelConfig } from "../../src/model/config.js";

await initEngine("wasm");
const { numpy: np, tree } = await import("@jax-js/jax");
const { defaultModelConfig, defaultTokenizerJson } = await import("../../src/model/default.js");
const { initTensors, paramsFromTensors } = await import("../../src/model/params.js");
const { forward } = await import("../../src/model/llama.js");
const { fullPositionInputs } = await import("../../src/model/positions.js");
const { CausalLM } = await import("../../src/model/causal-lm.js");
const { loadTokenizer } = await import("../../src/model/tokenizer.js");
const { Rng } = await import("../../src/core/rng.js");

/** Default model shrunk (d32, 2 layers), GQA 4 query / 2 key-value heads. */
const LLAMA: ModelConfig = { ...defaultModelConfig(), hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8 };
/** Qwen2 flavour: q/k/v bias, tied embeddings, a large RoPE base, single key/value head. */
const QWEN2: ModelConfig = { ...LLAMA, modelType: "qwen2", attentionBias: true, tieWordEmbeddings: true, ropeTheta: 1e6, numKeyValueHeads: 1 };
/** Weight std large enough that logits vary by several nats (initTensors' 0.02 gives near-uniform ones). */
const INIT_STD = 0.3;
const TOL = 1e-4;

/** Nonzero biases, so that the Qwen2 variant actually exercises them (initTensors sets them to 0). */
function randomizeBiases(tensors: ReturnType<typeof initTensors>, rng: InstanceType<typeof Rng>): void {
  for (const [name, t] of tensors) if (name.endsWith(".bias")) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.next() - 0.5;
}

/** Logits `[T, V]` of a full forward over one unpadded sequence. */
async function fullLogits(model: InstanceType<typeof CausalLM>, seq: number[]): Promise<Float32Array> {
  const c = model.config;
  const tokens = np.array(Int32Array.from(seq), { dtype: np.int32 }).reshape([1, seq.length]);
  const { logits, kv } = forward(tree.ref(model.params), c, tokens, fullPositionInputs(c, 1, seq.length));
  for (const { k, v } of kv) {
    k.dispose();
    v.dispose();
  }
  return (await logits.data()) as Float32Array;
}

function maxAbsDiff(a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[aOff + i]! - b[bOff + i]!));
  return m;
}

/** A CausalLM whose decode writes the cache in place (Wasm default) or rewrites it each step (THINKRL_KV_INPLACE=0). */
function makeModel(cfg: ModelConfig, tensors: ReturnType<typeof initTensors>, inPlace: boolean): InstanceType<typeof CausalLM> {
  process.env.THINKRL_KV_INPLACE = inPlace ? "1" : "0";
  try {
    const model = new CausalLM(cfg, paramsFromTensors(cfg, tensors), loadTokenizer(defaultTokenizerJson()));
    expect(model.kvInPlace).toBe(inPlace);
    return model;
  } finally {
    delete process.env.THINKRL_KV_INPLACE;
  }
}

describe.each([
  ["llama (GQA 4/2), cache written in place", LLAMA, true],
  ["llama (GQA 4/2), cache rewritten", LLAMA, false],
  ["qwen2 (bias, tied, 4/1), cache written in place", QWEN2, true],
  ["qwen2 (bias, tied, 4/1), cache rewritten", QWEN2, false],
])("%s", (_name, cfg, inPlace) => {
  test("prefill + decode of a left-padded batch matches a full forward of each unpadded row", async () => {
    const rng = new Rng(11);
    const tensors = initTensors(cfg, rng, INIT_STD);
    randomizeBiases(tensors, rng);
    const model = makeModel(cfg, tensors, inPlace);
    const V = cfg.vocabSize;
    const rand = (n: number) => Array.from({ length: n }, () => rng.int(3, V - 1));
    const prompts = [rand(3), rand(7), rand(1), rand(5)];
    const steps = 5;
    const continuations = prompts.map(() => rand(steps));
    const B = prompts.length;
    const L = Math.max(...prompts.map((p) => p.length));
    const S = L + steps + 20; // spare slots stay masked (in place: windows of 16 and 32 slots are read)
    const pad = prompts.map((p) => L - p.length);
    const tokens = new Int32Array(B * L).fill(model.padId);
    prompts.forEach((p, b) => tokens.set(p, b * L + pad[b]!));

    // got[b][j]: logits after the prompt and j continuation tokens.
    const got: Float32Array[][] = prompts.map(() => []);
    let { logits, cache } = await model.prefill(tokens, B, L, pad, S);
    for (let t = 0; ; t++) {
      for (let b = 0; b < B; b++) got[b]!.push(logits.slice(b * V, (b + 1) * V));
      if (t === steps) break;
      ({ logits, cache } = await model.decode(Int32Array.from(continuations.map((c) => c[t]!)), L + t, pad, cache));
    }
    for (const kv of cache) {
      kv.k.dispose();
      kv.v.dispose();
    }

    for (let b = 0; b < B; b++) {
      const seq = [...prompts[b]!, ...continuations[b]!];
      const want = await fullLogits(model, seq);
      for (let j = 0; j <= steps; j++) {
        const t = prompts[b]!.length - 1 + j; // position whose logits predict the next token
        expect(maxAbsDiff(got[b]![j]!, 0, want, t * V, V), `row ${b}, step ${j}`).toBeLessThanOrEqual(TOL);
      }
    }
    model.dispose();
  });
});
