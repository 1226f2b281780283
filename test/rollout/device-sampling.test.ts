/**
 * Tokens drawn on the device (Gumbel-max inside the decode step) follow softmax(logits / T) exactly, carry the
 * right log-probs, and greedy decoding gives the same tokens as the host path.
 */
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm", { threads: 1 });
const { Rng } = await import("../../src/core/rng.js");
const { defaultModelDir, loadModel } = await import("../../src/model/load.js");
const { generate, useDeviceSampling, DEVICE_SAMPLING_MIN_VOCAB } = await import("../../src/rollout/generate.js");

const model = await loadModel(defaultModelDir());
const V = model.config.vocabSize;
const PROMPT = [model.config.bosTokenId ?? 1, ...model.tokenizer.encode("47+85")];

/** softmax(x / T) of one row. */
function softmax(x: Float32Array, T: number): number[] {
  const m = Math.max(...x);
  const e = Array.from(x, (v) => Math.exp((v - m) / T));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

test("device draws match softmax(logits / T) and report its log-probs", async () => {
  const B = 512, T = 4;
  const L = 8, S = 16;
  const tokens = new Int32Array(B * L).fill(model.padId);
  const pad = Array.from({ length: B }, () => L - PROMPT.length);
  for (let b = 0; b < B; b++) tokens.set(PROMPT, b * L + pad[b]!);
  // Same state twice: once decoded to host logits (the reference distribution), once sampled on the device.
  const next = new Int32Array(B).fill(model.tokenizer.encode("<think>")[0]!);
  const a = await model.prefill(tokens, B, L, pad, S);
  const ref = await model.decode(next, L, pad, a.cache);
  const p = softmax(ref.logits.slice(0, V), T);
  const b = await model.prefill(tokens, B, L, pad, S);
  const dev = await model.decodeSample(next, L, pad, b.cache, T, 12345);
  for (const c of [...ref.cache, ...dev.cache]) {
    c.k.dispose();
    c.v.dispose();
  }
  const freq = new Array(V).fill(0);
  for (const id of dev.ids) freq[id]++;
  const tv = 0.5 * p.reduce((s, pi, i) => s + Math.abs(pi - freq[i] / B), 0);
  // 512 draws over 26 tokens: sampling noise alone gives TV ≈ 0.09; drawing at T = 1 instead of 4 gives 0.67.
  expect(tv).toBeLessThan(0.2);
  expect(new Set(dev.ids).size).toBeGreaterThan(1); // rows get independent noise
  for (let i = 0; i < B; i++) expect(dev.logprobs[i]!).toBeCloseTo(Math.log(p[dev.ids[i]!]!), 4);
});

test("greedy on the device gives the host's tokens and log-probs; seeds reproduce", async () => {
  const prompts = [PROMPT, [PROMPT[0]!, ...model.tokenizer.encode("9*7")], [PROMPT[0]!, ...model.tokenizer.encode("12+30")]];
  const opts = { maxNewTokens: 24, temperature: 0, topP: 1, topK: 0 };
  const host = await generate(model, prompts, { ...opts, sampleOn: "host" }, new Rng(1));
  const dev = await generate(model, prompts, { ...opts, sampleOn: "device" }, new Rng(1));
  expect(dev.map((c) => c.ids)).toEqual(host.map((c) => c.ids));
  for (let r = 0; r < prompts.length; r++) {
    for (let i = 0; i < host[r]!.logprobs.length; i++) expect(dev[r]!.logprobs[i]!).toBeCloseTo(host[r]!.logprobs[i]!, 4);
  }
  const s1 = await generate(model, prompts, { ...opts, temperature: 1, sampleOn: "device" }, new Rng(9));
  const s2 = await generate(model, prompts, { ...opts, temperature: 1, sampleOn: "device" }, new Rng(9));
  expect(s2).toEqual(s1);
});

test("auto samples on the device only on WebGPU, for large vocabularies without top-k/top-p", () => {
  expect(useDeviceSampling(V, { topK: 0, topP: 1 }, "webgpu")).toBe(false);
  expect(useDeviceSampling(DEVICE_SAMPLING_MIN_VOCAB, { topK: 0, topP: 1 }, "webgpu")).toBe(true);
  expect(useDeviceSampling(DEVICE_SAMPLING_MIN_VOCAB, { topK: 0, topP: 1 }, "wasm")).toBe(false);
  expect(useDeviceSampling(151936, { topK: 0, topP: 1 })).toBe(false); // these tests run on wasm
  expect(useDeviceSampling(151936, { topK: 0, topP: 1, sampleOn: "device" }, "wasm")).toBe(true);
  expect(useDeviceSampling(151936, { topK: 0, topP: 0.95 }, "webgpu")).toBe(false);
  expect(useDeviceSampling(151936, { topK: 20, topP: 1, sampleOn: "host" }, "webgpu")).toBe(false);
  expect(() => useDeviceSampling(26, { topK: 20, topP: 1, sampleOn: "device" })).toThrow(/temperature sampling only/);
});
