/**
 * Hugging Face checkpoints as bytes: `config.json`, `model.safetensors` (or a sharded
 * `model.safetensors.index.json` + shards), `tokenizer.json`, `tokenizer_config.json`, `generation_config.json`.
 *
 * Browser-safe (no Node module): where the bytes come from is a `ModelFiles` source — a directory on disk
 * (`dirFiles` in `checkpoint.ts`, Node only), in-memory files (`memoryFiles`: an upload, a zip, a test) or a base URL
 * (`urlFiles`: e.g. `https://huggingface.co/<repo>/resolve/main/`). Saving is `encodeCheckpoint`: the files' bytes,
 * which `saveCheckpointFiles` writes atomically on Node and a browser can download or store.
 *
 * Tensor names are kept exactly as stored (`model.layers.0.self_attn.q_proj.weight`, …); mapping them onto the
 * model's parameters is the model's job.
 */
import { CheckpointError } from "../core/errors.js";
import { parseHfConfig, toHfConfig, type ModelConfig } from "./config.js";
import { encodeSafetensors, parseSafetensors, type Tensor, type WriteDtype } from "./safetensors.js";

export const CONFIG_FILE = "config.json";
export const WEIGHTS_FILE = "model.safetensors";
export const WEIGHTS_INDEX_FILE = "model.safetensors.index.json";
export const TOKENIZER_FILE = "tokenizer.json";
export const TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
export const GENERATION_CONFIG_FILE = "generation_config.json";

/** Read access to the files of one model directory, wherever they live. */
export interface ModelFiles {
  /**
   * Bytes of `name` (a `/`-separated path relative to the model directory), or null when there is no such file.
   * @throws CheckpointError when the file exists but cannot be read
   */
  read(name: string): Promise<Uint8Array | null>;
  /** Whether `name` exists, without reading it. */
  has(name: string): Promise<boolean>;
  /** How `name` is shown in messages (a path or URL); without `name`, the directory itself. */
  describe(name?: string): string;
}

/** One in-memory file: bytes, UTF-8 text, or a `Blob`/`File` (e.g. from an `<input type="file">`). */
export type FileContent = Uint8Array | ArrayBuffer | string | Blob;

/**
 * Model files held in memory, by relative path (`"config.json"`, `"model.safetensors"`, …).
 * @param label how the directory is named in error messages
 */
export function memoryFiles(files: Readonly<Record<string, FileContent>> | ReadonlyMap<string, FileContent>, label = "<memory>"): ModelFiles {
  const map = new Map<string, FileContent>(files instanceof Map ? files : Object.entries(files));
  return {
    async read(name) {
      const v = map.get(name);
      if (v === undefined) return null;
      if (typeof v === "string") return new TextEncoder().encode(v);
      if (v instanceof Uint8Array) return v;
      if (v instanceof ArrayBuffer) return new Uint8Array(v);
      return new Uint8Array(await v.arrayBuffer());
    },
    has: async (name) => map.has(name),
    describe: (name) => (name === undefined ? label : `${label}/${name}`),
  };
}

/**
 * Model files fetched over HTTP(S) relative to `baseUrl` (a trailing `/` is added when missing), e.g.
 * `https://huggingface.co/Qwen/Qwen2.5-0.5B/resolve/main/`. A 404 means the file does not exist.
 * @param opts.fetch the fetch function (default: the global one)
 */
export function urlFiles(baseUrl: string, opts: { fetch?: typeof fetch } = {}): ModelFiles {
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
  const get = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const url = (name: string) => new URL(name, base).href;
  const request = async (name: string, method: "GET" | "HEAD"): Promise<Response | null> => {
    let res: Response;
    try {
      res = await get(url(name), { method });
    } catch (e) {
      throw new CheckpointError(`cannot fetch ${url(name)}: ${(e as Error).message}`, { cause: e });
    }
    if (res.status === 404) return null;
    if (!res.ok) throw new CheckpointError(`cannot fetch ${url(name)}: HTTP ${res.status} ${res.statusText}`.trimEnd());
    return res;
  };
  return {
    async read(name) {
      const res = await request(name, "GET");
      return res === null ? null : new Uint8Array(await res.arrayBuffer());
    },
    has: async (name) => (await request(name, "HEAD")) !== null,
    describe: (name) => (name === undefined ? base : url(name)),
  };
}

/** A checkpoint as read: parsed config, float32 weights and the JSON side files. */
export interface CheckpointFiles {
  config: ModelConfig;
  /** All weights as float32, keyed by their HF names. */
  tensors: Map<string, Tensor>;
  tokenizerJson: unknown | null;
  tokenizerConfig: unknown | null;
  generationConfig: unknown | null;
}

