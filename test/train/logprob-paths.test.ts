/**
 * One log-prob path and one temperature rule (`model/logprobs.ts`): π_θ inside the learner's jitted loss, π_old
 * (`sequenceLogprobs`) and π_ref (`FrozenPolicy`) are log softmax(logits / T) of the same model, checked against a
 * float64 computation from the model's logits; T = 0 (greedy) reports log-probs at T = 1 everywhere.
 */
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import { tinyConfig, tinyModel } from "../helpers/tiny-model.js";

await initEngine("wasm");
const { numpy: np, tree } = await import("@jax-js/jax");
const { forward } = await import("../../src/model/llama.js");
const { fullPositionInputs } = await import("../../src/model/positions.js");
const { Learner } = await import("../../src/train/learner.js");
const { FrozenPolicy, sequenceLogprobs } = await import("../../src/train/logprobs.js");
const { packSequences } = await import("../../src/train/batch.js");
const { nll } = await import("../../src/rl/losses/index.js");
const { logitScale, effectiveTemperature } = await import("../../src/model/logprobs.js");

const TINY = await tinyConfig();
const OPT = { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 };

test("the temperature rule: T, or 1 for greedy", () => {
  expect([effectiveTemperature(0.7), effectiveTemperature(0), effectiveTemperature(-1)]).toEqual([0.7, 1, 1]);
  expect(logitScale(0.5)).toBe(2);
  expect(logitScale(0)).toBe(1);
});

test("π_θ (learner), π_old and π_ref are log softmax(logits / T); T = 0 scores at T = 1", async () => {
  const T = 0.7;
  const model = await tinyModel(3, 0.5);
  const b = packSequences([[3, 4, 5], [6, 7], [8, 9, 10, 11]], [[12, 13, 14, 1], [15, 16], [17, 18, 19, 20, 21]], model.padId, undefined, 4);
  // float64 reference from the model's logits.
  const { logits, kv } = forward(tree.ref(model.params), TINY, np.array(b.tokens, { dtype: np.int32 }).reshape([b.B, b.T]), fullPositionInputs(TINY, b.B, b.T));
  tree.dispose(kv);
  const L = (await logits.data()) as Float32Array;
  const V = TINY.vocabSize;
  const want = (i: number, t: number) => {
    const row = Array.from(L.subarray(i * V, (i + 1) * V), (x) => x / t);
    const m = Math.max(...row);
    return row[b.targets[i]!]! - m - Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  };
  const lp = { temperature: T, microBatchSize: 4 };
  const oldLogp = await sequenceLogprobs(model, b, lp);
  const ref = new FrozenPolicy(model);
  expect(Array.from(await ref.logprobs(b, lp))).toEqual(Array.from(oldLogp));
  ref.dispose();
  const greedy = await sequenceLogprobs(model, b, { temperature: 0, microBatchSize: 4 });
  const atOne = await sequenceLogprobs(model, b, { temperature: 1, microBatchSize: 4 });
  expect(Array.from(greedy)).toEqual(Array.from(atOne));
  // The learner's own log-prob of single tokens: NLL with a one-hot weight is −logp of that token.
  const probe = new Learner(model, nll, OPT, { temperature: T });
  for (const i of [2, b.T + 1, 2 * b.T + 4]) {
    const w = new Float32Array(b.B * b.T);
    w[i] = 1;
    const { loss } = await probe.accumulate({ ...b, weights: w });
    expect(-loss, `learner, token ${i}`).toBeCloseTo(want(i, T), 4);
    expect(oldLogp[i]!, `π_old, token ${i}`).toBeCloseTo(want(i, T), 4);
    expect(greedy[i]!, `greedy, token ${i}`).toBeCloseTo(want(i, 1), 4);
  }
  probe.dispose();
});
