/**
 * Models and checkpoints from in-memory files (the browser path): the same tensors, config and generations as
 * loading the directory on Node, round trips through `encodeCheckpoint`, and the URL source's error handling.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CheckpointError } from "../../src/core/errors.js";
import { initEngine } from "../../src/engine/init.js";
import { loadCheckpointFiles } from "../../src/model/checkpoint.js";
import { defaultModelConfig } from "../../src/model/default.js";
import { encodeCheckpoint, isPlainRelative, memoryFiles, readCheckpoint, urlFiles, type FileContent } from "../../src/model/files.js";

await initEngine("wasm", { threads: 1 });
const { Rng } = await import("../../src/core/rng.js");
const { defaultModelDir, loadModel } = await import("../../src/model/load.js");
const { modelFromFiles } = await import("../../src/model/from-files.js");
const { generate } = await import("../../src/rollout/generate.js");

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "hf");

/** Every file of `dir`, read into memory (what a browser gets from an upload or a fetch). */
async function inMemory(dir: string): Promise<Record<string, FileContent>> {
  const out: Record<string, FileContent> = {};
  for (const name of await readdir(dir)) out[name] = new Uint8Array(await readFile(join(dir, name)));
  return out;
}

describe("readCheckpoint over memoryFiles", () => {
  test.each(["tiny-llama", "tiny-qwen2-sharded"])("%s: same config and tensors as loadCheckpointFiles(dir)", async (name) => {
    const dir = join(FIXTURES, name);
    const fromDisk = await loadCheckpointFiles(dir);
    const fromMemory = await readCheckpoint(memoryFiles(await inMemory(dir)));
    expect(fromMemory.config).toEqual(fromDisk.config);
    expect([...fromMemory.tensors.keys()].sort()).toEqual([...fromDisk.tensors.keys()].sort());
    for (const [k, t] of fromDisk.tensors) expect(fromMemory.tensors.get(k)).toEqual(t);
    expect(fromMemory.tokenizerJson).toEqual(fromDisk.tokenizerJson);
  });

  test("errors name the in-memory file", async () => {
    const files = await inMemory(join(FIXTURES, "tiny-llama"));
    await expect(readCheckpoint(memoryFiles({}, "upload"))).rejects.toThrow("missing config.json in upload");
    await expect(readCheckpoint(memoryFiles({ ...files, "config.json": "{" }, "upload"))).rejects.toThrow(/^upload\/config\.json is not valid JSON/);
    const { ["tokenizer.json"]: _, ...noTokenizer } = files;
    await expect(modelFromFiles(memoryFiles(noTokenizer, "upload"))).rejects.toThrow("upload/tokenizer.json is missing");
  });
});

test("modelFromFiles(memory) generates exactly what loadModel(dir) does", async () => {
  const dir = defaultModelDir();
  const a = await loadModel(dir);
  const b = (await modelFromFiles(memoryFiles(await inMemory(dir)))).model;
  expect(b.config).toEqual(a.config);
  const prompts = [a.tokenizer.encode("12+30"), a.tokenizer.encode("7*8")];
  const opts = { maxNewTokens: 12, temperature: 0.8, topK: 0, topP: 1 };
  expect(await generate(b, prompts, opts, new Rng(3))).toEqual(await generate(a, prompts, opts, new Rng(3)));
  a.dispose();
  b.dispose();
});

describe("encodeCheckpoint", () => {
  test("round-trips through readCheckpoint with the side files", async () => {
    const src = await loadCheckpointFiles(join(FIXTURES, "tiny-llama"));
    const encoded = encodeCheckpoint({
      config: src.config,
      tensors: src.tensors,
      dtype: "F32",
      tokenizerJson: src.tokenizerJson,
      generationConfig: { eos_token_id: 2 },
      extraFiles: { "sub/notes.txt": "hi" },
    });
    expect(encoded.map((f) => f.path)).toEqual(["config.json", "model.safetensors", "tokenizer.json", "generation_config.json", "sub/notes.txt"]);
    const files: Record<string, FileContent> = {};
    for (const f of encoded) {
      const parts = typeof f.data === "string" ? [new TextEncoder().encode(f.data)] : f.data instanceof Uint8Array ? [f.data] : f.data;
      files[f.path] = new Uint8Array(await new Blob(parts.map((p) => p.slice())).arrayBuffer());
    }
    const back = await readCheckpoint(memoryFiles(files));
    expect(back.config).toEqual({ ...src.config, torchDtype: "float32" });
    for (const [k, t] of src.tensors) expect(back.tensors.get(k)).toEqual(t);
    expect(back.generationConfig).toEqual({ eos_token_id: 2 });
  });

  test("refuses extra files outside the checkpoint", () => {
    const c = { config: defaultModelConfig(), tensors: {}, dtype: "F32" as const };
    for (const bad of ["../x", "/etc/x", "a/../../x", "C:\\x", ""]) {
      expect(() => encodeCheckpoint({ ...c, extraFiles: { [bad]: "x" } })).toThrow(/must be relative and stay inside the checkpoint/);
    }
  });
});

test("isPlainRelative: stays inside the directory", () => {
  for (const ok of ["a", "a/b.json", "a/../b", "./a", "a\\b"]) expect(isPlainRelative(ok)).toBe(true);
  for (const bad of ["", ".", "..", "../a", "a/../..", "/a", "\\a", "C:a", "./"]) expect(isPlainRelative(bad)).toBe(false);
});

describe("urlFiles", () => {
  const served = new Map<string, Uint8Array>([["https://hub.test/m/config.json", new TextEncoder().encode("{}")]]);
  const fake = (async (url: string | URL | Request, init?: RequestInit) => {
    const u = String(url);
    if (u.endsWith("/boom")) return new Response("no", { status: 500, statusText: "Internal Server Error" });
    const body = served.get(u);
    if (body === undefined) return new Response("not found", { status: 404 });
    return new Response(init?.method === "HEAD" ? null : body.slice(), { status: 200 });
  }) as typeof fetch;

  test("fetches relative to the base URL; 404 is a missing file", async () => {
    const files = urlFiles("https://hub.test/m", { fetch: fake });
    expect(files.describe("config.json")).toBe("https://hub.test/m/config.json");
    expect(new TextDecoder().decode((await files.read("config.json"))!)).toBe("{}");
    expect(await files.read("tokenizer.json")).toBeNull();
    expect(await files.has("config.json")).toBe(true);
    expect(await files.has("model.safetensors")).toBe(false);
  });

  test("other HTTP failures are CheckpointErrors naming the URL", async () => {
    const files = urlFiles("https://hub.test/m/", { fetch: fake });
    await expect(files.read("boom")).rejects.toThrow(CheckpointError);
    await expect(files.read("boom")).rejects.toThrow("cannot fetch https://hub.test/m/boom: HTTP 500 Internal Server Error");
  });
});
