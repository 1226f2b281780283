/**
 * `thinkrl train`'s held-out eval (`heldOutEval`) and `thinkrl eval` (`runBenchmark`) are one evaluation: on the same
 * task, model, seed and settings they give the same metrics. Old runs' saved evals are read back under the new
 * names. (Embedded model, one Wasm thread, 8 problems × 2 samples.)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm", { threads: 1 });
const { Rng } = await import("../../src/core/rng.js");
const { openPromptSource } = await import("../../src/data/source.js");
const { EVAL_SEED_OFFSET, R1_EVAL_SAMPLING } = await import("../../src/eval/defaults.js");
const { describeEval, heldOutEval, savedEvalReport } = await import("../../src/eval/heldout.js");
const { defaultModelDir, loadModel } = await import("../../src/model/load.js");
const { resolveBenchmarkConfig, runBenchmark } = await import("../../src/pipeline/benchmark.js");

const dir = await mkdtemp(join(tmpdir(), "thinkrl-heldout-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

test("heldOutEval and thinkrl eval's runBenchmark agree on a built-in task", async () => {
  const model = await loadModel(defaultModelDir());
  const source = await openPromptSource("arithmetic", 8, 0);
  const opts = { samples: 2, ...R1_EVAL_SAMPLING, maxCompletionLength: 48, format: "compact" as const };
  const train = await heldOutEval(model, source.heldOut, opts, new Rng(0 + EVAL_SEED_OFFSET));
  const bench = await runBenchmark(resolveBenchmarkConfig({ dataset: "arithmetic", numEvalProblems: 8, evalSamples: 2, format: "compact", out: dir }));
  expect(Object.keys(train.metrics)).toEqual(["pass@1", "cons@2", "pass@2", "answer_rate", "format_rate", "mean_length"]);
  expect(train.metrics).toEqual(bench.run.metrics);
  expect([train.numProblems, train.samples]).toEqual([8, 2]);
  expect(describeEval(train)).toMatch(/^pass@1 \d+\.\d%  pass@2 \d+\.\d%  format \d+\.\d%  \(8 held-out problems × 2 samples, \d+ s\)$/);
  expect(describeEval({ ...train, numProblems: 1, samples: 1 })).toMatch(/\(1 held-out problem × 1 sample, \d+ s\)$/);
}, 60_000);

test("a run saved before the metrics were unified is read back under the metric names", () => {
  const old = { pass1: 0.25, passAtK: 0.5, formatRate: 0.75, meanLength: 30, numProblems: 256, samples: 4, seconds: 12 };
  expect(savedEvalReport(old)).toEqual({ metrics: { "pass@1": 0.25, "pass@4": 0.5, format_rate: 0.75, mean_length: 30 }, numProblems: 256, samples: 4, seconds: 12 });
  const now = { metrics: { "pass@1": 0.5 }, numProblems: 1, samples: 1, seconds: 1 };
  expect(savedEvalReport(now)).toBe(now);
  expect(savedEvalReport(undefined)).toBeUndefined();
});
