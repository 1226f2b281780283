/**
 * Transformer² two-pass self-adaptation on the embedded model: a one-hot α generates exactly what that expert alone
 * generates (per expert and per layer), "other" runs the base weights, few-shot examples never overlap the
 * evaluation items, and a small CEM search runs end to end on few-shot examples with the mixer.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { loadModel, defaultModelDir } = await import("../../src/model/load.js");
const { Rng } = await import("../../src/core/rng.js");
const { selectTargets } = await import("../../src/adapt/targets.js");
const { svdFactors } = await import("../../src/adapt/svd-cache.js");
const svf = await import("../../src/adapt/svf.js");
const { OTHER_CATEGORY, classificationPrompt, parseCategory } = await import("../../src/adapt/classify.js");
const sa = await import("../../src/pipeline/self-adapt.js");
const { openPromptSource } = await import("../../src/data/source.js");

const cacheDir = mkdtempSync(join(tmpdir(), "thinkrl-svd-"));
const model = await loadModel(defaultModelDir());
const targets = selectTargets(model.config.numHiddenLayers, ["mlp"]);
const { factors } = await svdFactors(model, targets, { cacheDir });
const meta = { targets: ["mlp"], task: null, validationScore: null };
// Far from the identity (std 2), so each expert visibly changes the greedy answers.
const e1 = svf.initSvfExpert(factors, { parameterization: "sigmoid", rng: new Rng(11), std: 2, meta });
const e2 = svf.initSvfExpert(factors, { parameterization: "sigmoid", rng: new Rng(12), std: 2, meta });
const questions = ["47+85", "3*14", "96-58", "7+8+9", "120/8", "33*3"];
const opts = { format: "compact" as const, maxTokens: 24 };

test("a one-hot α (per expert or per layer) answers exactly as that expert alone; α = 0 is the base model itself", async () => {
  const mixer = new svf.SvfMixer(model, factors, [e1, e2]);
  const alone = svf.mixedModel(model, factors, [e2], [1]);
  const want = (await sa.greedyAnswers(alone, questions, opts)).texts;
  const base = (await sa.greedyAnswers(model, questions, opts)).texts;
  expect(want).not.toEqual(base); // the expert matters, so the equality below can fail
  const L = model.config.numHiddenLayers;
  for (const alpha of [[0, 1], [Array(L).fill(0), Array(L).fill(1)]]) {
    const m = mixer.model(alpha);
    expect((await sa.greedyAnswers(m, questions, opts)).texts).toEqual(want);
    mixer.release(m);
  }
  // "other": α = 0 → the very base object, answering as the base does.
  const other = mixer.model(sa.alphaForCategory(OTHER_CATEGORY, ["arithmetic", "search"]));
  expect(other === model).toBe(true);
  expect((await sa.greedyAnswers(other, questions, opts)).texts).toEqual(base);
  svf.disposeAdapted(alone);
  mixer.dispose();
});

test("per-layer α: expert 2 in layer 0 only changes exactly the layer-0 matrices", async () => {
  const mixer = new svf.SvfMixer(model, factors, [e1, e2]);
  const L = model.config.numHiddenLayers;
  const m = mixer.model([Array(L).fill(0), [1, ...Array(L - 1).fill(0)]]);
  const one = svf.mixedModel(model, factors, [e2], [1]);
  for (const t of targets) {
    const got = (await m.params.layers[t.layer]![t.key].ref.data()) as Float32Array;
    const ref = (await (t.layer === 0 ? one : model).params.layers[t.layer]![t.key].ref.data()) as Float32Array;
    expect(Math.max(...got.map((x, i) => Math.abs(x - ref[i]!))), t.name).toBeLessThan(1e-6);
  }
  mixer.release(m);
  svf.disposeAdapted(one);
  mixer.dispose();
});

test("categories: the last \\boxed{} names one (case-insensitive), anything else is other; α is one-hot or zero", () => {
  const cats = ["arithmetic", "search", "sequence"];
  expect(classificationPrompt("What is 2 and 3 together?", cats)).toContain("What is 2 and 3 together?");
  expect(parseCategory("<think>x</think><answer>\\boxed{Search}</answer>", cats)).toBe("search");
  expect(parseCategory("\\boxed{sequence} then \\boxed{arithmetic}", cats)).toBe("arithmetic");
  expect(parseCategory("\\boxed{poetry}", cats)).toBe(OTHER_CATEGORY);
  expect(parseCategory("no box", cats)).toBe(OTHER_CATEGORY);
  expect(sa.alphaForCategory("search", cats)).toEqual([0, 1, 0]);
  expect(sa.alphaForCategory(OTHER_CATEGORY, cats)).toEqual([0, 0, 0]);
});

test("few-shot examples come from the training stream and are asserted disjoint from the evaluation items", async () => {
  const source = await openPromptSource("arithmetic", 32, 0);
  const shots = sa.fewShotExamples(() => source.next(), 8, source.heldOut);
  expect(shots).toHaveLength(8);
  const leaky = [...source.heldOut.slice(0, 3)];
  let i = 0;
  expect(() => sa.fewShotExamples(() => leaky[i++]!, 2, source.heldOut)).toThrow(/is also an evaluation item/);
});

test("CEM on few-shot examples runs on the mixer: population × iterations evaluations, α in [0, 1], cost counted", async () => {
  const source = await openPromptSource("arithmetic", 16, 0);
  const shots = sa.fewShotExamples(() => source.next(), 4, source.heldOut);
  const mixer = new svf.SvfMixer(model, factors, [e1, e2]);
  const r = await sa.cemAdapt(mixer, shots, { ...opts, score: "accuracy", population: 4, eliteFraction: 0.5, iterations: 2, initStd: 0.5, perLayer: false, seed: 0 });
  expect(r.cost.evaluations).toBe(4 * r.cem.iterations);
  expect(r.alpha).toHaveLength(2);
  for (const a of r.alpha as number[]) expect(a >= 0 && a <= 1).toBe(true);
  expect(r.score).toHaveLength(2); // accuracy, then the solutions' mean log-likelihood
  expect(r.score[1]).toBeLessThan(0);
  expect(r.cost.forwardPasses).toBeGreaterThan(r.cost.evaluations);
  mixer.dispose();
});
