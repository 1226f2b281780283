/**
 * Adapter runs (`train --adapter svf|lora`) continue with `--resume`: a run stopped after a checkpoint and resumed
 * logs the same metrics, picks the same best-validation adapter and writes the same adapter files as a run that was
 * never stopped (adapter tree, AdamW moments, sampling RNG, data cursor and best-validation state restored from the
 * checkpoint; LoRA with dropout, so its masks' RNG too). Checkpoint metadata names the step and the validation score of the weights it holds. (The SIGKILL
 * path of the shared checkpoint writer is covered by test/train/resume.test.ts; this one stops in-process so it
 * stays a few seconds.)
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { runTrain } = await import("../../src/pipeline/r1-zero.js");
const { SILENT_LOG } = await import("../../src/core/log.js");
const { readSvfExpert } = await import("../../src/adapt/node.js");

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-adapter-resume-"));
  process.env.THINKRL_CACHE_DIR = join(tmp, "cache");
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const flags = (adapter: "svf" | "lora") => ({
  adapter, promptFormat: "compact", maxCompletionLength: 12, maxSteps: 3, promptsPerStep: 2, numGenerations: 2,
  learningRate: adapter === "svf" ? 5e-2 : 1e-2, warmupSteps: 0, numEvalProblems: 2, evalSamples: 1, saveSteps: 1, saveTotalLimit: 0,
  validationProblems: 4, evalSteps: 2, objective: "reinforce", ...(adapter === "lora" ? { loraDropout: 0.1 } : {}), rewardFuncs: ["accuracy_signed"], rewardWeights: [1], lossType: "sequence_sum",
});

const isTiming = (k: string) => k === "step_seconds" || k === "tokens_per_second" || k.startsWith("time/");
const rows = async (dir: string, file: string) =>
  (await readFile(join(dir, file), "utf8")).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, number | string>);

async function stoppedAndResumed(adapter: "svf" | "lora"): Promise<{ a: string; b: string }> {
  const a = join(tmp, `${adapter}-A`);
  const b = join(tmp, `${adapter}-B`);
  await runTrain({ ...flags(adapter), outputDir: a }, { log: SILENT_LOG });
  const ac = new AbortController();
  const first = await runTrain({ ...flags(adapter), outputDir: b }, { log: SILENT_LOG, signal: ac.signal, callbacks: [{ onStepEnd: ({ step }) => void (step === 2 && ac.abort()) }] });
  expect(first.trainedModel).toBe(join(b, "checkpoint-2"));
  await runTrain({ maxSteps: 3 }, { log: SILENT_LOG, resume: b });
  const ra = await rows(a, "metrics.jsonl");
  const rb = await rows(b, "metrics.jsonl");
  expect(rb.map((r) => r.step)).toEqual([1, 2, 3]);
  expect(ra.some((r) => (r.grad_norm as number) > 0)).toBe(true);
  for (let i = 0; i < 3; i++) {
    for (const k of Object.keys(ra[i]!).filter((k) => !isTiming(k))) {
      expect(Math.abs((ra[i]![k] as number) - (rb[i]![k] as number)), `${adapter} step ${i + 1} ${k}`).toBeLessThanOrEqual(1e-6);
    }
  }
  const sa = JSON.parse(await readFile(join(a, "summary.json"), "utf8"));
  const sb = JSON.parse(await readFile(join(b, "summary.json"), "utf8"));
  expect(sb.best.step).toBe(sa.best.step);
  expect(sb.best.validationScore).toBe(sa.best.validationScore);
  expect(sb.evalAfter.metrics).toEqual(sa.evalAfter.metrics);
  // The one validation (step 2) picked the best adapter; the resumed run restored it from checkpoint-2.
  const v2 = (await rows(a, "evals.jsonl")).find((r) => r.label === "step 2")!;
  expect(sa.best).toEqual({ step: 2, validationScore: v2["validation/pass@1"], adapter: join(a, "best", adapter === "svf" ? "svf_expert.safetensors" : "adapter") });
  return { a, b };
}

test("svf: a stopped run resumed from its checkpoint equals the uninterrupted run; best/ and metadata are honest", async () => {
  const { a, b } = await stoppedAndResumed("svf");
  for (const f of ["best/svf_expert.safetensors", "checkpoint-3/svf_expert.safetensors", "checkpoint-3/best/svf_expert.safetensors"]) {
    expect(Buffer.compare(await readFile(join(a, f)), await readFile(join(b, f))), f).toBe(0);
  }
  const best = await readSvfExpert(join(a, "best/svf_expert.safetensors"));
  const sa = JSON.parse(await readFile(join(a, "summary.json"), "utf8"));
  expect(best.meta.extra?.step).toBe(String(sa.best.step));
  expect(best.meta.validationScore).toBe(sa.best.validationScore);
  // checkpoint-3 was not validated: its expert names step 3 and no score (the best one is in best/, step 2).
  const c3 = await readSvfExpert(join(a, "checkpoint-3/svf_expert.safetensors"));
  expect([c3.meta.extra?.step, c3.meta.validationScore]).toEqual(["3", null]);
  const c2 = await readSvfExpert(join(a, "checkpoint-2/svf_expert.safetensors"));
  expect([c2.meta.extra?.step, c2.meta.validationScore]).toEqual(["2", sa.best.validationScore]);
}, 60_000);

test("lora: a stopped run resumed from its checkpoint equals the uninterrupted run", async () => {
  const { a, b } = await stoppedAndResumed("lora");
  for (const f of ["best/adapter/adapter_model.safetensors", "checkpoint-3/adapter/adapter_model.safetensors"]) {
    expect(Buffer.compare(await readFile(join(a, f)), await readFile(join(b, f))), f).toBe(0);
  }
  const meta = JSON.parse(await readFile(join(a, "checkpoint-3/adapter/thinkrl_meta.json"), "utf8"));
  expect(meta).toMatchObject({ step: 3, validation_score: null });
}, 60_000);

test("--expert starts an SVF run from an existing expert (its vectors, its parameterisation; another base's expert is refused in one line); --adapter-path starts a LoRA run from a PEFT directory", async () => {
  const { openAdapter } = await import("../../src/pipeline/adapter-run.js");
  const { resolveTrainConfig } = await import("../../src/train/config.js");
  const { loadModel, defaultModelDir } = await import("../../src/model/load.js");
  const { decodeSvfExpert } = await import("../../src/adapt/expert-file.js");
  const file = join(tmp, "svf-A", "best", "svf_expert.safetensors"); // from the svf test above
  const start = await readSvfExpert(file);
  const model = await loadModel(defaultModelDir());
  const lines: string[] = [];
  const run = await openAdapter(resolveTrainConfig({ adapter: "svf", expert: file, svfParameterization: "direct", outputDir: join(tmp, "x") }), model, { info: (m) => lines.push(m), progress: () => {} });
  const now = decodeSvfExpert((await run.files(0, null))["svf_expert.safetensors"] as Uint8Array, "now");
  expect(now.parameterization).toBe("sigmoid");
  for (const [name, v] of start.vectors) expect(Array.from(now.vectors.get(name)!)).toEqual(Array.from(v));
  expect(lines.join("\n")).toMatch(/is a sigmoid expert; it keeps that parameterisation/);
  run.dispose();
  const other = join(import.meta.dirname, "..", "fixtures", "adapt", "tiny-llama-svf.safetensors");
  await expect(openAdapter(resolveTrainConfig({ adapter: "svf", expert: other, outputDir: join(tmp, "y") }), model, SILENT_LOG)).rejects.toThrow(
    /^.*tiny-llama-svf.safetensors was trained on another base model \(base hash [0-9a-f]{12}…, this model [0-9a-f]{12}…\)$/,
  );
  // LoRA: --adapter-path starts from a PEFT directory (its rank, α and values).
  const { openLora } = await import("../../src/pipeline/lora-run.js");
  const { readPeftAdapter } = await import("../../src/adapt/node.js");
  const dir = join(tmp, "lora-A", "best", "adapter");
  const a = await readPeftAdapter(dir, model);
  const lr = await openLora(resolveTrainConfig({ adapter: "lora", adapterPath: dir, loraRank: 2, outputDir: join(tmp, "z") }), model, SILENT_LOG);
  expect(lr.paramCount).toBe(7_168 * 2); // r 8 on q/v (the run's), not --lora-rank 2
  const files = await lr.files(0, null);
  expect(Buffer.compare(files["adapter/adapter_model.safetensors"] as Uint8Array, await readFile(join(dir, "adapter_model.safetensors")))).toBe(0);
  expect(a.r).toBe(8);
  lr.dispose();
  expect(() => resolveTrainConfig({ adapterPath: dir })).toThrow(/adapterPath \(--adapter-path\) starts a LoRA run: pass --adapter lora/);
  model.dispose();
}, 30_000);
