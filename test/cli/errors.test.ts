/**
 * Bad input fails fast and cleanly: one `error: …` line on stderr, exit code 1, no training started and nothing
 * left in the run directory that a later `--resume` could mistake for progress (metrics, checkpoints).
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, type ExpectStatic, test } from "vitest";
import { ROOT, thinkrl as runThinkrl, type CliResult } from "../helpers/cli.js";

/** A bad input must be reported before any model work; generous for a loaded 2-core machine (≈2–3 s idle). */
const FAST_MS = 15_000;

function thinkrl(args: string[]): Promise<CliResult> {
  return runThinkrl(args, { killAfterMs: 4 * FAST_MS });
}

let tmp: string;
let n = 0;
/** A fresh run directory path (not created). */
const outDir = () => join(tmp, `run-${n++}`);

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-cli-errors-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Writes `files` into a new directory under the temp dir and returns its path. */
async function dirWith(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
  return dir;
}

const tinyLlamaConfig = () => readFile(join(ROOT, "test/fixtures/hf/tiny-llama/config.json"), "utf8");

/** Runs `train` with `args --out <fresh dir>` and checks the failure contract; returns the result. */
async function expectTrainError(expect: ExpectStatic, args: string[], message: RegExp): Promise<CliResult> {
  const out = outDir();
  const r = await thinkrl(["train", ...args, "--out", out]);
  const errorLines = r.stderr.split("\n").filter((l) => /^error:/.test(l));
  expect(r.code, `stderr: ${r.stderr}`).toBe(1);
  expect(errorLines, `stderr: ${r.stderr}`).toHaveLength(1);
  expect(errorLines[0]).toMatch(message);
  expect(r.stderr, "no stack trace without --debug").not.toMatch(/^\s+at /m);
  expect(r.ms).toBeLessThan(FAST_MS);
  // The run directory may hold the resolved config.json at most: no metrics, samples, summary or checkpoints.
  const left = await readdir(out).catch(() => [] as string[]);
  expect(left.filter((f) => f !== "config.json")).toEqual([]);
  return r;
}

