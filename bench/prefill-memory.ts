/**
 * Wasm heap and time of a prompt prefill and of scoring (log-probs without gradients) on a stories260K-shaped Llama
 * (`bench/small-llama.ts`), each configuration in its own Node process (the heap is a high-water mark). Prints one
 * markdown table: heap growth of the call (Wasm linear memory after − before; weights and inputs are allocated
 * before), RSS, median time.
 *
 *   npx tsx bench/prefill-memory.ts [--shapes 8x512,32x512] [--threads 2] [--reps 2] [--compare]
 *
 * `--compare` adds rows with jax-js's jit memory plan turned off (JAXJS_JIT_ARENA=0, the thinkrl patch) and with the
 * query-chunked attention turned off (THINKRL_ATTENTION_CHUNK=0, read by this bench only: `setAttentionChunkElements(0)`), to show what each one saves.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    shapes: { type: "string", default: "8x512" },
    threads: { type: "string", default: "2" },
    reps: { type: "string", default: "2" },
    compare: { type: "boolean", default: false },
    worker: { type: "string" }, // internal: "prefill:8x512" or "score:8x512"
  },
});

const MiB = 2 ** 20;

if (values.worker !== undefined) {
  const { initEngine } = await import("../src/engine/init.js");
  await initEngine("wasm", { threads: Number(values.threads) });
  const { numpy: np } = await import("@jax-js/jax");
  const { setAttentionChunkElements } = await import("../src/engine/limits.js");
  if (process.env.THINKRL_ATTENTION_CHUNK !== undefined) setAttentionChunkElements(Number(process.env.THINKRL_ATTENTION_CHUNK));
  const { wasmHeapBytes } = await import("../src/engine/wasm-heap.js");
  const { Rng } = await import("../src/core/rng.js");
  const { CausalLM } = await import("../src/model/causal-lm.js");
  const { initTensors, paramsFromTensors } = await import("../src/model/params.js");
  const { loadTokenizer, buildCharTokenizerJson } = await import("../src/model/tokenizer.js");
  const { stories260kShapedConfig, printableChars, CHAR_SPECIALS } = await import("./small-llama.js");
  const [what, shape] = values.worker.split(":") as [string, string];
  const [B, L] = shape.split("x").map(Number) as [number, number];
  const cfg = stories260kShapedConfig();
  const model = new CausalLM(cfg, paramsFromTensors(cfg, initTensors(cfg, new Rng(0), 0.02)), loadTokenizer(buildCharTokenizerJson(printableChars(), CHAR_SPECIALS)));
  const rng = new Rng(1);
  const tokens = new Int32Array(B * L).map(() => 3 + Math.floor(rng.next() * 96));
  // Touch the weights once so they are on the heap before the baseline.
  await np.array([0]).data();
  const before = wasmHeapBytes();
  const times: number[] = [];
  const reps = Number(values.reps);
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    if (what === "prefill") {
      const { cache } = await model.prefill(tokens, B, L, new Array(B).fill(0), L);
      for (const c of cache) {
        c.k.dispose();
        c.v.dispose();
      }
    } else {
      const targets = tokens.map((t) => (t + 1) % cfg.vocabSize);
      await model.sequenceLogprobs({ tokens, targets, B, T: L });
    }
    times.push(performance.now() - t0);
  }
  const after = wasmHeapBytes();
  console.log(JSON.stringify({ heapMiB: (after - before) / MiB, heapTotalMiB: after / MiB, rssMiB: process.memoryUsage().rss / MiB, firstMs: times[0], medianMs: times.slice(1).sort((a, b) => a - b)[Math.floor((times.length - 1) / 2)] ?? times[0] }));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const variants: [string, Record<string, string>][] = [["thinkrl (default)", {}]];
if (values.compare) {
  variants.push(["attention not chunked", { THINKRL_ATTENTION_CHUNK: "0" }]);
  variants.push(["no jit memory plan", { JAXJS_JIT_ARENA: "0" }]);
  variants.push(["neither (jax-js 0.1.25 as published)", { JAXJS_JIT_ARENA: "0", THINKRL_ATTENTION_CHUNK: "0" }]);
}
console.log(`stories260K-shaped Llama (d64, 5 layers, 8/4 heads, vocab 512), ${values.threads} threads; load average at start ${loadavg().map((x) => x.toFixed(2)).join(" ")}\n`);
console.log("| what | variant | Wasm heap growth | Wasm heap total | RSS | first call | median |");
console.log("|---|---|---|---|---|---|---|");
for (const shape of values.shapes.split(",")) {
  for (const what of ["prefill", "score"]) {
    for (const [name, env] of variants) {
      const r = spawnSync(process.execPath, [...process.execArgv, self, "--worker", `${what}:${shape}`, "--threads", values.threads, "--reps", values.reps], {
        env: { ...process.env, ...env },
        encoding: "utf8",
        maxBuffer: 1 << 26,
      });
      const line = r.stdout.trim().split("\n").pop() ?? "";
      let cells: string;
      try {
        const j = JSON.parse(line) as Record<string, number>;
        cells = `${j.heapMiB!.toFixed(0)} MiB | ${j.heapTotalMiB!.toFixed(0)} MiB | ${j.rssMiB!.toFixed(0)} MiB | ${j.firstMs!.toFixed(0)} ms | ${j.medianMs!.toFixed(0)} ms`;
      } catch {
        const err = (r.stderr.match(/(RangeError|Error)[^\n]*/) ?? ["failed"])[0];
        cells = `${err} | | | | `;
      }
      console.log(`| ${what} ${shape.replace("x", " × ")} | ${name} | ${cells} |`);
    }
  }
}
