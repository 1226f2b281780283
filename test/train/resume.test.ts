/**
 * Resumable runs: a run killed with SIGKILL and continued with `--resume` logs the same metrics as a run that was
 * never interrupted (model, AdamW moments, sampling RNG and data cursor all restored); checkpoints hold every file
 * that needs.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnTsx } from "../helpers/cli.js";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { numpy: np, tree } = await import("@jax-js/jax");
const { defaultModelConfig, defaultTokenizerJson } = await import("../../src/model/default.js");
const { initTensors, paramsFromTensors } = await import("../../src/model/params.js");
const { defaultModelDir } = await import("../../src/model/load.js");
const { loadTokenizer } = await import("../../src/model/tokenizer.js");
const { CausalLM } = await import("../../src/model/causal-lm.js");
const { Rng } = await import("../../src/core/rng.js");
const { adamwInit } = await import("../../src/train/optim.js");
const { listCheckpoints, loadOptimizerState, readTrainerState, saveRunCheckpoint } = await import("../../src/train/state.js");


/**
 * A short run that really updates the model: the embedded model's shipped cold-start checkpoint (≈23% held-out
 * pass@1, ≈100% format), so most groups have reward variance, and lr 1e-3 without warm-up makes every GRPO step move
 * the weights and the optimizer state.
 */
const runFlags = (modelDir: string) => [
  ...["--model", modelDir, "--prompt-format", "compact", "--max-completion-length", "32"],
  ...["--max-steps", "4", "--prompts-per-step", "4", "--num-generations", "4", "--learning-rate", "1e-3", "--warmup-steps", "0"],
  ...["--num-eval-problems", "8", "--eval-samples", "1", "--save-steps", "1", "--save-total-limit", "0"],
];

/** Wall-clock metrics differ between any two runs. */
const isTiming = (k: string) => k === "step_seconds" || k === "tokens_per_second" || k.startsWith("time/");

function spawnCli(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> } {
  const { child, done } = spawnTsx(["src/cli/main.ts", ...args]);
  return { child, done: done.then((r) => ({ code: r.code, signal: r.signal, output: r.stdout + r.stderr })) };
}

async function metricRows(runDir: string): Promise<Record<string, number>[]> {
  const text = await readFile(join(runDir, "metrics.jsonl"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, number>);
}

/** Names under `dir` (recursively) matching the atomic-save temporaries `*.tmp-*` / `*.old-*`. */
async function leftovers(dir: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true });
  return names.filter((n) => /\.(tmp|old)-/.test(n));
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-resume-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/**
 * Runs A (uninterrupted) and B (SIGKILLed once it has logged step 2 and written checkpoint-2, then resumed) side by
 * side with the same flags, and checks that B's metrics equal A's.
 */
