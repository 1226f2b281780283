/**
 * `thinkrl merge` (Kimi k1.5 §2.4 model merging; mergekit `linear`): weights 3 and 2 give (3A + 2B)/5 per tensor in
 * the inputs' dtype, sharded inputs and outputs work, and mismatched models are refused in one line naming the
 * tensor or config key, before anything is written.
 */
import { cp, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { readSafetensors, writeSafetensors } from "../../src/model/checkpoint.js";
import { f32ToBf16Bits, type Tensor, type WriteDtype } from "../../src/model/safetensors.js";
import { mergeModels, readTensorTable } from "../../src/pipeline/merge.js";
import { thinkrl } from "../helpers/cli.js";

const DEFAULT = join(import.meta.dirname, "../../assets/default-model");

/** A copy of the embedded model with its tensors mapped by `f` and stored as `dtype`. */
async function variant(root: string, name: string, f: (x: number, i: number) => number, dtype: WriteDtype = "F32"): Promise<string> {
  const dir = join(root, name);
  await cp(DEFAULT, dir, { recursive: true });
  const t = await readSafetensors(join(DEFAULT, "model.safetensors"));
  const out = new Map<string, Tensor>();
  for (const [k, v] of t) out.set(k, { shape: v.shape, data: v.data.map(f) });
  await writeSafetensors(join(dir, "model.safetensors"), out, dtype);
  return dir;
}

const bf16 = (x: Float32Array) => new Float32Array(new Uint32Array(Array.from(f32ToBf16Bits(x), (h) => h << 16)).buffer);

describe("merge", () => {
  test("weights 3 and 2 give (3A + 2B)/5 per tensor, in F32 and in BF16", async () => {
    const root = await mkdtemp(join(tmpdir(), "merge-"));
    for (const dtype of ["F32", "BF16"] as const) {
      const a = await variant(root, `a-${dtype}`, (x) => x, dtype);
      const b = await variant(root, `b-${dtype}`, (x, i) => x * 0.5 + 0.01 * Math.sin(i), dtype);
      const out = join(root, `m-${dtype}`);
      const s = await mergeModels({ models: [a, b], weights: [3, 2], out });
      expect(s.shards).toBe(1);
      expect(s.weights).toEqual([0.6, 0.4]);
      const [ta, tb, tm] = await Promise.all([a, b, out].map((d) => readSafetensors(join(d, "model.safetensors"))));
      for (const [name, m] of tm!) {
        const want = Float32Array.from(ta!.get(name)!.data, (x, i) => (3 * x + 2 * tb!.get(name)!.data[i]!) / 5);
        expect(Array.from(m.data), name).toEqual(Array.from(dtype === "BF16" ? bf16(want) : want));
      }
      expect(new Set([...(await readTensorTable(out)).values()].map((e) => e.dtype))).toEqual(new Set([dtype]));
      expect((await readdir(out)).sort()).toEqual((await readdir(a)).sort());
    }
  });

  test("sharded inputs and outputs: an index with total_size, every tensor once", async () => {
    const root = await mkdtemp(join(tmpdir(), "merge-"));
    const a = await variant(root, "a", (x) => x);
    // Split a's tensors over two shards with an index, as transformers writes large models.
    const t = await readSafetensors(join(a, "model.safetensors"));
    const names = [...t.keys()];
    const half = Math.ceil(names.length / 2);
    const weightMap: Record<string, string> = {};
    for (const [i, part] of [names.slice(0, half), names.slice(half)].entries()) {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      await writeSafetensors(join(a, file), new Map(part.map((n) => [n, t.get(n)!])), "F32");
      for (const n of part) weightMap[n] = file;
    }
    const { rm } = await import("node:fs/promises");
    await rm(join(a, "model.safetensors"));
    await writeFile(join(a, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const b = await variant(root, "b", (x) => -x);
    const out = join(root, "m");
    const s = await mergeModels({ models: [a, b], out, maxShardBytes: 20_000 });
    expect(s.shards).toBeGreaterThan(2);
    const index = JSON.parse(await readFile(join(out, "model.safetensors.index.json"), "utf8"));
    expect(Object.keys(index.weight_map).sort()).toEqual([...names].sort());
    const table = await readTensorTable(out);
    expect(index.metadata.total_size).toBe([...table.values()].reduce((n, e) => n + 4 * e.shape.reduce((p, d) => p * d, 1), 0));
    for (const file of new Set(Object.values(index.weight_map) as string[])) {
      for (const [, v] of await readSafetensors(join(out, file))) expect(v.data.every((x) => x === 0)).toBe(true); // (A + (−A))/2
    }
  });

  test("mismatched models are refused in one line naming the tensor or key; an existing --out is kept", async () => {
    const root = await mkdtemp(join(tmpdir(), "merge-"));
    const a = await variant(root, "a", (x) => x);
    const missing = await variant(root, "missing", (x) => x);
    const t = await readSafetensors(join(missing, "model.safetensors"));
    const dropped = [...t.keys()].at(-1)!;
    t.delete(dropped);
    await writeSafetensors(join(missing, "model.safetensors"), t, "F32");
    await expect(mergeModels({ models: [a, missing], out: join(root, "x") })).rejects.toThrow(`tensor "${dropped}" of ${a} is missing from ${missing}`);
    const shape = await variant(root, "shape", (x) => x);
    const u = await readSafetensors(join(shape, "model.safetensors"));
    const [k0, v0] = [...u.entries()][0]!;
    u.set(k0, { shape: [v0.data.length], data: v0.data });
    await writeSafetensors(join(shape, "model.safetensors"), u, "F32");
    await expect(mergeModels({ models: [a, shape], out: join(root, "x") })).rejects.toThrow(`tensor "${k0}" is [${v0.shape.join(", ")}] in ${a} but [${v0.data.length}] in ${shape}`);
    const cfg = await variant(root, "cfg", (x) => x);
    const c = JSON.parse(await readFile(join(cfg, "config.json"), "utf8"));
    await writeFile(join(cfg, "config.json"), JSON.stringify({ ...c, num_hidden_layers: c.num_hidden_layers + 1 }));
    await expect(mergeModels({ models: [a, cfg], out: join(root, "x") })).rejects.toThrow(/has num_hidden_layers \d+ but/);
    await expect(readdir(join(root, "x"))).rejects.toThrow(/ENOENT/);
    await expect(mergeModels({ models: [a, a], out: a })).rejects.toThrow(/already exists and is not empty/);
    await expect(mergeModels({ models: [a, a], weights: [1, -1], out: join(root, "x") })).rejects.toThrow(/weights must be positive/);
  });

  test("CLI: the embedded model merged with itself is itself; a mismatch exits 1 with one line", async () => {
    const root = await mkdtemp(join(tmpdir(), "merge-"));
    const out = join(root, "self");
    const r = await thinkrl(["merge", "--models", `${DEFAULT},${DEFAULT}`, "--weights", "3,2", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/merged \d+ tensors .*weights 0\.6000, 0\.4000\) into 1 shard in/);
    expect(await readSafetensors(join(out, "model.safetensors"))).toEqual(await readSafetensors(join(DEFAULT, "model.safetensors")));
    const bad = await thinkrl(["merge", "--models", DEFAULT, "--out", join(root, "y")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe("error: merge needs at least two models (got 1)");
  });
});
