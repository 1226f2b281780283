/**
 * Adapters from the command line: bad expert/adapter input fails in one line with exit code 1; `export --merge` writes
 * a checkpoint whose greedy output equals the base-with-expert's.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ROOT, thinkrl } from "../helpers/cli.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-adapters-"));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const oneError = (r: { code: number | null; stderr: string }, re: RegExp) => {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.split("\n").filter((l) => /^error:/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(re);
};

test("an expert of another base, a missing adapter directory, export without --merge, svf list of a missing directory: one line each", async () => {
  const fx = join(ROOT, "test/fixtures/adapt");
  const [a, b, c, d, e] = await Promise.all([
    thinkrl(["svf", "list", join(tmp, "nowhere")]),
    thinkrl(["svf", "list", fx]),
    thinkrl(["generate", "--prompt", "1+1", "--expert", join(fx, "tiny-llama-svf.safetensors")]),
    thinkrl(["generate", "--prompt", "1+1", "--adapter-path", join(tmp, "nope")]),
    thinkrl(["export", "--expert", join(fx, "tiny-llama-svf.safetensors"), "--out", join(tmp, "m")]),
  ]);
  expect(a.code, a.stderr).toBe(2);
  expect(a.stderr.trim().split("\n"), a.stderr).toEqual([expect.stringMatching(/^error: .*nowhere does not exist \(hint: /)]);
  expect(b.code, b.stderr).toBe(0);
  expect(b.stdout).toMatch(/tiny-llama-svf\.safetensors {2}task .* values {2}(sigmoid|direct) {2}validation/);
  oneError(c, /^error: expert 1 was trained on another base model \(base hash [0-9a-f]{12}…, this model [0-9a-f]{12}…\)$/);
  oneError(d, /is not a PEFT adapter directory \(no adapter_config.json\)/);
  oneError(e, /^error: export writes merged checkpoints only: pass --merge/);
}, 60_000);

test("export --merge of a LoRA adapter loads back with the same greedy output", async () => {
  // A PEFT adapter for the embedded model: written by the library (random A, B ≠ 0), then merged by the CLI.
  const { initEngine } = await import("../../src/engine/init.js");
  await initEngine("wasm");
  const { loadModel, defaultModelDir } = await import("../../src/model/load.js");
  const { initLora } = await import("../../src/adapt/lora.js");
  const { writePeftAdapter } = await import("../../src/adapt/node.js");
  const { selectTargets } = await import("../../src/adapt/targets.js");
  const { Rng } = await import("../../src/core/rng.js");
  const base = await loadModel(defaultModelDir());
  const a = initLora(base, selectTargets(4, ["q_proj", "v_proj"]), { r: 4, alpha: 8, rng: new Rng(3) });
  const rng = new Rng(4);
  for (const t of a.B.values()) for (let i = 0; i < t.data.length; i++) t.data[i] = 0.05 * (2 * rng.next() - 1);
  const adapter = join(tmp, "adapter");
  await writePeftAdapter(adapter, a, 4, null);
  base.dispose();
  const merged = join(tmp, "merged");
  const gen = ["generate", "--prompt", "25+13", "--temperature", "0", "--max-new-tokens", "24"];
  const e = await thinkrl(["export", "--merge", "--adapter-path", adapter, "--out", merged]);
  expect(e.code, e.stderr).toBe(0);
  const [withAdapter, fromMerged] = await Promise.all([thinkrl([...gen, "--adapter-path", adapter]), thinkrl([...gen, "--model", merged])]);
  expect(withAdapter.code, withAdapter.stderr).toBe(0);
  expect(fromMerged.stdout).toBe(withAdapter.stdout);
  expect(withAdapter.stderr).toMatch(/LoRA .* \(r 4, α 8, 8 matrices/);
  // An occupied --out is refused (nothing overwritten) unless --force; the forced export rewrites the same weights
  // (bit for bit, so the greedy output checked above still holds without generating again).
  const weights = () => readFile(join(merged, "model.safetensors"));
  const first = await weights();
  const again = await thinkrl(["export", "--merge", "--adapter-path", adapter, "--out", merged]);
  oneError(again, /^error: .*merged already exists and is not empty \(hint: pass --force to replace it, or another --out\)$/);
  expect(Buffer.compare(await weights(), first)).toBe(0);
  await rm(join(merged, "model.safetensors")); // so a forced export that wrote nothing cannot pass
  const forced = await thinkrl(["export", "--merge", "--force", "--adapter-path", adapter, "--out", merged]);
  expect(forced.code, forced.stderr).toBe(0);
  expect(Buffer.compare(await weights(), first)).toBe(0);
}, 120_000);

test("export --merge of an SVF expert loads back with the same greedy output as the base with the expert", async () => {
  // A non-identity expert for the embedded model (the paper's z in 0.2–1.8), written by the library.
  process.env.THINKRL_CACHE_DIR = join(tmp, "cache"); // the SVD cache of this test (inherited by the CLI processes)
  const { initEngine } = await import("../../src/engine/init.js");
  await initEngine("wasm");
  const { loadModel, defaultModelDir } = await import("../../src/model/load.js");
  const { svdFactors } = await import("../../src/adapt/svd-cache.js");
  const { initSvfExpert } = await import("../../src/adapt/svf.js");
  const { writeSvfExpert } = await import("../../src/adapt/node.js");
  const { selectTargets } = await import("../../src/adapt/targets.js");
  const { Rng } = await import("../../src/core/rng.js");
  const base = await loadModel(defaultModelDir());
  const { factors } = await svdFactors(base, selectTargets(4, ["mlp"]));
  const e = initSvfExpert(factors, { parameterization: "direct", rng: new Rng(2), std: 0, meta: { targets: ["mlp"], task: "arithmetic", validationScore: null } });
  const rng = new Rng(7);
  for (const v of e.vectors.values()) for (let i = 0; i < v.length; i++) v[i] = 0.2 + 1.6 * rng.next();
  const file = join(tmp, "svf_expert.safetensors");
  await writeSvfExpert(file, e);
  base.dispose();
  const merged = join(tmp, "svf-merged");
  const x = await thinkrl(["export", "--merge", "--expert", file, "--out", merged]);
  expect(x.code, x.stderr).toBe(0);
  const gen = ["generate", "--prompt", "25+13", "--temperature", "0", "--max-new-tokens", "24"];
  const [withExpert, fromMerged] = await Promise.all([thinkrl([...gen, "--expert", file]), thinkrl([...gen, "--model", merged])]);
  expect(withExpert.code, withExpert.stderr).toBe(0);
  expect(fromMerged.stdout).toBe(withExpert.stdout);
  // stderr: `[18 tokens, finish: eos, mean logprob -0.017]` — the same under the merged weights.
  const stats = (r: { stderr: string }) => /\[\d+ tokens, finish: \w+, mean logprob -?[\d.]+\]/.exec(r.stderr)?.[0];
  expect(stats(withExpert)).toBeDefined();
  expect(stats(fromMerged)).toBe(stats(withExpert));
  // The merged MLP matrices are W′ ≠ W (the others are the base's, bit for bit).
  const { readSafetensors } = await import("../../src/model/checkpoint.js");
  const [w, m] = [await readSafetensors(join(defaultModelDir(), "model.safetensors")), await readSafetensors(join(merged, "model.safetensors"))];
  const differs = (k: string) => Buffer.compare(Buffer.from(w.get(k)!.data.buffer), Buffer.from(m.get(k)!.data.buffer)) !== 0;
  expect(differs("model.layers.0.mlp.down_proj.weight") && !differs("model.layers.0.self_attn.q_proj.weight")).toBe(true);
}, 120_000);

test("sft --adapter lora: trains a PEFT adapter on the frozen embedded model; final/ and final/adapter give the same greedy output", async () => {
  const { writeFile, readFile } = await import("node:fs/promises");
  const { existsSync } = await import("node:fs");
  const rows = Array.from({ length: 24 }, (_, i) => {
    const a = 10 + ((i * 7) % 80);
    const b = i % 9;
    return { prompt: `${a}+${b}`, completion: `<think>${a % 10}+${b}=${(a % 10) + b}</think><answer>${a + b}</answer>` };
  });
  const data = join(tmp, "sft.jsonl");
  await writeFile(data, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const out = join(tmp, "sft-lora");
  const r = await thinkrl(["sft", "--adapter", "lora", "--adapter-targets", "q_proj,v_proj", "--lora-rank", "4", "--lora-alpha", "8", "--dataset", data, "--out", out,
    "--batch-size", "8", "--micro-batch-size", "8", "--epochs", "2", "--learning-rate", "1e-2", "--eval-split", "0", "--save-steps", "3", "--max-length", "32"]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/LoRA r=4 α=8: 7,168 trainable values over 8 matrices/);
  expect(r.stdout).toMatch(/LoRA adapter in .*final\/adapter/);
  for (const f of ["checkpoint-3/adapter/adapter_config.json", "checkpoint-3/optimizer.safetensors", "final/adapter/adapter_model.safetensors", "final/model.safetensors"]) expect(existsSync(join(out, f)), f).toBe(true);
  const peft = JSON.parse(await readFile(join(out, "final/adapter/adapter_config.json"), "utf8"));
  expect(peft).toMatchObject({ peft_type: "LORA", r: 4, lora_alpha: 8, target_modules: ["q_proj", "v_proj"] });
  const loss = (await readFile(join(out, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l).loss as number);
  expect(loss.at(-1)!).toBeLessThan(loss[0]!);
  const gen = ["generate", "--prompt", "31+5", "--temperature", "0", "--max-new-tokens", "24"];
  const [withAdapter, merged] = await Promise.all([thinkrl([...gen, "--adapter-path", join(out, "final/adapter")]), thinkrl([...gen, "--model", join(out, "final")])]);
  expect(withAdapter.code, withAdapter.stderr).toBe(0);
  expect(merged.stdout).toBe(withAdapter.stdout);
}, 120_000);
