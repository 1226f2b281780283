/**
 * The log-probs without a `[B, T, V]` log-softmax (`targetLogprobs`, `tokenLogprobs`: x_t − logsumexp(x)) equal the
 * materialising form they replaced (`referenceTokenLogprobs`: pick from `nn.logSoftmax`) — values, entropies and
 * gradients with respect to the logits, under jit — also for logits far from zero.
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { jit, numpy: np, valueAndGrad } = await import("@jax-js/jax");
const { targetLogprobs, tokenLogprobs, referenceTokenLogprobs, hiddenLogprobs, hiddenTargetLogprobs } = await import("../../src/model/logprobs.js");
const { Rng } = await import("../../src/core/rng.js");

type Arr = ReturnType<typeof np.array>;
const B = 3, T = 5, V = 37;
const rng = new Rng(3);
const TARGETS = Int32Array.from({ length: B * T }, () => rng.int(0, V - 1));
const W = Float32Array.from({ length: B * T }, () => rng.next() - 0.3);
const logitsOf = (scale: number, offset: number) => Float32Array.from({ length: B * T * V }, () => offset + scale * (rng.next() * 2 - 1));
const targets = () => np.array(TARGETS, { dtype: np.int32 }).reshape([B, T]);
const weights = () => np.array(W).reshape([B, T]);

const close = (a: Float32Array, b: Float32Array, tol: number) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  expect(worst).toBeLessThan(tol);
};

/** Σ w·logp + 0.1·Σ entropy through `form`, and its gradient with respect to the logits. */
function objective(form: (logits: Arr, t: Arr) => { logp: Arr; entropy: Arr }) {
  return jit(valueAndGrad((logits: Arr) => {
    const r = form(logits, targets());
    return r.logp.mul(weights()).sum().add(r.entropy.sum().mul(0.1));
  }));
}

describe("log-probs without a materialised log-softmax", () => {
  for (const [scale, offset] of [[3, 0], [40, 60], [0.01, -5]] as const) {
    test(`values, entropies and gradients match nn.logSoftmax (logits ${offset} ± ${scale})`, async () => {
      const x = logitsOf(scale, offset);
      const lg = () => np.array(x).reshape([B, T, V]);
      const ref = jit((l: Arr) => referenceTokenLogprobs(l, targets()))(lg());
      const neu = jit((l: Arr) => tokenLogprobs(l, targets()))(lg());
      const only = jit((l: Arr) => targetLogprobs(l, targets()))(lg());
      const refLogp = (await ref.logp.data()) as Float32Array;
      close((await neu.logp.data()) as Float32Array, refLogp, 1e-6);
      close((await only.data()) as Float32Array, refLogp, 1e-6);
      close((await neu.entropy.data()) as Float32Array, (await ref.entropy.data()) as Float32Array, 1e-5);

      const [v0, g0] = objective(referenceTokenLogprobs)(lg());
      const [v1, g1] = objective(tokenLogprobs)(lg());
      expect((await v1.data())[0]!).toBeCloseTo((await v0.data())[0]!, 4);
      close((await g1.data()) as Float32Array, (await g0.data()) as Float32Array, 1e-5);
    });
  }

  test("hiddenTargetLogprobs = hiddenLogprobs' log-probs, chunked and not", async () => {
    const D = 8;
    const h = Float32Array.from({ length: B * T * D }, () => rng.next() - 0.5);
    const w = Float32Array.from({ length: D * V }, () => rng.next() - 0.5);
    const args = () => [np.array(h).reshape([B, T, D]), np.array(w).reshape([D, V]), targets()] as const;
    const full = hiddenLogprobs(...args(), 0.7);
    const fullLogp = (await full.logp.data()) as Float32Array;
    full.entropy.dispose();
    for (const chunk of [1 << 20, 4 * V]) close((await hiddenTargetLogprobs(...args(), 0.7, chunk).data()) as Float32Array, fullLogp, 1e-6);
  });
});
