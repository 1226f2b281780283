/**
 * Partial rollouts (Kimi k1.5 §2.6.2) on the long-tail task: `thinkrl train --dataset multiplication` with and without
 * `--rollout-token-budget`, on each seed, one run after the other in this process. Prints one markdown table: wall
 * time per iteration (and its generation part), tokens generated and groups scored per iteration, held-out pass@1
 * before → after, RL minutes, and held-out accuracy gained per wall-clock minute of RL. Learning comparisons live
 * here and in docs/kimi.md, not in tests.
 *
 *   npx tsx bench/partial.ts [--steps 30] [--seeds 0,1] [--budget 64] [--objective grpo] [--eval-problems 64] [--reuse]
 *     [--prompts 8] [--generations 4] [--out runs/partial] [--eval-steps N] [--prefix-bucket N] [--model DIR]
 *
 * `--prefix-bucket N` adds a third arm: partial rollouts whose re-prefill is padded to N-token buckets
 * (`rolloutPrefixBucket`) instead of one fixed length. `--eval-steps N` also evaluates every N iterations and prints
 * held-out pass@1 against RL minutes (the time of the iterations only; evaluations excluded). Each run also records
 * its process's CPU seconds per iteration (`cpu.jsonl`; the table's last two columns), a measure that depends much
 * less than wall time on the other jobs of a shared machine.
 *
 * Both arms use the same rollout settings (temperature 1, max 336 tokens, the repetition stop at 6 repeats of a
 * 20-token n-gram), micro-batches of 8 rows (long sequences and Wasm's 4 GiB), and evaluate at T 0.6 / top-p 0.95.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "30" },
    seeds: { type: "string", default: "0,1" },
    budget: { type: "string", default: "64" },
    objective: { type: "string", default: "grpo" },
    "eval-problems": { type: "string", default: "64" },
    prompts: { type: "string", default: "8" },
    generations: { type: "string", default: "4" },
    threads: { type: "string" },
    out: { type: "string", default: "runs/partial" },
    "eval-steps": { type: "string", default: "0" },
    "prefix-bucket": { type: "string", default: "0" },
    model: { type: "string" },
    /** Internal: run only this arm (budget) and seed, in this process. */
    only: { type: "string" },
    /** Keep runs whose summary.json exists (a bench stopped midway continues). */
    reuse: { type: "boolean", default: false },
  },
});
await initEngine("wasm", values.threads ? { threads: Number(values.threads) } : undefined);
const { runTrain } = await import("../src/pipeline/r1-zero.js");

const seeds = values.seeds!.split(",").map(Number);
const budget = Number(values.budget);
const prefixBucket = Number(values["prefix-bucket"]);
const arms = [
  { key: "full", name: "all at once", budget: 0, prefixBucket: 0 },
  { key: `budget${budget}`, name: `partial, budget ${budget}`, budget, prefixBucket: 0 },
  ...(prefixBucket > 0 ? [{ key: `budget${budget}-bucket${prefixBucket}`, name: `partial, budget ${budget}, prefix buckets ${prefixBucket}`, budget, prefixBucket }] : []),
];
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);

const dirOf = (arm: string, seed: number) => join(values.out!, `${arm}-seed${seed}`);
if (values.only) {
  // One run in this process: each run gets its own Wasm memory (compiled shapes of earlier runs are never freed, and
  // four 30-iteration runs in one process passed the 4 GiB limit).
  const [armKey, seedText] = values.only.split(",");
  const arm = arms.find((a) => a.key === armKey)!;
  const seed = Number(seedText);
  // CPU seconds of this process (all its threads) per iteration, in <run>/cpu.jsonl: on a shared machine the wall time
  // depends on the other jobs, the CPU time much less. It runs from the end of one step's row to the next; an
  // iteration with an evaluation includes it (the table leaves those out).
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  let mark = cpu();
  const cpuLog: string[] = [];
  const callbacks = [{
    onEvaluate: (e: { step: number }) => { if (e.step === 0) mark = cpu(); },
    onStepEnd: (e: { step: number }) => { const now = cpu(); cpuLog.push(JSON.stringify({ step: e.step, cpu_seconds: now - mark })); mark = now; },
  }];
  await runTrain(
      {
        outputDir: dirOf(arm.key, seed), dataset: "multiplication", seed, ...(values.model ? { model: values.model } : {}), objective: values.objective, maxSteps: Number(values.steps),
        promptsPerStep: Number(values.prompts), numGenerations: Number(values.generations), maxCompletionLength: 336,
        rolloutTokenBudget: arm.budget, rolloutPrefixBucket: arm.prefixBucket, evalSteps: Number(values["eval-steps"]), repetitionStopCount: 6, repetitionStopNgram: 20, microBatchSize: 8,
        numEvalProblems: Number(values["eval-problems"]), evalSamples: 1, saveSteps: 0, logCompletionsSteps: 0,
      },
      { overwrite: true, callbacks, log: { info: (m) => console.log(`[${arm.name} seed ${seed}] ${m}`), progress: () => {} } },
  );
  writeFileSync(join(dirOf(arm.key, seed), "cpu.jsonl"), cpuLog.join("\n") + "\n");
  process.exit(0);
}