async function killAndResume(name: string, flags: string[]): Promise<void> {
  const dirA = join(tmp, `${name}-A`);
  const dirB = join(tmp, `${name}-B`);
  const a = spawnCli(["train", ...flags, "--out", dirA]);
  const b = spawnCli(["train", ...flags, "--out", dirB]);
  let killedAfter = -1;
  const bExit = (async () => {
    let exited = false;
    void b.done.then(() => (exited = true));
    while (!exited) {
      const rows = await metricRows(dirB);
      if (rows.length >= 2 && existsSync(join(dirB, "checkpoint-2"))) {
        killedAfter = rows.length;
        b.child.kill("SIGKILL");
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return b.done;
  })();
  const [ra, rb] = await Promise.all([a.done, bExit]);
  expect(ra.code, ra.output).toBe(0);
  expect(rb.signal, `B was not killed mid-run (rows at kill: ${killedAfter})\n${rb.output}`).toBe("SIGKILL");
  expect(killedAfter).toBeLessThan(4);
  expect(existsSync(join(dirB, "summary.json"))).toBe(false);

  const r = await spawnCli(["train", "--resume", dirB]).done;
  expect(r.code, r.output).toBe(0);
  expect(r.output).toMatch(/resuming .* from .*checkpoint-\d/);

  const rowsA = await metricRows(dirA);
  const rowsB = await metricRows(dirB);
  expect(rowsA.map((m) => m.step)).toEqual([1, 2, 3, 4]);
  expect(rowsB.map((m) => m.step)).toEqual([1, 2, 3, 4]);
  // The run must have learned something for the comparison to cover weights and optimizer state.
  expect(rowsA.some((m) => m.num_loss_sequences! > 0 && m.grad_norm! > 0)).toBe(true);
  for (let i = 0; i < 4; i++) {
    const keys = Object.keys(rowsA[i]!).filter((k) => !isTiming(k));
    expect(Object.keys(rowsB[i]!).filter((k) => !isTiming(k)).sort()).toEqual([...keys].sort());
    for (const k of keys) {
      const va = rowsA[i]![k]!;
      const vb = rowsB[i]![k]!;
      expect(Math.abs(va - vb), `${name} step ${i + 1} ${k}: uninterrupted ${va}, resumed ${vb}`).toBeLessThanOrEqual(1e-6);
    }
  }
  expect((await listCheckpoints(dirB)).map((c) => c.step)).toEqual([1, 2, 3, 4]);
  expect(existsSync(join(dirB, "summary.json"))).toBe(true);
}

describe("train --resume", () => {
  test("after SIGKILL reproduces the uninterrupted run's metrics (GRPO; Kimi OMD with prioritized sampling on a pool)", async () => {
    const flags = runFlags(defaultModelDir());
    // OMD with two optimizer steps per iteration and no AdamW reset (so the moments must survive the kill), drawing
    // from a 12-problem pool by success rate: the resumed sampler must draw what the saved s_i say.
    const omd = [...flags, "--objective", "omd", "--reset-optimizer", "false", "--steps-per-generation", "2", "--sampling", "prioritized", "--train-pool", "12"];
    await Promise.all([killAndResume("grpo", flags), killAndResume("omd", omd)]);
    const rows = await metricRows(join(tmp, "omd-B"));
    expect(rows.at(-1)!["sampling/pool_visited"]).toBeGreaterThan(0);
    expect(rows.some((m) => m.optimizer_steps === 2) && rows.every((m) => m.optimizer_steps! <= 2)).toBe(true);
    expect(await leftovers(tmp)).toEqual([]);
  }, 150_000);
});

describe("run checkpoints", () => {
  test("checkpoint-N holds the model, tokenizer, optimizer and trainer state", async () => {
    const mc = { ...defaultModelConfig(), hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: 1, headDim: 8 };
    const model = new CausalLM(mc, paramsFromTensors(mc, initTensors(mc, new Rng(0))), loadTokenizer(defaultTokenizerJson()));
    const opt = adamwInit(model.params as never);
    opt.count.dispose();
    opt.count = np.array(new Float32Array([7])).reshape([]);
    const runDir = join(tmp, "unit");
    const rng = new Rng(3);
    rng.next();
    const state = { rng_state: rng.getState(), data_state: { epoch: 1, cursor: 5 }, eval_before: { pass1: 0.25 } };

    const dir = await saveRunCheckpoint(runDir, 3, model, opt, state, 0);
    expect(dir).toBe(join(runDir, "checkpoint-3"));
    expect((await readdir(dir)).sort()).toEqual(
      expect.arrayContaining(["config.json", "model.safetensors", "optimizer.safetensors", "tokenizer.json", "trainer_state.json"]),
    );
    const ts = await readTrainerState(dir);
    expect(ts.global_step).toBe(3);
    expect(ts.rng_state).toEqual(rng.getState());
    expect(ts.data_state).toEqual({ epoch: 1, cursor: 5 });
    expect(ts.eval_before).toEqual({ pass1: 0.25 });
    const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    expect(cfg.model_type).toBe("llama");
    expect(cfg.hidden_size).toBe(16);

    // The optimizer state round-trips (structure of a fresh state, step count restored).
    const back = await loadOptimizerState(dir, adamwInit(model.params as never));
    expect(await back.count.ref.data()).toEqual(new Float32Array([7]));
    expect(tree.leaves(back.mu as never)).toHaveLength(tree.leaves(opt.mu as never).length);

    // save_total_limit keeps the newest checkpoints only.
    await saveRunCheckpoint(runDir, 4, model, opt, state, 0);
    await saveRunCheckpoint(runDir, 5, model, opt, state, 2);
    expect((await listCheckpoints(runDir)).map((c) => c.step)).toEqual([4, 5]);
    expect(await leftovers(runDir)).toEqual([]);
    for (const s of [opt, back]) tree.dispose(s as never);
  });
});