describe.concurrent("thinkrl train rejects bad input with one error line and exit code 1", () => {
  test("unknown flag (commander's own usage error, its suggestion on the same line)", async ({ expect }) => {
    const r = await expectTrainError(expect, ["--max-stpes", "3"], /^error: unknown option '--max-stpes' \(did you mean --max-steps\?\)$/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("a flag that expects a number", async ({ expect }) => {
    await expectTrainError(expect, ["--max-steps", "abc"], /--max-steps expects a number \(got "abc"\)/);
  });

  test("a flag that expects a boolean", async ({ expect }) => {
    await expectTrainError(expect, ["--drop-zero-std-groups", "yes"], /--drop-zero-std-groups expects true or false/);
  });

  test("malformed --config JSON", async ({ expect }) => {
    const dir = await dirWith("bad-json-config", { "c.json": "{ num_generations: 4" });
    await expectTrainError(expect, ["--config", join(dir, "c.json")], /c\.json: invalid JSON config/);
  });

  test("--config that is not an object", async ({ expect }) => {
    const dir = await dirWith("array-config", { "c.json": "[1, 2]" });
    await expectTrainError(expect, ["--config", join(dir, "c.json")], /c\.json: invalid JSON config/);
  });

  test("missing --config file", async ({ expect }) => {
    await expectTrainError(expect, ["--config", join(tmp, "nope.json")], /cannot read config file .*nope\.json/);
  });

  test("unknown key in a config file", async ({ expect }) => {
    const dir = await dirWith("unknown-key-config", { "c.json": JSON.stringify({ num_generations: 4, num_generationz: 4 }) });
    await expectTrainError(expect, ["--config", join(dir, "c.json")], /unknown config key "num_generationz"/);
  });

  test("--model that does not exist", async ({ expect }) => {
    await expectTrainError(expect, ["--model", "/nonexistent"], /\/nonexistent does not exist/);
  });

  test("--model whose config.json is not JSON", async ({ expect }) => {
    const dir = await dirWith("model-bad-config", { "config.json": "{ not json" });
    await expectTrainError(expect, ["--model", dir], /config\.json is not valid JSON/);
  });

  test("--model with an unsupported model_type", async ({ expect }) => {
    const cfg = JSON.parse(await tinyLlamaConfig()) as Record<string, unknown>;
    const dir = await dirWith("model-gpt2", { "config.json": JSON.stringify({ ...cfg, model_type: "gpt2" }) });
    await expectTrainError(expect, ["--model", dir], /model_type.*"gpt2" is not supported/);
  });

  test("--model with a config but no weights", async ({ expect }) => {
    const dir = await dirWith("model-no-weights", { "config.json": await tinyLlamaConfig() });
    await expectTrainError(expect, ["--model", dir], /no model\.safetensors/);
  });

  test("a dataset file with a bad row names file:line", async ({ expect }) => {
    const rows = [JSON.stringify({ prompt: "1+1", answer: "2" }), JSON.stringify({ prompt: "2+2", answer: "4" }), JSON.stringify({ answer: "6" })];
    const dir = await dirWith("bad-dataset", { "bad.jsonl": rows.join("\n") + "\n" });
    await expectTrainError(expect, ["--dataset", join(dir, "bad.jsonl")], /bad\.jsonl:3: row needs a 'prompt' string, a 'messages' array or a 'question' string/);
  });

  test("a dataset file with invalid JSON names file:line", async ({ expect }) => {
    const dir = await dirWith("bad-json-dataset", { "bad.jsonl": `${JSON.stringify({ prompt: "1+1" })}\n{"prompt": \n` });
    await expectTrainError(expect, ["--dataset", join(dir, "bad.jsonl")], /bad\.jsonl:2: invalid JSON/);
  });

  test("an unknown dataset name", async ({ expect }) => {
    await expectTrainError(expect, ["--dataset", "gsm9k"], /unknown dataset "gsm9k"/);
  });

  test("a cross-field rule (fewer than 2 generations)", async ({ expect }) => {
    await expectTrainError(expect, ["--num-generations", "1"], /numGenerations \(--num-generations\) must be an integer ≥ 2 \(got 1\)/);
  });

  test("rewardWeights that do not match rewardFuncs", async ({ expect }) => {
    await expectTrainError(expect, ["--reward-weights", "1"], /rewardWeights \(--reward-weights\) must list one number per reward function/);
  });

  test("--resume of a directory that is not a run", async ({ expect }) => {
    await expectTrainError(expect, ["--resume", join(tmp, "not-a-run")], /not a thinkrl run directory/);
  });

  test("--out holding another run is refused (never mixed); --resume below the checkpoint's step is refused and other flags are named as ignored", async ({ expect }) => {
    const run = await dirWith("existing-run", { "config.json": JSON.stringify({ maxSteps: 5 }), "metrics.jsonl": '{"step":1}\n' });
    await mkdir(join(run, "checkpoint-3"));
    await writeFile(join(run, "checkpoint-3", "trainer_state.json"), JSON.stringify({ global_step: 3 }));
    const [mixed, below] = await Promise.all([
      thinkrl(["train", "--out", run, "--max-steps", "2"]),
      thinkrl(["train", "--resume", run, "--max-steps", "2", "--learning-rate", "0.1"]),
    ]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr.split("\n").filter((l) => l.startsWith("error:"))).toEqual([expect.stringMatching(/already holds a run/)]);
    expect(mixed.stderr).toMatch(/--resume .* --overwrite/);
    expect(await readFile(join(run, "metrics.jsonl"), "utf8")).toBe('{"step":1}\n');
    expect(below.code).toBe(1);
    expect(below.stdout).toMatch(/ignored: --learning-rate/);
    expect(below.stderr.split("\n").filter((l) => l.startsWith("error:"))).toEqual([expect.stringMatching(/--max-steps 2 is below the step the run's checkpoint is at \(3\)/)]);
    expect(await readFile(join(run, "config.json"), "utf8")).toBe(JSON.stringify({ maxSteps: 5 }));
  });

  test("--debug adds the stack trace", async ({ expect }) => {
    const r = await thinkrl(["train", "--num-generations", "1", "--out", outDir(), "--debug"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: numGenerations/m);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});

describe.concurrent("other commands", () => {
  test("generate --model /nonexistent", async ({ expect }) => {
    const r = await thinkrl(["generate", "--model", "/nonexistent", "--prompt", "1+1"]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("error:"))).toEqual([expect.stringMatching(/\/nonexistent does not exist/)]);
  });

  test("generate: a prompt the embedded vocabulary cannot spell, and a negative temperature", async ({ expect }) => {
    const text = await thinkrl(["generate", "--prompt", "What is 2+2?"]);
    expect(text.code).toBe(1);
    expect(text.stderr.split("\n").filter((l) => l.startsWith("error:"))).toEqual([expect.stringMatching(/cannot encode/)]);
    const temp = await thinkrl(["generate", "--prompt", "2+2", "--temperature", "-1"]);
    expect(temp.code).toBe(1);
    expect(temp.stderr.split("\n").filter((l) => l.startsWith("error:"))).toEqual([expect.stringMatching(/--temperature must be ≥ 0/)]);
  });

  test("an unknown command: one line with a suggestion, exit 1 — with --help too", async ({ expect }) => {
    for (const args of [["trian"], ["trian", "--help"], ["--device", "wasm", "trian", "-h"]]) {
      const r = await thinkrl(args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stdout, "no main help").toBe("");
      expect(r.stderr.trim()).toBe("error: unknown command 'trian' (did you mean train?)");
    }
    const far = await thinkrl(["xyzzy"]);
    expect(far.code).toBe(1);
    expect(far.stderr.trim()).toMatch(/^error: unknown command 'xyzzy' \(commands: train, generate, sample, sft, eval, export, svf, filter-hackable, merge, pairs, dpo, adapt, pipeline, dashboard, web, verify\)$/);
  });

  test("a bad number names the flag the user typed (eval, sample, sft)", async ({ expect }) => {
    for (const [cmd, flag] of [["eval", "--eval-samples"], ["eval", "--temperature"], ["eval", "--top-p"], ["eval", "--max-new-tokens"], ["sample", "--num-samples"], ["sft", "--batch-size"]] as const) {
      const r = await thinkrl([cmd, flag, "abc"]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`error: ${flag} expects a number (got "abc")`);
    }
  });

  test("a number list with a non-number, and --resume with --overwrite (sft, dpo), fail in one line", async ({ expect }) => {
    const [m, ...both] = await Promise.all([
      thinkrl(["merge", "--models", "a,b", "--weights", "3,x", "--out", outDir()]),
      ...["sft", "dpo"].map((cmd) => thinkrl([cmd, "--resume", outDir(), "--overwrite"])),
    ]);
    expect(m!.code).toBe(1);
    expect(m!.stderr.trim()).toBe('error: --weights expects comma-separated numbers (got "x" in "3,x")');
    for (const r of both) {
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe("error: --resume continues the run and --overwrite deletes it: pass one of them");
    }
  });
});
