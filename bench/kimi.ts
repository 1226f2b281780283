/**
 * Kimi k1.5 comparisons on the embedded default task: several `thinkrl train` runs side by side (one process each,
 * `--threads` Wasm threads), then one markdown table of held-out pass@1 before → after, the best held-out pass@1 seen
 * at the eval steps, and wall time. Learning comparisons live here and in docs/kimi.md, not in tests.
 *
 *   npm run build && node dist/bench/kimi.js --set sweep|compare|sampling [--steps 100] [--seeds 0,1]
 *     [--parallel 8] [--threads 2] [--out runs/kimi]
 *
 * Sets: `sweep` — OMD's τ, learning rate, AdamW reset, steps per iteration and the per-token variant, one seed; `compare` — OMD
 * (the chosen defaults) vs GRPO at equal iterations on each seed; `sampling` — uniform vs prioritized vs curriculum
 * on a 1,024-problem pool, GRPO, on each seed; `final` — `compare` and uniform vs prioritized (8 runs). Extra flags after `--` go to every run.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    set: { type: "string", default: "compare" },
    steps: { type: "string", default: "100" },
    seeds: { type: "string", default: "0,1" },
    parallel: { type: "string", default: "8" },
    threads: { type: "string", default: "2" },
    out: { type: "string", default: "runs/kimi" },
    "eval-steps": { type: "string", default: "25" },
  },
});

interface Run {
  name: string;
  flags: string[];
}

const seeds = values.seeds!.split(",").map(Number);
const POOL = ["--train-pool", "1024"];
const SETS: Record<string, () => Run[]> = {
  sweep: () => {
    const s = ["--seed", String(seeds[0])];
    return [
      ...[0, 0.1, 1, 10].map((tau) => ({ name: `omd tau=${tau}`, flags: [...s, "--objective", "omd", "--omd-tau", String(tau)] })),
      { name: "omd tau=1 lr=3e-5", flags: [...s, "--objective", "omd", "--learning-rate", "3e-5"] },
      { name: "omd tau=1 no-reset", flags: [...s, "--objective", "omd", "--reset-optimizer", "false"] },
      { name: "omd tau=1 spg=2", flags: [...s, "--objective", "omd", "--steps-per-generation", "2"] },
      { name: "omd token tau=0.1", flags: [...s, "--objective", "omd", "--omd-level", "token", "--omd-tau", "0.1"] },
    ];
  },
  compare: () =>
    seeds.flatMap((seed) => [
      { name: `grpo seed=${seed}`, flags: ["--seed", String(seed)] },
      { name: `omd seed=${seed}`, flags: ["--seed", String(seed), "--objective", "omd"] },
    ]),
  final: () => [...SETS.compare!(), ...seeds.flatMap((seed) => SETS.sampling!().filter((r) => r.name.endsWith(`seed=${seed}`) && !r.name.startsWith("curriculum")))],
  sampling: () =>
    seeds.flatMap((seed) => [
      { name: `uniform pool seed=${seed}`, flags: ["--seed", String(seed), ...POOL] },
      { name: `prioritized seed=${seed}`, flags: ["--seed", String(seed), ...POOL, "--sampling", "prioritized"] },
      { name: `curriculum seed=${seed}`, flags: ["--seed", String(seed), ...POOL, "--sampling", "curriculum", "--difficulty", "measured"] },
    ]),
};

const make = SETS[values.set!];
if (!make) throw new Error(`--set must be one of ${Object.keys(SETS).join(", ")}`);
const runs = make();
const bin = join(import.meta.dirname, "..", "..", "bin", "thinkrl.js");
const common = ["--max-steps", values.steps!, "--eval-steps", values["eval-steps"]!, "--threads", values.threads!, "--save-steps", "0", ...positionals];

async function one(r: Run): Promise<{ run: Run; seconds: number; code: number | null; dir: string }> {
  const dir = join(values.out!, r.name.replace(/[^a-z0-9.=-]+/gi, "_"));
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, "train", ...common, ...r.flags, "--out", dir, "--overwrite"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  const code = await new Promise<number | null>((res) => child.on("close", res));
  if (code !== 0) console.error(`${r.name}: exit ${code}\n${log.slice(-2000)}`);
  return { run: r, seconds: (performance.now() - t0) / 1000, code, dir };
}

const queue = [...runs];
const results: Awaited<ReturnType<typeof one>>[] = [];
await Promise.all(
  Array.from({ length: Math.min(Number(values.parallel), runs.length) }, async () => {
    for (let r = queue.shift(); r; r = queue.shift()) results.push(await one(r));
  }),
);

const pct = (x: number | undefined) => (x === undefined ? "—" : `${(100 * x).toFixed(1)}%`);
console.log(`\n${values.set}: ${values.steps} iterations, held-out pass@1 (256 problems × 4 samples), ${values.threads} threads per run, ${Math.min(Number(values.parallel), runs.length)} runs at once\n`);
console.log("| run | pass@1 before | after | best at eval steps | RL s | wall s |");
console.log("|---|---|---|---|---|---|");
for (const r of runs.map((x) => results.find((y) => y.run === x)!)) {
  const summaryFile = join(r.dir, "summary.json");
  if (r.code !== 0 || !existsSync(summaryFile)) {
    console.log(`| ${r.run.name} | failed (exit ${r.code}) | | | | ${r.seconds.toFixed(0)} |`);
    continue;
  }
  const s = JSON.parse(readFileSync(summaryFile, "utf8")) as { evalBefore: { metrics: Record<string, number> }; evalAfter: { metrics: Record<string, number> }; seconds: Record<string, number> };
  const evals = readFileSync(join(r.dir, "evals.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
  const best = Math.max(...evals.map((e) => e["eval/pass@1"] ?? 0));
  console.log(`| ${r.run.name} | ${pct(s.evalBefore.metrics["pass@1"])} | ${pct(s.evalAfter.metrics["pass@1"])} | ${pct(best)} | ${(s.seconds.rl ?? 0).toFixed(0)} | ${r.seconds.toFixed(0)} |`);
}
