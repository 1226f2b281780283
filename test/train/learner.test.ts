/**
 * The learner's schedule of one batch: μ epochs × mini-batches (one AdamW step each), micro-batched; metrics from the
 * first epoch only; padding rows ride in the last mini-batch; the optimizer reset; an adapter binding (frozen base +
 * trainable tree through the forward hook) that trains only its own tree.
 */
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import { tinyConfig, tinyModel } from "../helpers/tiny-model.js";

await initEngine("wasm");
const { numpy: np, tree } = await import("@jax-js/jax");
const { CausalLM } = await import("../../src/model/causal-lm.js");
const { Learner } = await import("../../src/train/learner.js");
const { packSequences } = await import("../../src/train/batch.js");
const { tokenWeights } = await import("../../src/rl/aggregate.js");
const { nll } = await import("../../src/rl/losses/index.js");
type LlamaParams = import("../../src/model/llama.js").LlamaParams;

const OPT = { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 };
const TINY = await tinyConfig();
const model = () => tinyModel(1, 0.5);
const batch = (lm: InstanceType<typeof CausalLM>) =>
  packSequences(Array.from({ length: 5 }, (_, i) => [3 + i, 4]), Array.from({ length: 5 }, (_, i) => [10 + i, 11, 1]), lm.padId, undefined, 8); // 5 rows padded to 8
const count = async (l: InstanceType<typeof Learner>) => (await l.state.count.ref.data())[0];

test("update: epochs × mini-batches optimizer steps, first-epoch metrics, padding in the last mini-batch", async () => {
  const lm = await model();
  const b = batch(lm);
  const learner = new Learner(lm, nll, OPT);
  const seen: [number, number][] = [];
  const weights = (s: number, e: number) => {
    seen.push([s, e]);
    return tokenWeights("dapo", b.mask.slice(s * b.T, e * b.T), e - s, b.T, 8);
  };
  const one = await learner.update(b, { microBatchSize: 2, miniBatches: 1, epochs: 1, lr: 1e-3, weights, rows: 5 });
  expect(await count(learner)).toBe(1);
  expect(seen).toEqual([[0, 8]]);
  seen.length = 0;
  const r = await learner.update(b, { microBatchSize: 2, miniBatches: 2, epochs: 3, lr: 1e-3, weights, rows: 5 });
  expect(await count(learner)).toBe(1 + 2 * 3);
  expect(seen).toEqual([[0, 3], [3, 8], [0, 3], [3, 8], [0, 3], [3, 8]]); // 5 real rows → 3 + 2, padding rows 5–7 last
  expect(r.sums.loss).toBeGreaterThan(0); // the two mini-batches' token-mean NLLs of the first epoch
  expect(r.sums.loss).toBeLessThan(2 * one.sums.loss + 1e-3);
  learner.resetOptimizer();
  expect(await count(learner)).toBe(0);
  learner.dispose();
});

test("an adapter binding trains its own tree through the forward hook; the frozen base does not move", async () => {
  const lm = await model();
  const b = batch(lm);
  const base = lm.params;
  const before = Float32Array.from(await base.embed.ref.data());
  // A per-channel scale of the final norm's weight as the trainable tree (an SVF-like vector, 1 at start).
  let scale: Record<string, ReturnType<typeof np.array>> = { norm: np.ones([TINY.hiddenSize]) };
  const learner = new Learner(lm, nll, OPT, {
    binding: {
      get: () => scale as never,
      set: (t) => void (scale = t as never),
      frozen: () => base as never,
      effective: (t, frozen) => {
        const p = frozen as unknown as LlamaParams;
        const s = (t as unknown as typeof scale).norm;
        return { ...p, norm: p.norm.mul(s) };
      },
    },
  });
  const weights = (s: number, e: number) => tokenWeights("dapo", b.mask.slice(s * b.T, e * b.T), e - s, b.T, 8);
  await learner.update(b, { microBatchSize: 8, miniBatches: 1, epochs: 2, lr: 1e-2, weights, rows: 5 });
  const s = (await scale.norm.ref.data()) as Float32Array;
  expect(Array.from(s).some((x) => Math.abs(x - 1) > 1e-3)).toBe(true); // the vector moved
  expect(Array.from((await lm.params.embed.ref.data()) as Float32Array)).toEqual(Array.from(before)); // the base did not
  learner.dispose();
  tree.dispose(scale as never);
});
