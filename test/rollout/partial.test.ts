/**
 * Partial rollouts (Kimi k1.5 §2.6.2; rollout/partial.ts): a trajectory continued across iterations under an
 * unchanged policy yields exactly the tokens of an uninterrupted rollout and decodes only the remaining tokens; its
 * prefix stays verbatim when the policy changed; per-token versions; groups leave the buffer only when complete;
 * a trajectory's tokens do not depend on its batch; the buffer survives a JSON round trip; masking is exact.
 */
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import { tinyModel } from "../helpers/tiny-model.js";

await initEngine("wasm");
const { Rng } = await import("../../src/core/rng.js");
const { generate } = await import("../../src/rollout/generate.js");
const { PartialRollouts, segmentAges } = await import("../../src/rollout/partial.js");
const { RepetitionDetector } = await import("../../src/rollout/repetition.js");
const { packSequences } = await import("../../src/train/batch.js");

type Model = Awaited<ReturnType<typeof tinyModel>>;

/** Counts the model's prefill and decode calls. */
function counting(model: Model): { prefill: number; decode: number } {
  const n = { prefill: 0, decode: 0 };
  const prefill = model.prefill.bind(model);
  const decode = model.decode.bind(model);
  model.prefill = (...a) => (n.prefill++, prefill(...a));
  model.decode = (...a) => (n.decode++, decode(...a));
  return n;
}

// A random tiny model ends (EOS) after ~26 tokens on average: long enough to need several 8-token segments.
const model = await tinyModel(3, 2);
const other = await tinyModel(4, 2);
const sampling = { temperature: 1, topP: 1, topK: 0 };
const MAX = 40;
const item = (q: string) => ({ key: q, question: q, columns: { task: "arithmetic", target: 0 } });
const buffer = (budget: number, G = 3) => new PartialRollouts({ groupSize: G, slots: G, budget, maxCompletionLength: MAX, repetition: null }, 11);

/** Runs iterations until the buffer's group completes; returns the group and each iteration's decode-call count. */
async function runToCompletion(buf: InstanceType<typeof PartialRollouts>, policy: (step: number) => Model, counts: { decode: number }) {
  buf.addGroup(item("12+34"), 1);
  const decodes: number[] = [];
  const before: number[][][] = [];
  for (let step = 1; step <= 20; step++) {
    before.push(buf.unfinished().map((t) => [...t.ids]));
    const d0 = counts.decode;
    await buf.generate(policy(step), "compact", sampling, step);
    decodes.push(counts.decode - d0);
    const done = buf.takeComplete(policy(step), "compact");
    if (done.length > 0) return { done: done[0]!, decodes, before };
    // A group leaves the buffer only when all of its members have ended.
    expect(buf.unfinished().length).toBeGreaterThan(0);
  }
  throw new Error("group never completed");
}

