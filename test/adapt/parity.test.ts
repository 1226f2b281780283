/**
 * Adapter parity with PyTorch and peft (values in test/fixtures/adapt/reference/, computed on the GPU machine by
 * `scripts/adapter_reference.py` from the fixtures `scripts/make-adapter-fixtures.ts` wrote):
 * - a non-identity SVF expert's W′ and the adapted model's logits against torch's float64 SVD and the reference
 *   code's formula;
 * - a LoRA adapter written by thinkrl, loaded by peft (`PeftModel.from_pretrained`): peft's logits = ours;
 * - an adapter written by peft (`save_pretrained`), loaded by thinkrl: our logits = peft's.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { numpy: np } = await import("@jax-js/jax");
const { loadModel } = await import("../../src/model/load.js");
const { forward } = await import("../../src/model/llama.js");
const { fullPositionInputs } = await import("../../src/model/positions.js");
const { selectTargets } = await import("../../src/adapt/targets.js");
const { svdFactors } = await import("../../src/adapt/svd-cache.js");
const { mixedModel, disposeAdapted } = await import("../../src/adapt/svf.js");
const { readPeftAdapter, readSvfExpert } = await import("../../src/adapt/node.js");
const { loraModel, disposeLoraModel } = await import("../../src/adapt/lora.js");

const FX = join(import.meta.dirname, "..", "fixtures");
const REF = join(FX, "adapt", "reference");
type CausalLM = Awaited<ReturnType<typeof loadModel>>;
const LOGIT_TOL = 1e-4;

async function logits(m: CausalLM, ids: number[][]): Promise<Float32Array> {
  const B = ids.length, T = ids[0]!.length;
  const tokens = np.array(Int32Array.from(ids.flat()), { dtype: np.int32 }).reshape([B, T]);
  const { logits: l, kv } = forward(m.params, m.config, tokens, fullPositionInputs(m.config, B, T));
  for (const { k, v } of kv) (k.dispose(), v.dispose());
  return (await l.data()) as Float32Array;
}
// forward consumes its params: hand it references.
const withRefs = async (m: CausalLM, ids: number[][]) => {
  const { tree } = await import("@jax-js/jax");
  const p = m.params;
  m.params = tree.ref(p);
  const out = await logits(m, ids);
  m.params = p;
  return out;
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(b).reduce((mx, x, i) => Math.max(mx, Math.abs(a[i]! - x)), 0);

test("a non-identity SVF expert: W′ and logits match PyTorch (float64 SVD, the reference code's rescale)", async () => {
  const ref = JSON.parse(readFileSync(join(REF, "svf.json"), "utf8")) as { input_ids: number[][]; logits: number[][][]; weights: Record<string, number[][]> };
  const model = await loadModel(join(FX, "hf", "tiny-llama"));
  const expert = await readSvfExpert(join(FX, "adapt", "tiny-llama-svf.safetensors"));
  const targets = selectTargets(model.config.numHiddenLayers, ["proj"]).filter((t) => expert.vectors.has(t.name));
  const { factors } = await svdFactors(model, targets, { cacheDir: mkdtempSync(join(tmpdir(), "svd-")) });
  const adapted = mixedModel(model, factors, [expert], [1]);
  for (const [name, w] of Object.entries(ref.weights)) {
    const t = targets.find((x) => x.name === name)!;
    const ours = (await adapted.params.layers[t.layer]![t.key].ref.data()) as Float32Array; // [in, out]
    const [out, inn] = [w.length, w[0]!.length];
    const hf = new Float32Array(out * inn);
    for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) hf[o * inn + i] = ours[i * out + o]!;
    const d = maxDiff(hf, w.flat());
    console.log(`SVF ${name}: max |ΔW′| = ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-5);
  }
  const base = await withRefs(model, ref.input_ids);
  const got = await withRefs(adapted, ref.input_ids);
  const d = maxDiff(got, ref.logits.flat(2));
  console.log(`SVF logits: max |Δ| = ${d.toExponential(2)} (the expert moved them by ${maxDiff(base, ref.logits.flat(2)).toExponential(2)})`);
  expect(maxDiff(base, ref.logits.flat(2))).toBeGreaterThan(1e-2); // a non-identity expert
  expect(d).toBeLessThanOrEqual(LOGIT_TOL);
  disposeAdapted(adapted);
  model.dispose();
});

test("LoRA: thinkrl's adapter gives peft's logits, and peft's adapter gives ours", async () => {
  const ref = JSON.parse(readFileSync(join(REF, "lora.json"), "utf8")) as { input_ids: number[][]; thinkrl_adapter_logits: number[][][]; peft_adapter_logits: number[][][]; base_logits: number[][][] };
  const model = await loadModel(join(FX, "hf", "tiny-qwen2"));
  for (const [dir, want, label] of [[join(FX, "adapt", "tiny-qwen2-lora"), ref.thinkrl_adapter_logits, "thinkrl-written, loaded by peft"], [join(REF, "peft-made"), ref.peft_adapter_logits, "peft-written, loaded by thinkrl"]] as const) {
    const a = await readPeftAdapter(dir, model);
    const m = loraModel(model, a);
    const got = await withRefs(m, ref.input_ids);
    const d = maxDiff(got, want.flat(2));
    console.log(`LoRA ${label}: max |Δlogit| = ${d.toExponential(2)} (adapter effect ${maxDiff(want.flat(2), ref.base_logits.flat(2)).toExponential(2)})`);
    expect(maxDiff(want.flat(2), ref.base_logits.flat(2))).toBeGreaterThan(1e-3);
    expect(d).toBeLessThanOrEqual(LOGIT_TOL);
    disposeLoraModel(m);
  }
  model.dispose();
});
