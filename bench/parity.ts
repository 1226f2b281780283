/**
 * Hugging Face parity on any device: for each committed fixture (`test/fixtures/hf`, made by
 * `scripts/make_fixtures.py` with transformers; plain RoPE and the linear / dynamic / llama3 / yarn variants), the
 * max |Δlogit| of our forward pass and whether 32 greedy tokens reproduce transformers' — through the KV-cached
 * `generate` (vs `generate(use_cache=True)`) and through a full re-forward each step (vs re-forward argmax).
 * The CPU run of these checks is `test/model/parity.test.ts` (same helpers: `bench/hf-parity.ts`); this script
 * exists for the GPU machine (no test runner there):
 *
 *   npm run build && node dist/bench/parity.js --device webgpu      # or --device wasm (default) on CPU
 *   node dist/bench/parity.js --fixture tiny-llama-rope-dynamic       # one fixture (repeatable flag)
 *
 * Prints a markdown table; exits 1 when any check fails (logits beyond 1e-4 or a greedy mismatch).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEVICE_CHOICES, initEngine, type DeviceChoice } from "../src/engine/init.js";
import { packageRoot } from "../src/model/load.js";

const { values } = parseArgs({
  options: {
    device: { type: "string", default: "wasm" },
    fixture: { type: "string", multiple: true },
  },
});
if (!DEVICE_CHOICES.includes(values.device as DeviceChoice)) {
  throw new Error(`parity: --device ${values.device} is not one of ${DEVICE_CHOICES.join(", ")}`);
}
const device = await initEngine(values.device as DeviceChoice);
const { tree } = await import("@jax-js/jax");
const { paramsFromTensors } = await import("../src/model/params.js");
const { FIXTURES, LOGIT_TOL, loadFixture, maxLogitDiff, greedyReforward, causalLMIgnoringEos, greedyCached } = await import("./hf-parity.js");

const names: readonly string[] = values.fixture ?? FIXTURES;
const unknown = names.filter((n) => !(FIXTURES as readonly string[]).includes(n));
if (unknown.length > 0) throw new Error(`parity: unknown --fixture ${unknown.join(", ")} (known: ${FIXTURES.join(", ")})`);

const DIR = join(packageRoot(), "test", "fixtures", "hf");
/** `yes`, or where the first mismatch is. */
function compare(got: number[], want: number[]): { ok: boolean; text: string } {
  const i = want.findIndex((t, k) => got[k] !== t);
  if (i < 0 && got.length === want.length) return { ok: true, text: "yes" };
  return { ok: false, text: `NO from step ${i < 0 ? want.length : i} (got ${got.join(" ")}; want ${want.join(" ")})` };
}

let ok = true;
console.log(`device ${device}`);
console.log("| fixture | rope | max abs dlogit | greedy x32, KV cache = HF generate | greedy x32, re-forward = HF re-forward | HF cache = re-forward | time |");
console.log("|---|---|---|---|---|---|---|");
for (const name of names) {
  const fx = await loadFixture(DIR, name);
  const { files, ref } = fx;
  const cfg = files.config;
  const t0 = performance.now();
  const maxDiff = await maxLogitDiff(fx);
  const model = causalLMIgnoringEos(files);
  const [cachedIds] = await greedyCached(model, [ref.greedy_cached.prompt_ids], ref.greedy_cached.output_ids.length);
  model.dispose();
  const params = paramsFromTensors(cfg, files.tensors);
  const reforwardIds = await greedyReforward(cfg, params, ref.greedy.prompt_ids, ref.greedy.output_ids.length);
  tree.dispose(params);
  const cached = compare(cachedIds!, ref.greedy_cached.output_ids);
  const reforward = compare(reforwardIds, ref.greedy.output_ids);
  ok &&= maxDiff <= LOGIT_TOL && cached.ok && reforward.ok;
  const rope = cfg.ropeScaling?.type ?? "default";
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`| ${name} | ${rope} | ${maxDiff.toExponential(2)} | ${cached.text} | ${reforward.text} | ${ref.greedy_match ? "yes" : "no"} | ${secs} s |`);
}
console.log(ok ? "all parity checks passed" : "PARITY FAILURES (see table)");
process.exitCode = ok ? 0 : 1;
