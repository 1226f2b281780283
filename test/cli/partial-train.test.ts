/**
 * `thinkrl train --rollout-token-budget N` (Kimi k1.5 §2.6.2 partial rollouts) from the command line, with
 * `--objective grpo` on the embedded default model (arithmetic) and `--objective omd` on the embedded long-tail model
 * (`--dataset multiplication`): 2 iterations each, a budget small enough that trajectories are cut and continued in
 * the second iteration; the run writes the partial-rollout metrics and saves the buffer with its checkpoint.
 */
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { thinkrl } from "../helpers/cli.js";

const tmp = await mkdtemp(join(tmpdir(), "thinkrl-partial-cli-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const common = ["--max-steps", "2", "--prompts-per-step", "2", "--num-generations", "2", "--micro-batch-size", "4", "--threads", "1",
  "--num-eval-problems", "1", "--eval-samples", "1", "--rollout-token-budget", "8", "--save-steps", "2"];

test("train --rollout-token-budget runs with --objective grpo and --objective omd on the embedded models", async () => {
  const grpo = join(tmp, "grpo");
  const omd = join(tmp, "omd");
  const [g, o] = await Promise.all([
    thinkrl(["train", "--objective", "grpo", "--rollout-prefix-bucket", "16", "--out", grpo, ...common]),
    thinkrl(["train", "--objective", "omd", "--dataset", "multiplication", "--max-completion-length", "48", "--out", omd, ...common]),
  ]);
  for (const [r, dir] of [[g, grpo], [o, omd]] as const) {
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const metrics = (await readFile(join(dir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    expect(metrics).toHaveLength(2);
    // 4 slots × at most 8 tokens each per iteration; every answer is longer than 8 tokens, so iteration 1 scores nothing
    // and iteration 2 continues the cut trajectories.
    for (const m of metrics) expect(m["partial/tokens_generated"]).toBeLessThanOrEqual(4 * 8);
    expect(metrics[0]!["partial/groups_scored"]).toBe(0);
    expect(metrics[1]!["partial/continued_slots"]).toBe(4);
    const ckpt = (await readdir(dir)).find((d) => d.startsWith("checkpoint-"));
    expect(ckpt).toBeDefined();
    const state = JSON.parse(await readFile(join(dir, ckpt!, "trainer_state.json"), "utf8")) as Record<string, unknown>;
    expect(state.partial_rollouts).toBeDefined();
  }
}, 120_000);
