/**
 * Generation at the default `thinkrl train` run's real shapes: the embedded model's shipped cold-start checkpoint,
 * `promptsPerStep` arithmetic prompts × `numGenerations` completions (32 × 8 = 256 rows), `maxCompletionLength` 48,
 * temperature 1, the compact format's stop strings — one `rolloutGroups` call as GRPO step 1 makes it.
 *
 *   npm run build && node dist/bench/rollout.js [--reps 3] [--rounds 1] [--baseline-env NAME=VALUE] [--steps]
 *
 * Prints each rollout's wall time (ms) and the CPU time of all the process's threads (main + Wasm workers; on a loaded
 * machine a better guide than wall time to what a quiet one would see) after one warm-up call (jit compile), and with `--steps` the decode shapes
 * (rows per step, cache length S, prompt bucket L). `--baseline-env` alternates a second Node process with that
 * environment variable set (`NAME=VALUE`, or several joined by commas; on, off, on, off … for `--rounds`), so a switch
 * is A/B'd under the same load.
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "3" },
    rounds: { type: "string", default: "1" },
    "baseline-env": { type: "string" },
    steps: { type: "boolean", default: false },
    profile: { type: "boolean", default: false }, // per-kernel single-thread time of one rollout (every kernel on the main thread)
    worker: { type: "boolean", default: false },
    prompts: { type: "string", default: "32" },
    group: { type: "string", default: "8" },
    "max-new-tokens": { type: "string", default: "48" },
  },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (values.worker) {
  await initEngine("wasm", { threads: 2 });
  const { loadModel, defaultModelDir } = await import("../src/model/load.js");
  const { openPromptSource } = await import("../src/data/source.js");
  const { rolloutGroups } = await import("../src/rollout/groups.js");
  const { Rng } = await import("../src/core/rng.js");
  const model = await loadModel(defaultModelDir());
  const source = await openPromptSource("arithmetic", 256, 0);
  const P = Number(values.prompts), G = Number(values.group), maxNew = Number(values["max-new-tokens"]);
  const questions = Array.from({ length: P }, () => source.next().question);
  const shapes: string[] = [];
  if (values.steps) {
    const decode = model.decode.bind(model);
    model.decode = (token, slot, pad, cache) => {
      shapes.push(`B${token.length} S${cache[0]!.k.shape[3]} slot${slot}`);
      return decode(token, slot, pad, cache);
    };
  }
  const times: number[] = [];
  const cpu: number[] = [];
  let tokens = 0;
  for (let r = 0; r <= Number(values.reps); r++) {
    shapes.length = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const out = await rolloutGroups(model, "compact", questions, G, { maxNewTokens: maxNew, temperature: 1, topP: 1, topK: 0 }, new Rng(1 + r));
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpuMs = (c.user + c.system) / 1000; // every thread of the process (main + workers)
    if (r > 0) times.push(ms), cpu.push(cpuMs);
    tokens = out.completions.reduce((a, c) => a + c.ids.length, 0);
    console.error(`  rollout ${r === 0 ? "(warm-up)" : r}: ${ms.toFixed(0)} ms (CPU ${cpuMs.toFixed(0)} ms), ${tokens} tokens, max len ${Math.max(...out.completions.map((c) => c.ids.length))}, prompt ids ${out.prompts[0]!.ids.length}`);
  }
  if (values.profile) {
    const { kernelTimes } = await import("./kernel-times.js");
    const k = await kernelTimes(() => rolloutGroups(model, "compact", questions, G, { maxNewTokens: maxNew, temperature: 1, topP: 1, topK: 0 }, new Rng(1)), { byExpression: true });
    console.error(`  profile (one rollout, single thread): ${k.dispatches} kernels, ${k.totalMs.toFixed(0)} ms`);
    for (const x of k.byLabel.slice(0, 30)) console.error(`    ${x.ms.toFixed(1).padStart(8)} ms ×${String(x.count).padStart(5)}  ${x.label.slice(0, 240)}`);
  }
  if (values.steps) console.error(`  decode steps of the last rollout: ${shapes.join(", ")}`);
  console.log(JSON.stringify({ median: median(times), times, cpu, tokens }));
} else {
  const argv = [fileURLToPath(import.meta.url), "--worker", "--reps", values.reps!, "--prompts", values.prompts!, "--group", values.group!, "--max-new-tokens", values["max-new-tokens"]!, ...(values.steps ? ["--steps"] : []), ...(values.profile ? ["--profile"] : [])];
  const run = (env: NodeJS.ProcessEnv, label: string) => {
    const load = loadavg()[0]!.toFixed(2);
    const r = spawnSync(process.execPath, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env });
    if (r.status !== 0) throw new Error(`rollout worker failed (${r.status})`);
    const o = JSON.parse(r.stdout) as { median: number; times: number[]; cpu: number[] };
    console.log(`${label}: median ${o.median.toFixed(0)} ms (${o.times.map((t) => t.toFixed(0)).join(" / ")}), CPU time of all threads ${o.cpu.map((t) => t.toFixed(0)).join(" / ")} ms, load ${load} at start`);
  };
  const base = values["baseline-env"];
  for (let k = 0; k < Number(values.rounds); k++) {
    run(values.profile ? { ...process.env, JAXJS_WASM_MAIN_THREAD_WORK: "1e15" } : process.env, "on ");
    if (base) {
      // NAME=VALUE, or several joined by commas
      const vars = Object.fromEntries(base.split(",").map((kv) => kv.split("=") as [string, string]));
      run({ ...process.env, ...vars }, `off (${base})`);
    }
  }
}