describe("partial rollouts", () => {
  test("continued under an unchanged policy: the uninterrupted rollout's tokens, decoding only the remaining tokens, versions per segment", async () => {
    const counts = counting(model);
    const whole = await runToCompletion(buffer(MAX), () => model, counts);
    const parts = await runToCompletion(buffer(8), () => model, counts);
    const ids = (g: typeof whole.done) => g.completions.map((c) => c.ids);
    expect(whole.decodes.length).toBe(1);
    expect(parts.decodes.length).toBeGreaterThan(1); // some member needed more than one 8-token segment
    expect(ids(parts.done)).toEqual(ids(whole.done));
    expect(parts.done.completions.map((c) => c.text)).toEqual(whole.done.completions.map((c) => c.text));
    // The same with the re-prefill padded to 8-token buckets instead of one fixed length (`rolloutPrefixBucket`).
    const bucketed = new PartialRollouts({ groupSize: 3, slots: 3, budget: 8, maxCompletionLength: MAX, repetition: null, prefixBucket: 8 }, 11);
    expect(ids((await runToCompletion(bucketed, () => model, counts)).done)).toEqual(ids(whole.done));
    // Each iteration decodes (after its one prefill of prompt + prefix) only the new tokens of its longest row.
    const lens = parts.done.versions;
    parts.decodes.forEach((d, k) => {
      const step = k + 1;
      const newTokens = Math.max(...lens.map((v) => v.filter((x) => x === step).length));
      expect(d).toBe(newTokens - 1);
    });
    // Versions: token j was sampled in iteration ⌊j/8⌋ + 1.
    for (const v of lens) expect(v).toEqual(v.map((_, j) => Math.floor(j / 8) + 1));
    expect(segmentAges(lens[0]!, 5)).toEqual(lens[0]!.filter((_, j) => j % 8 === 0).map((_, s) => 5 - (s + 1)));
  });

  test("a prefix is kept verbatim when the policy changed; the new policy writes the rest", async () => {
    const counts = counting(other);
    const r = await runToCompletion(buffer(8), (step) => (step === 1 ? model : other), counts);
    const first = await runToCompletion(buffer(8), () => model, { decode: 0 });
    r.done.completions.forEach((c, m) => {
      const old = r.done.versions[m]!.filter((v) => v === 1).length;
      expect(old).toBeGreaterThan(0);
      expect(c.ids.slice(0, old)).toEqual(first.done.completions[m]!.ids.slice(0, old));
    });
    // Some continuation differs from what the unchanged policy wrote (the policy really changed).
    expect(r.done.completions.map((c) => c.ids)).not.toEqual(first.done.completions.map((c) => c.ids));
  });

  test("a trajectory's tokens do not depend on the rows sharing its batch", async () => {
    const prompts = [[1, 8, 9], [1, 10, 11, 12]];
    const alone = await generate(model, [prompts[1]!], { ...sampling, maxNewTokens: 20, rngs: [new Rng(9)] }, new Rng(0));
    const shared = await generate(model, prompts, { ...sampling, maxNewTokens: 20, rngs: [new Rng(8), new Rng(9)] }, new Rng(0));
    expect(shared[1]!.ids).toEqual(alone[0]!.ids);
  });

  test("the buffer survives a JSON round trip and continues the same", async () => {
    const a = buffer(8);
    a.addGroup(item("56+7"), 1);
    await a.generate(model, "compact", sampling, 1);
    const b = buffer(8);
    b.restore(JSON.parse(JSON.stringify(a.state())));
    expect(b.unfinished()).toEqual(a.unfinished());
    for (let step = 2; step < 8; step++) {
      await a.generate(model, "compact", sampling, step);
      await b.generate(model, "compact", sampling, step);
    }
    expect(b.state()).toEqual(a.state());
    expect(() => buffer(8, 2).restore(a.state())).toThrow(/members/);
  });

  test("masking leaves out exactly the tokens of earlier versions", () => {
    const packed = packSequences([[1, 5], [1]], [[7, 8, 9, 2], [6, 2]], 0, undefined, 1, 16, [[0, 0, 1, 1], [1, 1]]);
    const row = (b: number) => Array.from(packed.mask.slice(b * packed.T, b * packed.T + 5));
    // Row 0: targets are 5,7,8,9,2 → completion tokens 7,8 (old) masked, 9,2 (current) kept.
    expect(row(0)).toEqual([0, 0, 0, 1, 1]);
    expect(row(1)).toEqual([1, 1, 0, 0, 0]);
  });

  test("the repetition stop ends a loop after maxCount occurrences of its latest n-gram", () => {
    const d = new RepetitionDetector({ ngramSize: 3, maxCount: 3 });
    const loop = [4, 5, 4, 5, 4, 5, 4, 5, 4, 5];
    const hit = loop.findIndex((id) => d.push(id));
    expect(hit).toBe(6); // [4,5,4] at 0, 2, 4
    const fresh = new RepetitionDetector({ ngramSize: 3, maxCount: 3 }, [4, 5, 4, 5]);
    expect([4, 5, 4].map((id) => fresh.push(id))).toEqual([false, false, true]); // the prefix's n-grams count
  });
});