/** UTF-8 text of `bytes` (a byte-order mark is kept, as Node's `readFile(…, "utf8")` does). */
export function utf8(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

/** Parsed JSON of `name`, or null when the file does not exist. @throws CheckpointError on invalid JSON. */
export async function readJsonFile(files: ModelFiles, name: string): Promise<unknown | null> {
  const bytes = await files.read(name);
  if (bytes === null) return null;
  try {
    return JSON.parse(utf8(bytes)) as unknown;
  } catch (e) {
    throw new CheckpointError(`${files.describe(name)} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Reads a checkpoint. Single-file weights (`model.safetensors`) win over a sharded index, as in `transformers`.
 * @throws CheckpointError when `config.json` is missing, any JSON file is invalid, there is no safetensors weights
 *   file, a shard named by the index is missing, or a shard lacks a tensor the index names.
 */
export async function readCheckpoint(files: ModelFiles): Promise<CheckpointFiles> {
  const configJson = await readJsonFile(files, CONFIG_FILE);
  if (configJson === null) {
    throw new CheckpointError(`missing ${CONFIG_FILE} in ${files.describe()}`, { hint: "is this a Hugging Face model directory?" });
  }
  const config = parseHfConfig(configJson, files.describe(CONFIG_FILE));
  const tensors = await readWeights(files);
  return {
    config,
    tensors,
    tokenizerJson: await readJsonFile(files, TOKENIZER_FILE),
    tokenizerConfig: await readJsonFile(files, TOKENIZER_CONFIG_FILE),
    generationConfig: await readJsonFile(files, GENERATION_CONFIG_FILE),
  };
}

async function readWeights(files: ModelFiles): Promise<Map<string, Tensor>> {
  const single = await files.read(WEIGHTS_FILE);
  if (single !== null) return parseSafetensors(single, files.describe(WEIGHTS_FILE));

  const indexPath = files.describe(WEIGHTS_INDEX_FILE);
  const index = await readJsonFile(files, WEIGHTS_INDEX_FILE);
  if (index === null) {
    const hasBin = (await files.has("pytorch_model.bin")) || (await files.has("pytorch_model.bin.index.json"));
    throw new CheckpointError(`no ${WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE} in ${files.describe()}`, {
      hint: hasBin ? "only PyTorch .bin weights found; re-save with save_pretrained(..., safe_serialization=True)" : undefined,
    });
  }
  const weightMap = (index as Record<string, unknown>)["weight_map"];
  if (weightMap === null || typeof weightMap !== "object" || Array.isArray(weightMap)) {
    throw new CheckpointError(`${indexPath}: weight_map is missing or not an object`);
  }
  const byShard = new Map<string, string[]>();
  for (const [name, file] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof file !== "string" || !isPlainRelative(file)) {
      throw new CheckpointError(`${indexPath}: weight_map["${name}"] is not a file name in the checkpoint directory (got ${JSON.stringify(file)})`);
    }
    byShard.set(file, [...(byShard.get(file) ?? []), name]);
  }
  const tensors = new Map<string, Tensor>();
  for (const [file, names] of byShard) {
    const bytes = await files.read(file);
    if (bytes === null) throw new CheckpointError(`shard ${file} listed in ${indexPath} is missing`);
    const path = files.describe(file);
    const shard = parseSafetensors(bytes, path);
    for (const name of names) {
      const t = shard.get(name);
      if (t === undefined) throw new CheckpointError(`${path}: tensor "${name}" listed in ${WEIGHTS_INDEX_FILE} is missing`);
      tensors.set(name, t);
    }
  }
  return tensors;
}

/**
 * True for a relative path that stays inside its directory: not absolute (`/x`, `\x`, `C:…`), not empty, and no
 * `..` that climbs above the start (`a/../b` is fine). Both `/` and `\` separate segments.
 */
export function isPlainRelative(p: string): boolean {
  if (p.length === 0 || p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:/.test(p)) return false;
  let depth = 0;
  for (const seg of p.split(/[\\/]/)) {
    if (seg === "" || seg === ".") continue;
    depth += seg === ".." ? -1 : 1;
    if (depth < 0) return false;
  }
  return depth > 0;
}

/** What a checkpoint is made of (`saveCheckpointFiles`, `encodeCheckpoint`). */
export interface SaveCheckpointOptions {
  config: ModelConfig;
  tensors: Map<string, Tensor> | Record<string, Tensor>;
  /** Storage dtype of `model.safetensors`; `config.json`'s torch_dtype is set to match. */
  dtype: WriteDtype;
  tokenizerJson?: unknown;
  tokenizerConfig?: unknown;
  generationConfig?: unknown;
  /**
   * More files, by path relative to the checkpoint directory (sub-folders allowed, no `..`), e.g.
   * `trainer_state.json` or `optimizer.safetensors`. Strings are written as UTF-8.
   */
  extraFiles?: Record<string, string | Uint8Array>;
}

/** One file of an encoded checkpoint: its relative path and its bytes (one buffer, or chunks to write in order). */
export interface EncodedFile {
  path: string;
  data: Uint8Array | string | readonly Uint8Array[];
}

/**
 * The files of a checkpoint, in writing order: `config.json`, `model.safetensors`, the JSON side files that are set,
 * then `extraFiles`. Weight chunks may alias the tensors' buffers (no copy): write them before changing the tensors.
 * @throws CheckpointError for an extra-file path that is absolute or leaves the directory, or bad tensors
 */
export function encodeCheckpoint(opts: SaveCheckpointOptions): EncodedFile[] {
  const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";
  const torchDtype = opts.dtype === "BF16" ? "bfloat16" : "float32";
  const out: EncodedFile[] = [
    { path: CONFIG_FILE, data: json(toHfConfig({ ...opts.config, torchDtype })) },
    { path: WEIGHTS_FILE, data: encodeSafetensors(opts.tensors, opts.dtype) },
  ];
  if (opts.tokenizerJson !== undefined && opts.tokenizerJson !== null) out.push({ path: TOKENIZER_FILE, data: json(opts.tokenizerJson) });
  if (opts.tokenizerConfig !== undefined && opts.tokenizerConfig !== null) out.push({ path: TOKENIZER_CONFIG_FILE, data: json(opts.tokenizerConfig) });
  if (opts.generationConfig !== undefined && opts.generationConfig !== null) out.push({ path: GENERATION_CONFIG_FILE, data: json(opts.generationConfig) });
  for (const [rel, content] of Object.entries(opts.extraFiles ?? {})) {
    if (!isPlainRelative(rel)) throw new CheckpointError(`saveCheckpointFiles: extra file path ${JSON.stringify(rel)} must be relative and stay inside the checkpoint`);
    out.push({ path: rel, data: content });
  }
  return out;
}
