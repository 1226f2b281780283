/**
 * `thinkrl dpo` (sigmoid DPO through the learner and the shared loop): a 20-step run on a small pairs file grows
 * `rewards/margins` and the chosen answers' advantage on held-out pairs; a run stopped after a checkpoint and resumed
 * (reference log-probs recomputed from the starting model) logs the uninterrupted run's metrics; TRL's preference
 * layouts load; bad rows and flags fail in one line.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import { tinyConfig, tinyModel } from "../helpers/tiny-model.js";
import { thinkrl } from "../helpers/cli.js";

await initEngine("wasm");
const { runDpo } = await import("../../src/train/dpo.js");
const { resolveDpoConfig } = await import("../../src/train/dpo-config.js");
const { loadPreferenceExamples } = await import("../../src/data/formats/preference.js");
const { loadModel } = await import("../../src/model/load.js");
const { listCheckpoints } = await import("../../src/train/state.js");

/** a+b with its worked steps: chosen = the right answer; rejected = longer steps and a wrong answer. */
const PAIRS = Array.from({ length: 24 }, (_, i) => {
  const a = 11 + ((i * 37) % 80);
  const b = 10 + ((i * 53) % 89);
  const steps = `${a % 10}+${b % 10}=${(a % 10) + (b % 10)}`;
  return { prompt: `${a}+${b}`, chosen: `<think>${steps}</think><answer>${a + b}</answer>`, rejected: `<think>${steps},${steps},${steps}</think><answer>${a + b + 1}</answer>` };
});
const BASE = { batchSize: 4, microBatchSize: 2, maxLength: 48, learningRate: 3e-3, evalSplit: 1 / 6, evalSteps: 5, saveTotalLimit: 0, beta: 0.1 };
const silent = { info: () => {}, progress: () => {} };
const isTiming = (k: string) => k.endsWith("_seconds") || k.startsWith("time/") || k === "tokens_per_second";
const readMetrics = async (dir: string) =>
  (await readFile(join(dir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
const stripTiming = (rows: Record<string, number>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !isTiming(k))));

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "dpo-"));
  data = join(tmp, "pairs.jsonl");
  await writeFile(data, PAIRS.map((p) => JSON.stringify(p)).join("\n") + "\n");
});

