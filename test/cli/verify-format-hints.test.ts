/**
 * CLI details: `thinkrl verify` exits as diff/cmp (0 equivalent, 1 not, 2 bad input); `--format chat` is accepted
 * where a local model can apply it and refused for endpoints; a run directory passed as `--model` fails with a hint
 * naming its final/ (or latest checkpoint) model.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT, thinkrl } from "../helpers/cli.js";
import { runDirHint } from "../../src/pipeline/samplers.js";

const TINY = join(ROOT, "test/fixtures/hf/tiny-qwen2");


let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-cli-hints-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A run directory: its own config.json (run settings) and the given model sub-directories. */
async function runDir(name: string, models: string[]): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.json"), JSON.stringify({ maxSteps: 4, dataset: "arithmetic" }));
  for (const m of models) await cp(TINY, join(dir, m), { recursive: true });
  return dir;
}

describe("thinkrl verify exit status", () => {
  test.each([
    [["1/2", "so the answer is \\boxed{0.5}"], 0, /verdict: +correct/],
    [["1/2", "so the answer is \\boxed{3}"], 1, /verdict: +incorrect/],
    [["1/2", "no answer here"], 1, /extracted: \(none\)/],
    [["", "\\boxed{1}"], 2, /error: verify: <gold> is empty/],
    [["1/2"], 2, /missing required argument 'text'/],
  ])("verify %j exits %i", async (args, code, out) => {
    const r = await thinkrl(["verify", ...args]);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout + r.stderr).toMatch(out);
  });

  test("help documents the exit status", async () => {
    const r = await thinkrl(["verify", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, " ")).toMatch(/0 equivalent, 1 not equivalent \(or no answer found\), 2 bad input/);
  });
});

describe("run directories given as --model", () => {
  test("the hint names final/, else the latest checkpoint; model directories and other paths get none", async () => {
    const withFinal = await runDir("with-final", ["final", "checkpoint-3"]);
    expect(await runDirHint(withFinal)).toBe(`pass --model ${join(withFinal, "final")}`);
    const withCks = await runDir("with-checkpoints", ["checkpoint-2", "checkpoint-10"]);
    expect(await runDirHint(withCks)).toBe(`pass --model ${join(withCks, "checkpoint-10")} (the latest checkpoint)`);
    expect(await runDirHint(TINY)).toBeNull();
    expect(await runDirHint(await runDir("empty-run", []))).toBeNull();
    expect(await runDirHint(join(tmp, "missing"))).toBeNull();
  });

  test("thinkrl eval --model <run dir> fails with the hint", async () => {
    const dir = await runDir("eval-run", ["final"]);
    const r = await thinkrl(["eval", "--model", dir, "--num-eval-problems", "1", "--eval-samples", "1", "--out", join(tmp, "eval-out")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${dir} is a training run directory, not a model directory (hint: pass --model ${join(dir, "final")})`);
  });
});

describe("--format chat", () => {
  test("endpoints refuse it with a one-line error", async () => {
    const r = await thinkrl(["sample", "--dataset", "arithmetic", "--out", join(tmp, "s.jsonl"), "--endpoint", "http://127.0.0.1:9/v1", "--endpoint-model", "m", "--format", "chat"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: --format chat needs a local model \(--model\) with a chat template \(hint: .*--endpoint-api chat/);
  });

  test("train and sft accept it, and refuse a model without a chat template before writing a run", async () => {
    const out = join(tmp, "train-chat");
    const t = await thinkrl(["train", "--prompt-format", "chat", "--out", out, "--max-steps", "1"]);
    expect(t.code).toBe(1);
    expect(t.stderr.trim()).toMatch(/^error: promptFormat chat needs a model with a chat template/);
    const bad = await thinkrl(["train", "--prompt-format", "chatml", "--out", out]);
    expect(bad.stderr.trim()).toMatch(/^error: promptFormat \(--prompt-format\) must be one of r1-zero, compact, chat \(got "chatml"\)/);
    const data = join(tmp, "sft.jsonl");
    await writeFile(data, JSON.stringify({ prompt: "1+2", completion: "3" }) + "\n");
    const s = await thinkrl(["sft", "--dataset", data, "--format", "chat", "--out", join(tmp, "sft-chat")]);
    expect(s.code).toBe(1);
    expect(s.stderr.trim()).toMatch(/^error: the chat prompt format needs a chat template/);
  });
});
