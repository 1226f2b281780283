/**
 * Partial rollouts and --resume: a run stopped after step 2 with unfinished trajectories in its buffer, then
 * resumed, logs the same metrics as the uninterrupted run (buffer tokens, versions, generator states and groups are
 * saved with the checkpoint).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { runTrain } = await import("../../src/pipeline/r1-zero.js");
const { SILENT_LOG } = await import("../../src/core/log.js");
const { readTrainerState } = await import("../../src/train/state.js");

const tmp = await mkdtemp(join(tmpdir(), "thinkrl-partial-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const config = (dir: string) => ({
  outputDir: dir, objective: "omd", rolloutTokenBudget: 8, maxCompletionLength: 32, maxSteps: 3, promptsPerStep: 2, numGenerations: 4,
  learningRate: 1e-3, warmupSteps: 0, numEvalProblems: 2, evalSamples: 1, saveSteps: 1, saveTotalLimit: 0, logCompletionsSteps: 0,
});
const isTiming = (k: string) => k === "step_seconds" || k === "tokens_per_second" || k.startsWith("time/");
const rows = async (dir: string) =>
  (await readFile(join(dir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, number>).filter(([k]) => !isTiming(k))));

test("a run stopped with a non-empty buffer resumes to the uninterrupted run's metrics", async () => {
  const a = join(tmp, "a");
  const b = join(tmp, "b");
  await runTrain(config(a), { log: SILENT_LOG });
  const stop = new AbortController();
  await runTrain(config(b), { log: SILENT_LOG, signal: stop.signal, callbacks: [{ onStepEnd: ({ step }) => void (step === 2 && stop.abort()) }] });
  const saved = await readTrainerState(join(b, "checkpoint-2"));
  const buffer = saved.partial_rollouts as { groups: { members: { ids: number[]; finishReason: string | null }[] }[] };
  expect(buffer.groups.flatMap((g) => g.members).filter((m) => m.finishReason === null && m.ids.length > 0).length).toBeGreaterThan(0);
  expect((await rows(b)).length).toBe(2);
  await runTrain({ maxSteps: 3 }, { log: SILENT_LOG, resume: b });
  const ra = await rows(a);
  expect(ra.length).toBe(3);
  expect(ra.some((r) => r["partial/continued_slots"]! > 0 && r["partial/groups_scored"]! > 0)).toBe(true);
  expect(await rows(b)).toEqual(ra);
}, 120_000);