const rows: string[] = [];
const curves: string[] = [];
// The two main arms seed by seed (one right after the other, so they see similar machine load), then the prefix-bucket
// arm; the table is in seed, arm order.
const failed = new Map<string, string>();
for (const seed of seeds) for (const arm of arms.slice(0, 2)) run(arm, seed);
if (arms[2]) for (const seed of seeds) run(arms[2], seed);
function run(arm: (typeof arms)[number], seed: number): void {
  if (values.reuse && existsSync(join(dirOf(arm.key, seed), "summary.json"))) return;
  const args = process.argv.slice(2).filter((a) => a !== "--reuse");
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...args, "--only", `${arm.key},${seed}`], { stdio: "inherit" });
  // A failed arm (e.g. out of Wasm memory) is reported in the table; the other runs go on.
  if (r.status !== 0) failed.set(`${arm.key},${seed}`, String(r.status ?? r.signal));
}
for (const seed of seeds) {
  for (const arm of arms) {
    const dir = dirOf(arm.key, seed);
    const fail = failed.get(`${arm.key},${seed}`);
    if (fail !== undefined) {
      rows.push(`| ${arm.name} | ${seed} | failed (exit ${fail}) | | | | | | | | | |`);
      continue;
    }
    const s = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { evalBefore: { metrics: Record<string, number> }; evalAfter: { metrics: Record<string, number> }; seconds: Record<string, number> };
    const m = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    const before = s.evalBefore.metrics["pass@1"]!;
    const after = s.evalAfter.metrics["pass@1"]!;
    // RL minutes: the iterations' own wall time (step_seconds), so evaluations inside the loop are not counted.
    const rlMin = m.reduce((a, r) => a + r.step_seconds!, 0) / 60;
    const tokens = mean(m.map((r) => r["partial/tokens_generated"] ?? r["completions/mean_length"]! * Number(values.prompts) * Number(values.generations)));
    const groups = mean(m.map((r) => r["partial/groups_scored"] ?? Number(values.prompts)));
    // CPU seconds per iteration, iterations with an evaluation left out; CPU minutes of RL = that × iterations.
    const evalEvery = Number(values["eval-steps"]);
    const cpuRows = existsSync(join(dir, "cpu.jsonl")) ? readFileSync(join(dir, "cpu.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { step: number; cpu_seconds: number }) : [];
    const cpuIter = mean(cpuRows.filter((r) => !(evalEvery > 0 && r.step % evalEvery === 0)).map((r) => r.cpu_seconds));
    const cpuMin = (cpuIter * m.length) / 60;
    rows.push(
      `| ${arm.name} | ${seed} | ${mean(m.map((r) => r.step_seconds!)).toFixed(1)} | ${mean(m.map((r) => r["time/generate"]!)).toFixed(1)} | ${tokens.toFixed(0)} | ` +
        `${groups.toFixed(1)} | ${(100 * before).toFixed(1)}% → ${(100 * after).toFixed(1)}% | ${rlMin.toFixed(1)} | ${((groups * m.length) / rlMin).toFixed(1)} | ${((100 * (after - before)) / rlMin).toFixed(2)} | ` +
        `${cpuRows.length ? cpuIter.toFixed(1) : "–"} | ${cpuRows.length ? ((groups * m.length) / cpuMin).toFixed(1) : "–"} |`,
    );
    // Held-out pass@1 against RL minutes at each evaluation (before RL, every --eval-steps, after RL).
    const evals = readFileSync(join(dir, "evals.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number | string>);
    const minutesAt = (step: number) => m.filter((r) => r.step! <= step).reduce((a, r) => a + r.step_seconds!, 0) / 60;
    const points = new Map<number, number>();
    for (const e of evals) points.set(Number(e.step), Number(e["eval/pass@1"]));
    curves.push(`| ${arm.name} | ${seed} | ${[...points].map(([step, p]) => `${step}: ${minutesAt(step).toFixed(1)} min, ${(100 * p).toFixed(1)}%`).join(" · ")} |`);
  }
}
console.log(`\nmultiplication, ${values.objective}, ${values.steps} iterations, ${values.prompts} prompts × ${values.generations} samples, max 336 tokens, ${values["eval-problems"]} held-out problems × 1 sample\n`);
console.log("| rollouts | seed | s / iteration | generate s / iteration | tokens generated / iteration | groups scored / iteration | held-out pass@1 | RL min | groups scored / RL min | pass@1 points / RL min | CPU s / iteration | groups scored / CPU min |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
console.log("\nHeld-out pass@1 by iteration (iteration: RL minutes so far, pass@1)\n");
console.log("| rollouts | seed | iteration: RL min, pass@1 |");
console.log("|---|---|---|");
for (const c of curves) console.log(c);
