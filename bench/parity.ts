/**
 * Hugging Face parity on any device: for each committed fixture (`test/fixtures/hf`, made by
 * `scripts/make_fixtures.py` with transformers), the max |Δlogit| of our forward pass and whether greedy generation
 * reproduces transformers' tokens. The CPU run of these checks is `test/model/parity.test.ts`; this script exists
 * for the GPU machine (no test runner there):
 *
 *   node dist/bench/parity.js --device webgpu
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initEngine, type DeviceChoice } from "../src/engine/init.js";
import { packageRoot } from "../src/model/load.js";

const { values } = parseArgs({ options: { device: { type: "string", default: "wasm" } } });
const device = await initEngine(values.device as DeviceChoice);
const { numpy: np } = await import("@jax-js/jax");
const { loadCheckpointFiles } = await import("../src/model/checkpoint.js");
const { paramsFromTensors } = await import("../src/model/params.js");
const { forward } = await import("../src/model/llama.js");
const { fullPositionInputs } = await import("../src/model/positions.js");
const { CausalLM } = await import("../src/model/causal-lm.js");
const { loadTokenizer } = await import("../src/model/tokenizer.js");
const { generate } = await import("../src/rollout/generate.js");
const { Rng } = await import("../src/data/rng.js");

const DIR = join(packageRoot(), "test", "fixtures", "hf");
let ok = true;
console.log(`device ${device}`);
console.log("| fixture | max abs dlogit | greedy tokens match |");
console.log("|---|---|---|");
for (const name of ["tiny-llama", "tiny-qwen2", "tiny-llama-bf16", "tiny-qwen2-sharded"]) {
  const files = await loadCheckpointFiles(join(DIR, name));
  const ref = JSON.parse(await readFile(join(DIR, name, "reference.json"), "utf8")) as {
    input_ids: number[][];
    logits: number[][][];
    greedy: { prompt_ids: number[]; output_ids: number[] };
  };
  const cfg = files.config;
  const B = ref.input_ids.length, T = ref.input_ids[0]!.length;
  const { logits, kv } = forward(paramsFromTensors(cfg, files.tensors), cfg, np.array(Int32Array.from(ref.input_ids.flat()), { dtype: np.int32 }).reshape([B, T]), fullPositionInputs(cfg, B, T));
  for (const x of kv) {
    x.k.dispose();
    x.v.dispose();
  }
  const got = (await logits.data()) as Float32Array;
  const want = ref.logits.flat(2);
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
  const model = new CausalLM(cfg, paramsFromTensors(cfg, files.tensors), loadTokenizer(files.tokenizerJson));
  const n = ref.greedy.output_ids.length;
  const [out] = await generate(model, [ref.greedy.prompt_ids], { maxNewTokens: n, temperature: 0, topP: 1, topK: 0 }, new Rng(0));
  const eos = new Set(cfg.eosTokenId);
  const cut = ref.greedy.output_ids.findIndex((t) => eos.has(t));
  const wantIds = cut >= 0 ? ref.greedy.output_ids.slice(0, cut + 1) : ref.greedy.output_ids;
  const match = JSON.stringify(out!.ids) === JSON.stringify(wantIds);
  ok &&= match && maxDiff <= 1e-4;
  console.log(`| ${name} | ${maxDiff.toExponential(2)} | ${match ? "yes" : `NO (${out!.ids} vs ${wantIds})`} |`);
  model.dispose();
}
process.exitCode = ok ? 0 : 1;
