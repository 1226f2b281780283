/**
 * `thinkrl adapt` from the command line: experts of another base are refused in one line; a few-shot CEM run on the
 * embedded model writes per-query results and a summary with the chosen α and the search's cost.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ROOT, thinkrl } from "../helpers/cli.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-adapt-"));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

test("experts of another base, a missing strategy value, a classifier run without its expert: one line each", async () => {
  const other = join(ROOT, "test/fixtures/adapt/tiny-llama-svf.safetensors");
  const [a, b, c] = await Promise.all([
    thinkrl(["adapt", "--strategy", "cem", "--experts", `${other},${other}`, "--categories", "x,y", "--dataset", "arithmetic", "--out", join(tmp, "a")]),
    thinkrl(["adapt", "--strategy", "vote", "--experts", other, "--dataset", "arithmetic"]),
    thinkrl(["adapt", "--strategy", "classifier", "--experts", other, "--dataset", "arithmetic"]),
  ]);
  for (const [r, re] of [[a, /^error: .*tiny-llama-svf\.safetensors was trained on another base model \(base hash [0-9a-f]{12}…, this model [0-9a-f]{12}…\)/], [b, /^error: adapt: --strategy must be one of prompt, classifier, cem \(got "vote"\)/], [c, /^error: adapt: --strategy classifier needs --classifier-expert <file>/]] as const) {
    expect(r.code, r.stderr).not.toBe(0);
    const lines = r.stderr.split("\n").filter((l) => /^error:/.test(l));
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(re);
  }
}, 60_000);

test("few-shot CEM on the embedded model: α per task, its cost, per-query rows", async () => {
  const { initEngine } = await import("../../src/engine/init.js");
  await initEngine("wasm");
  const { loadModel, defaultModelDir } = await import("../../src/model/load.js");
  const { selectTargets } = await import("../../src/adapt/targets.js");
  const { svdFactors } = await import("../../src/adapt/svd-cache.js");
  const { initSvfExpert } = await import("../../src/adapt/svf.js");
  const { writeSvfExpert } = await import("../../src/adapt/node.js");
  const { Rng } = await import("../../src/core/rng.js");
  const base = await loadModel(defaultModelDir());
  const { factors } = await svdFactors(base, selectTargets(base.config.numHiddenLayers, ["mlp"]));
  const files = ["add", "mul"].map((t) => join(tmp, `${t}.safetensors`));
  for (const [i, f] of files.entries()) await writeSvfExpert(f, initSvfExpert(factors, { parameterization: "sigmoid", rng: new Rng(i), std: 1, meta: { targets: ["mlp"], task: ["add", "mul"][i]!, validationScore: null } }));
  base.dispose();
  const out = join(tmp, "cem");
  const r = await thinkrl(["adapt", "--strategy", "cem", "--experts", files.join(","), "--dataset", "arithmetic", "--num-eval-problems", "8", "--eval-samples", "1",
    "--few-shot", "4", "--cem-population", "4", "--cem-iterations", "2", "--out", out]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/adapt \(cem\) on arithmetic: pass@1 \d+\.\d%/);
  expect(r.stdout).toMatch(/α \d\.\d\d,\d\.\d\d {2}CEM 8 evaluations, \d+ forward passes/);
  const summary = JSON.parse(await readFile(join(out, "summary.json"), "utf8"));
  expect(summary.categories).toEqual(["add", "mul"]);
  expect(summary.perTask.arithmetic.evaluations).toBe(8);
  expect(summary.perTask.arithmetic.alpha).toHaveLength(2);
  const rows = (await readFile(join(out, "results.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  expect(rows).toHaveLength(8);
  expect(rows[0].alpha).toEqual(summary.perTask.arithmetic.alpha);
}, 120_000);
