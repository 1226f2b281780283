/**
 * `thinkrl pipeline`: recipe parsing and validation, then tiny end-to-end runs on the embedded model — outputs wired
 * from stage to stage, finished stages skipped, an interrupted stage resumed, and r1-distill's shape (teacher
 * endpoint → sample → SFT → eval) against the local OpenAI-compatible test server.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import { CheckpointError, ConfigError } from "../../src/core/errors.js";
import { parseRecipe } from "../../src/pipeline/recipe.js";
import { startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";

await initEngine("wasm");
const { runRecipe, DONE_FILE, PipelineInterrupted } = await import("../../src/pipeline/run-recipe.js");

const ROOT = join(import.meta.dirname, "../..");
const quiet = { info: () => {}, progress: () => {} };

const stage = (name: string, type: string, w: string) => `  - name: ${name}\n    type: ${type}\n    with: ${w}\n`;
const recipe = (stages: string, out = "runs/x") => `name: t\nout: ${out}\nstages:\n${stages}`;

describe("recipe parsing and validation", () => {
  test("snake_case and camelCase keys, env references, comma lists", () => {
    const r = parseRecipe(
      recipe(stage("a", "grpo", "{ max_steps: 3, rewardFuncs: 'accuracy,format', reward_weights: '1,0.1' }") + stage("b", "eval", "{ model: '${stages.a.model}', prompt_format: compact }"), "${env.ROOT}/r"),
      { env: { ROOT: "/tmp/q" } },
    );
    expect(r.out).toBe("/tmp/q/r");
    expect(r.stages[0]!.with).toEqual({ maxSteps: 3, rewardFuncs: ["accuracy", "format"], rewardWeights: [1, 0.1] });
    expect(r.stages[1]!.with).toEqual({ model: "${stages.a.model}", format: "compact" });
  });

  const bad: [string, string, RegExp][] = [
    ["unknown stage type", recipe(stage("a", "ppo", "{}")), /stage "a": unknown type "ppo"/],
    ["merge of one model", recipe(stage("a", "merge", "{ models: a }")), /stage "a" \(merge\): models must list at least two/],
    ["dpo with a bad beta", recipe(stage("a", "dpo", "{ dataset: p.jsonl, beta: -1 }")), /stage "a" \(dpo\): beta \(--beta\) must be a number > 0/],
    ["unknown key", recipe(stage("a", "sft", "{ dataset: d.jsonl, epoch: 2 }")), /stage "a" \(sft\), key "epoch": unknown option/],
    ["pipeline-owned key", recipe(stage("a", "grpo", "{ output_dir: x }")), /key "output_dir": set by the pipeline/],
    ["reference to a later stage", recipe(stage("a", "eval", "{ model: '${stages.b.model}' }") + stage("b", "sft", "{ dataset: d.jsonl }")), /stage "a" \(eval\), key "model": cannot resolve \$\{stages.b.model\}: no earlier stage "b"/],
    ["missing export", recipe(stage("a", "eval", "{}") + stage("b", "sft", "{ dataset: '${stages.a.output}' }")), /key "dataset": cannot resolve \$\{stages.a.output\}: a eval stage exports summary, dir/],
    ["malformed reference", recipe(stage("a", "eval", "{ model: '${a.model}' }")), /cannot resolve \$\{a.model\}/],
    ["unset environment variable", recipe(stage("a", "sample", "{ dataset: arithmetic, endpoint: '${env.NOPE_URL}', endpoint_model: m }")), /stage "a" \(sample\), key "endpoint": cannot resolve \$\{env.NOPE_URL\}: environment variable NOPE_URL is not set/],
    ["bad grpo value", recipe(stage("a", "grpo", "{ num_generations: 1 }")), /stage "a" \(grpo\): numGenerations \(--num-generations\) must be an integer ≥ 2/],
    ["bad sample value", recipe(stage("a", "sample", "{ dataset: arithmetic, num_samples: 0 }")), /stage "a" \(sample\): sample: numSamples must be an integer ≥ 1 \(got 0\)/],
    ["bad eval value", recipe(stage("a", "eval", "{ eval_samples: 2.5 }")), /stage "a" \(eval\): eval: evalSamples \(--eval-samples\) must be an integer ≥ 1 \(got 2.5\)/],
    ["two completion budgets", recipe(stage("a", "eval", "{ max_tokens: 8, max_new_tokens: 8 }")), /give one of --max-completion-length, --max-new-tokens, --max-tokens/],
    ["bad sft value", recipe(stage("a", "sft", "{ dataset: d.jsonl, epochs: 0 }")), /stage "a" \(sft\): epochs \(--epochs\) must be an integer ≥ 1/],
    ["duplicate stage", recipe(stage("a", "eval", "{}") + stage("a", "eval", "{}")), /stage name "a" is used twice/],
    ["no stages", "name: t\nout: x\nstages: []\n", /"stages" must be a non-empty list/],
    ["invalid YAML", "name: t\nout: [x\n", /invalid YAML/],
    ["table cell naming no earlier stage", recipe(stage("a", "eval", "{}") + stage("t", "table", "{ columns: [x], rows: { base: [nope] } }")), /stage "t" \(table\): cell "nope" names no earlier stage/],
    ["table row of the wrong width", recipe(stage("a", "eval", "{}") + stage("t", "table", "{ columns: [x, y], rows: { base: [a] } }")), /row "base" must list 2 cells/],
    ["adapt without experts", recipe(stage("a", "adapt", "{ strategy: cem, dataset: arithmetic }")), /stage "a" \(adapt\): adapt: --experts needs at least one SVF expert file/],
  ];
  test.each(bad)("%s → ConfigError", (_, text, msg) => {
    expect(() => parseRecipe(text, { env: {} })).toThrow(ConfigError);
    expect(() => parseRecipe(text, { env: {} })).toThrow(msg);
  });

  test("the shipped recipes parse (r1-distill with its environment set)", async () => {
    const r1 = parseRecipe(await readFile(join(ROOT, "recipes/r1.yaml"), "utf8"), { env: {} });
    expect(r1.stages.map((s) => s.type)).toEqual(["sft", "eval", "grpo", "eval", "sample", "sft", "eval", "grpo", "eval"]);
    expect(r1.stages.filter((s) => s.type === "eval").every((s) => s.with.dataset === "arithmetic" && s.with.numEvalProblems === undefined)).toBe(true);
    const env = { TEACHER_URL: "http://t/v1", TEACHER_MODEL: "m", STUDENT_MODEL: "s", DISTILL_DATASET: "a.jsonl", EVAL_DATASET: "b.jsonl" };
    const distill = await readFile(join(ROOT, "recipes/r1-distill.yaml"), "utf8");
    expect(parseRecipe(distill, { env }).stages.map((s) => s.type)).toEqual(["sample", "sft", "eval"]);
    expect(() => parseRecipe(distill, { env: {} })).toThrow(/TEACHER_URL is not set/);
  });
});

describe("running recipes (embedded model, tiny sizes)", () => {
  let dir: string;
  let server: OpenAIServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "thinkrl-pipeline-"));
    // A teacher that solves arithmetic in the embedded model's compact format (its vocabulary has no letters).
    server = await startOpenAIServer({
      respond: ({ prompt }) => {
        const m = /^(\d+)([+*-])(\d+)$/.exec(prompt.trim());
        if (!m) return { content: "<think></think><answer>0</answer>" };
        const [a, b] = [Number(m[1]), Number(m[3])];
        const v = m[2] === "+" ? a + b : m[2] === "-" ? a - b : a * b;
        return { content: `<think>${prompt.trim()}=${v}</think><answer>${v}</answer>` };
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("sft → grpo → sample → eval wire their outputs; a rerun skips every stage", async () => {
    const out = join(dir, "e2e");
    const r = parseRecipe(
      recipe(
        stage("cold", "sft", "{ dataset: arithmetic, num_examples: 16, batch_size: 8, micro_batch_size: 8, learning_rate: 1.0e-3, eval_split: 0, save_steps: 1 }") +
          stage("rl", "grpo", "{ model: '${stages.cold.model}', prompt_format: compact, max_steps: 2, prompts_per_step: 2, num_generations: 2, max_completion_length: 32, num_eval_problems: 4, eval_samples: 1, save_steps: 1 }") +
          stage("rs", "sample", "{ model: '${stages.rl.model}', format: compact, dataset: arithmetic, num_prompts: 4, num_samples: 2, keep: best-of-n, max_tokens: 32 }") +
          stage("rs_sft", "sft", "{ model: '${stages.rl.model}', prompt_format: compact, dataset: '${stages.rs.output}', batch_size: 4, micro_batch_size: 4, eval_split: 0 }") +
          stage("score", "eval", "{ model: '${stages.rs_sft.model}', format: compact, dataset: arithmetic, num_eval_problems: 4, eval_samples: 1, max_new_tokens: 32 }"),
        out,
      ),
    );
    const s = await runRecipe(r, { log: quiet, inProcess: true });
    expect(s.stages.map((x) => x.status)).toEqual(["ran", "ran", "ran", "ran", "ran"]);
    expect(s.stages[0]!.outputs.model).toBe(join(out, "cold", "final"));
    expect(s.stages[1]!.outputs.model).toBe(join(out, "rl", "checkpoint-2"));
    expect(JSON.parse(await readFile(join(out, "rl", "config.json"), "utf8")).model).toBe(join(out, "cold", "final"));
    const rows = (await readFile(join(out, "rs", "samples.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(4);
    expect(rows[0].provenance.model).toBe(join(out, "rl", "checkpoint-2"));
    expect(JSON.parse(await readFile(join(out, "rs_sft", "config.json"), "utf8")).dataset).toBe(join(out, "rs", "samples.jsonl"));
    expect(s.stages[1]!.metrics["before/pass@1"]).toBeGreaterThanOrEqual(0);
    for (const k of [1, 4]) {
      expect(s.stages[k]!.metrics["pass@1"]).toBeGreaterThanOrEqual(0);
      expect(s.stages[k]!.metrics.format_rate).toBeGreaterThanOrEqual(0);
    }
    const onDisk = JSON.parse(await readFile(join(out, "pipeline-summary.json"), "utf8"));
    expect(onDisk.stages.map((x: { stage: string }) => x.stage)).toEqual(["cold", "rl", "rs", "rs_sft", "score"]);

    const again = await runRecipe(r, { log: quiet, inProcess: true });
    expect(again.stages.map((x) => x.status)).toEqual(["skipped", "skipped", "skipped", "skipped", "skipped"]);
    expect(again.stages.map((x) => x.metrics)).toEqual(s.stages.map((x) => x.metrics));

    // Changing a finished stage's options is refused rather than silently skipped.
    const changed = parseRecipe(recipe(stage("cold", "sft", "{ dataset: arithmetic, num_examples: 32, batch_size: 8 }"), out));
    await expect(runRecipe(changed, { log: quiet, inProcess: true })).rejects.toThrow(/stage cold: its options changed/);
  }, 120_000);

  test("long2short stages: sample --keep all → pairs → dpo, and merge, wire their outputs", async () => {
    const out = join(dir, "l2s");
    const model = join(ROOT, "assets/default-model");
    const r = parseRecipe(
      recipe(
        stage("all", "sample", "{ format: compact, dataset: arithmetic, num_prompts: 16, num_samples: 8, keep: all, temperature: 1, max_tokens: 48 }") +
          stage("pairs", "pairs", "{ samples: '${stages.all.output}' }") +
          stage("dpo", "dpo", "{ dataset: '${stages.pairs.output}', format: compact, batch_size: 4, micro_batch_size: 4, epochs: 1, eval_split: 0, learning_rate: 1.0e-4 }") +
          stage("merged", "merge", `{ models: '${model},\${stages.dpo.model}', weights: '1,1' }`),
        out,
      ),
    );
    const s = await runRecipe(r, { log: quiet, inProcess: true });
    expect(s.stages.map((x) => x.status)).toEqual(["ran", "ran", "ran", "ran"]);
    expect(s.stages[1]!.metrics.pairs).toBeGreaterThan(0);
    expect(s.stages[2]!.outputs.model).toBe(join(out, "dpo", "final"));
    expect(s.stages[3]!.outputs.model).toBe(join(out, "merged", "model"));
    expect(existsSync(join(out, "merged", "model", "tokenizer.json"))).toBe(true);
  }, 120_000);

  test("a table stage lays out earlier stages' metrics (default pass@1, or stage:key) and writes table.md", async () => {
    const out = join(dir, "table");
    const ev = "{ format: compact, dataset: arithmetic, num_eval_problems: 4, eval_samples: 1, max_new_tokens: 32 }";
    const r = parseRecipe(recipe(stage("e1", "eval", ev) + stage("e2", "eval", ev.replace("eval_samples: 1", "eval_samples: 2")) +
      stage("t", "table", "{ title: Mini, columns: [pass@1, format, n], rows: { first: [e1, 'e1:format_rate', ''], second: [e2, 'e2:format_rate', 'e2:nope'] } }"), out));
    const s = await runRecipe(r, { log: quiet, inProcess: true });
    const pct = (x: number | undefined) => `${(100 * x!).toFixed(1)}%`;
    const [m1, m2] = [s.stages[0]!.metrics, s.stages[1]!.metrics];
    const text = await readFile(join(out, "t", "table.md"), "utf8");
    expect(text).toBe(`Mini\n\n| | pass@1 | format | n |\n|---|---:|---:|---:|\n| first | ${pct(m1["pass@1"])} | ${pct(m1.format_rate)} |  |\n| second | ${pct(m2["pass@1"])} | ${pct(m2.format_rate)} | — |\n`);
    expect(s.stages[2]!.outputs.table).toBe(join(out, "t", "table.md"));
  }, 60_000);

  // The default: each stage in its own child process with a fresh engine. Its log lines stream back (the abort below
  // is triggered by one), the signal is relayed to it, and its StageRun and errors cross back intact.
  test("in child processes: an interrupted SFT stage resumes from its checkpoint; a stage's error keeps its class and message", async () => {
    const out = join(dir, "interrupt");
    const r = parseRecipe(recipe(stage("cold", "sft", "{ dataset: arithmetic, num_examples: 32, batch_size: 8, micro_batch_size: 8, eval_split: 0, save_steps: 1, learning_rate: 1.0e-3 }"), out));
    const stop = new AbortController();
    const lines: string[] = [];
    const log = { info: (m: string) => void lines.push(m), progress: (m: string) => void (m.startsWith("step 2/") && stop.abort()) };
    await expect(runRecipe(r, { log, signal: stop.signal })).rejects.toBeInstanceOf(PipelineInterrupted);
    expect(lines).toContain(`saved ${join(out, "cold", "checkpoint-2")}`);
    expect(existsSync(join(out, "cold", "checkpoint-2"))).toBe(true);
    expect(existsSync(join(out, "cold", DONE_FILE))).toBe(false);
    const s = await runRecipe(r, { log: quiet });
    expect(s.stages[0]!.status).toBe("resumed");
    expect(s.stages[0]!.outputs.model).toBe(join(out, "cold", "final"));
    expect(s.stages[0]!.metrics.steps).toBe(4);
    const steps = (await readFile(join(out, "cold", "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l).step);
    expect(steps).toEqual([1, 2, 3, 4]);

    const bad = parseRecipe(recipe(stage("score", "eval", "{ model: /nonexistent/model, format: compact, dataset: arithmetic, num_eval_problems: 4 }"), join(dir, "bad")));
    const err = await runRecipe(bad, { log: quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/^checkpoint directory \/nonexistent\/model does not exist$/);
  }, 90_000);

  test("r1-distill shape: teacher endpoint → sample (verifier-correct only) → SFT → eval", async () => {
    const out = join(dir, "distill");
    const text = recipe(
      stage("teacher", "sample", "{ endpoint: '${env.TEACHER_URL}', endpoint_model: '${env.TEACHER_MODEL}', dataset: arithmetic, num_prompts: 8, num_samples: 2, keep: all-correct, max_tokens: 64 }") +
        stage("distill", "sft", "{ dataset: '${stages.teacher.output}', batch_size: 8, micro_batch_size: 8, eval_split: 0, learning_rate: 1.0e-3 }") +
        stage("student", "eval", "{ model: '${stages.distill.model}', format: compact, dataset: arithmetic, num_eval_problems: 4, eval_samples: 1, max_new_tokens: 32 }"),
      out,
    );
    const s = await runRecipe(parseRecipe(text, { env: { TEACHER_URL: server.url, TEACHER_MODEL: "teacher" } }), { log: quiet, inProcess: true });
    const rows = (await readFile(join(out, "teacher", "samples.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(16);
    expect(rows.every((r) => r.rewards.accuracy === 1 && r.provenance.model === "teacher")).toBe(true);
    expect(s.stages[1]!.metrics.steps).toBe(2);
    expect(s.stages[2]!.metrics["pass@1"]).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(out, "student", "results.jsonl"))).toBe(true);
  }, 60_000);
});
