/**
 * `thinkrl train --model <dir>` on a checkpoint in the layout users bring (Qwen2.5-Instruct: 151,936-token vocabulary,
 * bf16 safetensors, real Qwen tokenizer with its chat template, generation_config.json with two EOS ids), with tiny
 * layers so it runs on the CPU: `scripts/make-random-checkpoint.ts` writes it, the CLI trains one GRPO step whose
 * backward pass runs (zero-std groups kept), and writes a checkpoint that loads again.
 */
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { spawnTsx } from "../helpers/cli.js";

const tmp = await mkdtemp(join(tmpdir(), "thinkrl-real-layout-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** Runs a TypeScript entry point; @returns its exit code and everything it printed. */
async function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await spawnTsx(args).done;
  return { code: r.code, out: r.stdout + r.stderr };
}

test("GRPO on a Qwen2.5-layout checkpoint with the real tokenizer and chat template", async () => {
  const model = join(tmp, "qwen-narrow");
  const made = await run(["scripts/make-random-checkpoint.ts", "--out", model, "--hidden", "32", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--intermediate", "64"]);
  expect(made.code, made.out).toBe(0);
  const out = join(tmp, "run");
  const r = await run([
    "src/cli/main.ts", "train", "--model", model, "--out", out, "--threads", "1",
    "--max-steps", "1", "--prompts-per-step", "1", "--num-generations", "2", "--max-completion-length", "8",
    "--micro-batch-size", "2", "--drop-zero-std-groups", "false", "--num-eval-problems", "1", "--eval-samples", "1",
  ]);
  expect(r.code, r.out).toBe(0);
  const metrics = (await readFile(join(out, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
  expect(metrics).toHaveLength(1);
  expect(metrics[0]!.num_loss_sequences).toBe(2); // both completions went through forward + backward
  expect(metrics[0]!["time/update"]).toBeGreaterThan(0);
  expect(Number.isFinite(metrics[0]!.entropy)).toBe(true);
  expect(metrics[0]!.entropy).toBeGreaterThan(5); // random weights over 151,936 tokens: near-uniform (ln V ≈ 11.9)
  const ckpt = (await readdir(out)).find((d) => d.startsWith("checkpoint-"));
  expect(ckpt).toBeDefined();
  const cfg = JSON.parse(await readFile(join(out, ckpt!, "config.json"), "utf8")) as Record<string, unknown>;
  expect(cfg.vocab_size).toBe(151936);
}, 240_000);
