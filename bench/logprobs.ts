/**
 * Wasm heap and time of per-token log-probs from `[N, V]` logits, old form against new, each in its own Node process
 * (the heap is a high-water mark). Forms: "logSoftmax" = `referenceTokenLogprobs` (pick and entropy from a
 * materialised `nn.logSoftmax`, the code before issue 15's change); "x_t − lse, + entropy" = `tokenLogprobs` (the
 * learner's form); "x_t − lse" = `targetLogprobs` (scoring: log-probs only). Each is one jit call without gradients;
 * the logits are on the heap before the baseline, so the heap growth is what the call itself needs.
 *
 *   npx tsx bench/logprobs.ts [--shape 256x151936] [--threads 2] [--reps 3]
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    shape: { type: "string", default: "256x151936" },
    threads: { type: "string", default: "2" },
    reps: { type: "string", default: "3" },
    worker: { type: "string" }, // internal: the form to run
  },
});
const MiB = 2 ** 20;
const [N, V] = values.shape.split("x").map(Number) as [number, number];
const FORMS = ["logSoftmax", "x_t − lse, + entropy", "x_t − lse"] as const;

if (values.worker !== undefined) {
  const { initEngine } = await import("../src/engine/init.js");
  await initEngine("wasm", { threads: Number(values.threads) });
  const { jit, numpy: np } = await import("@jax-js/jax");
  const { wasmHeapBytes } = await import("../src/engine/wasm-heap.js");
  const { referenceTokenLogprobs, tokenLogprobs, targetLogprobs } = await import("../src/model/logprobs.js");
  type Arr = ReturnType<typeof np.array>;
  const form = values.worker;
  const f = jit((logits: Arr, targets: Arr): Arr[] => {
    if (form === FORMS[0]) {
      const r = referenceTokenLogprobs(logits, targets);
      return [r.logp, r.entropy];
    }
    if (form === FORMS[1]) {
      const r = tokenLogprobs(logits, targets);
      return [r.logp, r.entropy];
    }
    return [targetLogprobs(logits, targets)];
  });
  let seed = 1;
  const x = new Float32Array(N * V).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 8 - 4);
  const logits = np.array(x).reshape([1, N, V]);
  const targets = np.array(Int32Array.from({ length: N }, (_, i) => (i * 7919) % V), { dtype: np.int32 }).reshape([1, N]);
  await logits.ref.blockUntilReady();
  await targets.ref.blockUntilReady();
  const before = wasmHeapBytes();
  const times: number[] = [];
  let check = 0;
  for (let r = 0; r < Number(values.reps); r++) {
    const t0 = performance.now();
    const out = f(logits.ref, targets.ref);
    const lp = (await out[0]!.data()) as Float32Array;
    for (const o of out.slice(1)) await o.data();
    times.push(performance.now() - t0);
    check = lp.reduce((a, b) => a + b, 0) / N;
  }
  const after = wasmHeapBytes();
  const rest = times.slice(1).sort((a, b) => a - b);
  console.log(JSON.stringify({ heapMiB: (after - before) / MiB, firstMs: times[0], medianMs: rest[Math.floor((rest.length - 1) / 2)] ?? times[0], meanLogp: check }));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
console.log(`log-probs of ${N} tokens × ${V} vocabulary (logits ${((N * V * 4) / MiB).toFixed(0)} MiB), ${values.threads} threads, no gradients\n`);
console.log("| form | Wasm heap growth | first call (compile) | median | mean log-prob | load average (1 min) |");
console.log("|---|---|---|---|---|---|");
for (const form of FORMS) {
  const load = loadavg()[0]!.toFixed(2);
  const r = spawnSync(process.execPath, [...process.execArgv, self, "--worker", form, "--shape", values.shape, "--threads", values.threads, "--reps", values.reps], { encoding: "utf8", maxBuffer: 1 << 26 });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    const j = JSON.parse(line) as Record<string, number>;
    console.log(`| ${form} | ${j.heapMiB!.toFixed(0)} MiB | ${j.firstMs!.toFixed(0)} ms | ${j.medianMs!.toFixed(0)} ms | ${j.meanLogp!.toFixed(6)} | ${load} |`);
  } catch {
    console.log(`| ${form} | ${(r.stderr.match(/(RangeError|Error)[^\n]*/) ?? ["failed"])[0]} | | | | ${load} |`);
  }
}