describe("DPO", () => {
  test("20 steps grow rewards/margins; the eval split prefers the chosen answers; final/ loads", async () => {
    const out = join(tmp, "learn");
    const cfg = resolveDpoConfig({ ...BASE, dataset: data, outputDir: out, epochs: 4, saveSteps: 0 });
    const s = await runDpo({ model: await tinyModel(1), reference: null, examples: await loadPreferenceExamples(data), format: "compact", config: cfg, log: silent });
    expect([s.steps, s.trainPairs, s.evalPairs]).toEqual([20, 20, 4]);
    const rows = await readMetrics(out);
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Step 1: policy = reference, so every implicit reward is 0 and the loss is ln 2.
    expect(rows[0]!.loss).toBeCloseTo(Math.LN2, 5);
    expect(rows[0]!["rewards/margins"]).toBeCloseTo(0, 5);
    for (const k of ["rewards/chosen", "rewards/rejected", "rewards/accuracies", "logps/chosen", "logps/rejected", "grad_norm", "learning_rate", "num_tokens", "epoch"]) expect(Number.isFinite(rows[0]![k]), k).toBe(true);
    const mean = (rs: typeof rows, k: string) => rs.reduce((a, r) => a + r[k]!, 0) / rs.length;
    expect(mean(rows.slice(-5), "rewards/margins")).toBeGreaterThan(0.05);
    expect(mean(rows.slice(-5), "rewards/accuracies")).toBeGreaterThan(0.9);
    expect(mean(rows.slice(-5), "loss")).toBeLessThan(Math.LN2 - 0.02);
    expect(s.evalAccuracy).toBeGreaterThan(0.5);
    expect(s.evalMargin).toBeGreaterThan(0);
    expect(rows.filter((r) => r.eval_loss !== undefined).length).toBe(4);
    const reloaded = await loadModel(s.finalModel);
    expect(reloaded.config.vocabSize).toBe(26);
    reloaded.dispose();
  });

  test("a run stopped after a checkpoint and resumed logs the uninterrupted run's metrics", async () => {
    const examples = await loadPreferenceExamples(data);
    const start = join(tmp, "start");
    const m0 = await tinyModel(2);
    const { saveModel } = await import("../../src/train/state.js");
    await saveModel(start, m0);
    const cfgFor = (out: string) => resolveDpoConfig({ ...BASE, dataset: data, outputDir: out, epochs: 2, saveSteps: 3, model: start });
    const run = async (out: string, stopAt?: number) => {
      const stop = new AbortController();
      return runDpo({ model: await loadModel(start), reference: null, examples, format: "compact", config: cfgFor(out), log: silent, signal: stop.signal, callbacks: [{ onStepEnd: (e) => void (e.step === stopAt && stop.abort()) }] });
    };
    await run(join(tmp, "A"));
    const dirB = join(tmp, "B");
    expect((await run(dirB, 4)).interrupted).toBe(true);
    const cks = await listCheckpoints(dirB);
    expect(cks.map((c) => c.step)).toEqual([3, 4]);
    const b2 = await runDpo({ model: await loadModel(cks[1]!.dir), reference: await loadModel(start), examples, format: "compact", config: cfgFor(dirB), log: silent, resumeFrom: cks[1]! });
    expect(b2.interrupted).toBe(false);
    expect(stripTiming(await readMetrics(dirB))).toEqual(stripTiming(await readMetrics(join(tmp, "A"))));
    expect(existsSync(join(dirB, "final", "model.safetensors"))).toBe(true);
    await expect(runDpo({ model: await loadModel(cks[1]!.dir), reference: null, examples, format: "compact", config: cfgFor(dirB), log: silent, resumeFrom: cks[1]! })).rejects.toThrow(/resumed DPO run needs its reference model/);
  });

  test("TRL's conversational and implicit-prompt layouts load; bad rows fail naming file:line", async () => {
    const file = join(tmp, "chat.jsonl");
    const conv = { prompt: [{ role: "system", content: "s" }, { role: "user", content: "1+2" }], chosen: [{ role: "assistant", content: "3" }], rejected: [{ role: "assistant", content: "4" }] };
    const implicit = { chosen: [{ role: "user", content: "1+2" }, { role: "assistant", content: "3" }], rejected: [{ role: "user", content: "1+2" }, { role: "assistant", content: "44" }] };
    await writeFile(file, [conv, implicit].map((r) => JSON.stringify(r)).join("\n") + "\n");
    expect((await loadPreferenceExamples(file)).map((e) => [e.prompt, e.chosen, e.rejected])).toEqual([["s\n\n1+2", "3", "4"], ["1+2", "3", "44"]]);
    await writeFile(file, JSON.stringify({ prompt: "1+2", chosen: "3" }) + "\n");
    await expect(loadPreferenceExamples(file)).rejects.toThrow(`${file}:1: 'rejected' is missing`);
    await writeFile(file, JSON.stringify({ ...implicit, rejected: [{ role: "user", content: "9+9" }, { role: "assistant", content: "1" }] }) + "\n");
    await expect(loadPreferenceExamples(file)).rejects.toThrow(/differ before the last assistant turn/);
    expect(() => resolveDpoConfig({ dataset: data, beta: 0 })).toThrow("beta (--beta) must be a number > 0 (got 0)");
    expect(() => resolveDpoConfig({ dataset: data, completionField: "x" })).toThrow(/unknown dpo config key "completionField"/);
  });

  test("CLI: thinkrl dpo trains the embedded model for 2 steps; a bad dataset row exits 1 with one line", async () => {
    const out = join(tmp, "cli");
    const r = await thinkrl(["dpo", "--dataset", data, "--out", out, "--batch-size", "8", "--epochs", "1", "--eval-split", "0.34", "--learning-rate", "1e-4"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/DPO: 16 train \/ 8 eval pairs, 1 epoch × 2 steps of up to 8 pairs, β 0\.1/);
    expect(r.stdout).toMatch(/DPO done: 2 steps, loss 0\.\d+, eval_loss 0\.\d+, eval accuracy \d+\.\d%, eval margin -?\d\.\d+ \(\d+ s\); model in .*final/);
    const bad = join(tmp, "bad.jsonl");
    await writeFile(bad, '{"prompt":"1+2","chosen":""}\n');
    const e = await thinkrl(["dpo", "--dataset", bad, "--out", join(tmp, "x")]);
    expect([e.code, e.stderr.trim()]).toEqual([1, `error: ${bad}:1: 'rejected' is missing`]);
  });
});

describe("DPO reference model", () => {
  test("a reference of another shape than the policy is refused, naming the field", async () => {
    const { assertSameShape } = await import("../../src/train/dpo.js");
    const policy = { config: await tinyConfig() };
    expect(() => assertSameShape(policy, policy)).not.toThrow();
    expect(() => assertSameShape({ config: { ...policy.config, hiddenSize: policy.config.hiddenSize * 2 } }, policy)).toThrow(
      `the reference model's hiddenSize (${policy.config.hiddenSize * 2}) differs from the policy's (${policy.config.hiddenSize}): --ref-model must have the policy's shape`,
    );
  });
});
