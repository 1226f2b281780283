/** The run directory: refusing to mix two runs, --overwrite, resume bookkeeping. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ignoredOnResume, openResume, prepareRunDir, truncateRunLogs } from "../../src/train/run-dir.js";

let tmp: string;
beforeAll(async () => void (tmp = await mkdtemp(join(tmpdir(), "thinkrl-rundir-"))));
afterAll(async () => rm(tmp, { recursive: true, force: true }));

async function runLike(name: string): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(join(dir, "checkpoint-3"), { recursive: true });
  await writeFile(join(dir, "config.json"), JSON.stringify({ maxSteps: 5, learningRate: 1e-4 }));
  await writeFile(join(dir, "checkpoint-3", "trainer_state.json"), JSON.stringify({ global_step: 3, rng_state: [1] }));
  await writeFile(join(dir, "metrics.jsonl"), [1, 2, 3, 4].map((s) => JSON.stringify({ step: s })).join("\n") + "\n" + '{"step": 5, "lo');
  await writeFile(join(dir, "evals.jsonl"), [0, 2, 3, 4].map((s) => JSON.stringify({ step: s, label: s === 3 ? "after RL" : `step ${s}` })).join("\n") + "\n");
  await writeFile(join(dir, "notes.txt"), "mine");
  return dir;
}

describe("run directory", () => {
  test("a new or empty directory (or one with only other files) is fine", async () => {
    await prepareRunDir(join(tmp, "missing"));
    await mkdir(join(tmp, "other"));
    await writeFile(join(tmp, "other", "stage.json"), "{}");
    await prepareRunDir(join(tmp, "other"));
  });

  test("a directory holding a run is refused in one line naming --resume and --overwrite", async () => {
    const dir = await runLike("refuse");
    const err = await prepareRunDir(dir).catch((e: Error & { hint?: string }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/already holds a run \(checkpoint-3, config\.json, evals\.jsonl, …\)/);
    expect((err as { hint?: string }).hint).toMatch(/--resume .*--overwrite/);
  });

  test("--overwrite deletes the old run's files and only those", async () => {
    const dir = await runLike("overwrite");
    await prepareRunDir(dir, { overwrite: true });
    expect(await readdir(dir)).toEqual(["notes.txt"]);
  });

  test("openResume finds the latest checkpoint; truncateRunLogs drops later rows and a torn line", async () => {
    const dir = await runLike("resume");
    const r = await openResume(dir);
    expect(r.checkpoint?.step).toBe(3);
    expect(r.trainerState).toMatchObject({ global_step: 3, rng_state: [1] });
    await truncateRunLogs(dir, 3, ["after RL"]);
    expect((await readFile(join(dir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l).step)).toEqual([1, 2, 3]);
    expect((await readFile(join(dir, "evals.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l).step)).toEqual([0, 2]);
    await expect(openResume(join(tmp, "missing"))).rejects.toThrow(/not a thinkrl run directory \(config\.json missing\)/);
  });

  test("ignoredOnResume names the settings that differ from the saved config, except the allowed ones", () => {
    const saved = { maxSteps: 5, learningRate: 1e-4, rewardFuncs: ["accuracy", "format"] };
    expect(ignoredOnResume(saved, { maxSteps: 9, learningRate: 1e-3, rewardFuncs: ["accuracy", "format"], beta: undefined }, ["maxSteps"])).toEqual(["learningRate"]);
  });
});
