/**
 * `thinkrl merge`: linear model merging, θ = Σ wᵢθᵢ / Σ wᵢ per tensor (Kimi k1.5 §2.4, "model merging": averaging
 * a long-CoT and a short-CoT model; mergekit's `linear` method with its default `normalize: true`).
 *
 * Streaming: tensors are read from the inputs' safetensors files by byte range, `CHUNK_ELEMENTS` values at a time,
 * and written straight into the output shards, so memory stays at a few chunks whatever the model size (two 7B
 * bf16 checkpoints do not fit in 24 GiB). Sharded inputs (`model.safetensors.index.json`) are read; the output is
 * one `model.safetensors` or, above `maxShardBytes`, `model-0000i-of-0000n.safetensors` shards with an index, as
 * transformers' `save_pretrained` writes them.
 *
 * Dtype: each tensor is stored in the first model's dtype for it (F32, F16 or BF16); Σ wᵢθᵢ / Σ wᵢ runs in float64,
 * is rounded to float32 and then to that dtype (f16, bf16: round to nearest even, as PyTorch). Every other file of the first model (config, tokenizer,
 * chat template, generation config) is copied. The output directory is written under a temporary name and renamed.
 */
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Float16Array } from "@petamoriken/float16";
import { CheckpointError, ConfigError } from "../core/errors.js";
import type { RunLog } from "../core/log.js";
import { f32ToBf16Bits, numel } from "../model/safetensors.js";
import { CONFIG_FILE, WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from "../model/files.js";

/** Dtypes a merge reads and writes. */
type MergeDtype = "F32" | "F16" | "BF16";
const BYTES: Record<MergeDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** Values merged per read (per input): 4M values = 16 MiB of f32 per input. */
export const CHUNK_ELEMENTS = 1 << 22;
/** transformers' default `max_shard_size` ("5GB"). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

/** Config keys that must agree for two checkpoints to be merged (architecture and every shape-defining size). */
const SAME_CONFIG_KEYS = ["architectures", "model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size", "tie_word_embeddings"];

/** Where one tensor lives in a checkpoint. */
interface TensorEntry {
  name: string;
  dtype: MergeDtype;
  shape: number[];
  file: string;
  /** Absolute byte offset of the tensor's first byte in `file`. */
  start: number;
}

export interface MergeOptions {
  /** Model directories (Hugging Face layout), at least two. */
  models: string[];
  /** One positive weight per model (mergekit `linear`; normalised by their sum). Default: equal weights. */
  weights?: number[];
  /** Output directory (must not exist, or be empty, unless `overwrite`). */
  out: string;
  overwrite?: boolean;
  /** Largest output shard in bytes. Default `DEFAULT_MAX_SHARD_BYTES`. */
  maxShardBytes?: number;
  log?: RunLog;
}

export interface MergeSummary {
  out: string;
  tensors: number;
  /** Parameters (elements) written. */
  parameters: number;
  shards: number;
  /** Normalised weights wᵢ / Σ w. */
  weights: number[];
  seconds: number;
}

/**
 * Reads the tensor table of a model directory (single file or sharded index) without reading any tensor data.
 * @throws CheckpointError when no weights are found, a header is malformed or a dtype is not F32/F16/BF16
 */
export async function readTensorTable(dir: string): Promise<Map<string, TensorEntry>> {
  const indexPath = join(dir, WEIGHTS_INDEX_FILE);
  let files: string[];
  try {
    const index = JSON.parse(await readFile(indexPath, "utf8")) as { weight_map?: Record<string, string> };
    if (index.weight_map === undefined || typeof index.weight_map !== "object") throw new CheckpointError(`${indexPath}: no weight_map`);
    files = [...new Set(Object.values(index.weight_map))].map((f) => join(dir, f));
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new CheckpointError(`${indexPath}: ${(e as Error).message}`);
    files = [join(dir, WEIGHTS_FILE)];
  }
  const table = new Map<string, TensorEntry>();
  for (const file of files) {
    for (const t of await readHeader(file)) {
      if (table.has(t.name)) throw new CheckpointError(`${dir}: tensor "${t.name}" appears in two shards`);
      table.set(t.name, t);
    }
  }
  return table;
}

async function readHeader(file: string): Promise<TensorEntry[]> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch (e) {
    throw new CheckpointError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(8);
    await fh.read(head, 0, 8, 0);
    const len = head.readBigUInt64LE(0);
    if (size < 8 || len > BigInt(size - 8)) throw new CheckpointError(`${file}: not a safetensors file: header length ${len} exceeds the file size ${size}`);
    const n = Number(len);
    const json = Buffer.alloc(n);
    await fh.read(json, 0, n, 8);
    let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
    try {
      header = JSON.parse(json.toString("utf8"));
    } catch (e) {
      throw new CheckpointError(`${file}: header is not valid JSON (${(e as Error).message})`);
    }
    const out: TensorEntry[] = [];
    for (const [name, info] of Object.entries(header)) {
      if (name === "__metadata__") continue;
      const dtype = info?.dtype as MergeDtype;
      if (!(dtype in BYTES)) throw new CheckpointError(`${file}: tensor "${name}" has dtype ${JSON.stringify(info?.dtype)}; merge reads F32, F16 and BF16`);
      const shape = info.shape ?? [];
      const [b, e] = info.data_offsets ?? [-1, -1];
      if (e - b !== numel(shape) * BYTES[dtype] || 8 + n + e > size) throw new CheckpointError(`${file}: tensor "${name}" has data_offsets [${b}, ${e}] that do not fit ${dtype}[${shape.join(", ")}] in the file`);
      out.push({ name, dtype, shape: [...shape], file, start: 8 + n + b });
    }
    return out;
  } finally {
    await fh.close();
  }
}

/**
 * Merges `models` linearly into `out` (see the module comment).
 * @throws ConfigError for fewer than two models, bad weights, or an existing non-empty `out` without `overwrite`
 * @throws CheckpointError naming the tensor (or config key) when the models differ in architecture, tensor names or
 *   shapes — before anything is written
 */
export async function mergeModels(o: MergeOptions): Promise<MergeSummary> {
  const t0 = performance.now();
  if (o.models.length < 2) throw new ConfigError(`merge needs at least two models (got ${o.models.length})`);
  const raw = o.weights ?? o.models.map(() => 1);
  if (raw.length !== o.models.length) throw new ConfigError(`merge: ${o.models.length} models but ${raw.length} weights`);
  if (!raw.every((w) => Number.isFinite(w) && w > 0)) throw new ConfigError(`merge: weights must be positive numbers (got ${raw.join(", ")})`);
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  const maxShard = o.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!(maxShard > 0)) throw new ConfigError(`merge: max shard size must be > 0 (got ${maxShard})`);
  await checkOut(o.out, o.overwrite === true);

  // Check everything first: configs, tensor names, shapes.
  const configs = await Promise.all(o.models.map(readConfig));
  for (let m = 1; m < o.models.length; m++) {
    for (const k of SAME_CONFIG_KEYS) {
      if (JSON.stringify(configs[m]![k]) !== JSON.stringify(configs[0]![k])) {
        throw new CheckpointError(`merge: ${o.models[m]} has ${k} ${JSON.stringify(configs[m]![k])} but ${o.models[0]} has ${JSON.stringify(configs[0]![k])}`);
      }
    }
  }
  const tables = await Promise.all(o.models.map(readTensorTable));
  const first = tables[0]!;
  for (let m = 1; m < tables.length; m++) {
    for (const [name, t] of first) {
      const u = tables[m]!.get(name);
      if (u === undefined) throw new CheckpointError(`merge: tensor "${name}" of ${o.models[0]} is missing from ${o.models[m]}`);
      if (u.shape.join(",") !== t.shape.join(",")) throw new CheckpointError(`merge: tensor "${name}" is [${t.shape.join(", ")}] in ${o.models[0]} but [${u.shape.join(", ")}] in ${o.models[m]}`);
    }
    for (const name of tables[m]!.keys()) if (!first.has(name)) throw new CheckpointError(`merge: tensor "${name}" of ${o.models[m]} is missing from ${o.models[0]}`);
  }

  // Shards: tensors in name order, cut when the next one would pass maxShard (a tensor larger than it gets its own).
  const names = [...first.keys()].sort();
  const shards: string[][] = [[]];
  let bytes = 0;
  for (const name of names) {
    const t = first.get(name)!;
    const b = numel(t.shape) * BYTES[t.dtype];
    if (bytes > 0 && bytes + b > maxShard) {
      shards.push([]);
      bytes = 0;
    }
    shards.at(-1)!.push(name);
    bytes += b;
  }
  const shardName = (i: number) => (shards.length === 1 ? WEIGHTS_FILE : `model-${String(i + 1).padStart(5, "0")}-of-${String(shards.length).padStart(5, "0")}.safetensors`);

  const tmp = join(dirname(o.out), `.${basename(o.out)}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const inputs = new Map<string, FileHandle>();
  let parameters = 0;
  let done = 0;
  try {
    for (const t of tables.flatMap((tb) => [...tb.values()])) if (!inputs.has(t.file)) inputs.set(t.file, await open(t.file, "r"));
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (let s = 0; s < shards.length; s++) {
      const fh = await open(join(tmp, shardName(s)), "w");
      try {
        const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
        let off = 0;
        for (const name of shards[s]!) {
          const t = first.get(name)!;
          const b = numel(t.shape) * BYTES[t.dtype];
          header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + b] };
          off += b;
          weightMap[name] = shardName(s);
        }
        totalSize += off;
        let json = Buffer.from(JSON.stringify(header), "utf8");
        const padded = Math.ceil(json.length / 8) * 8;
        if (padded !== json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
        const prefix = Buffer.alloc(8);
        prefix.writeBigUInt64LE(BigInt(json.length));
        await fh.write(prefix);
        await fh.write(json);
        for (const name of shards[s]!) {
          const n = numel(first.get(name)!.shape);
          for (let c0 = 0; c0 < n; c0 += CHUNK_ELEMENTS) {
            const c1 = Math.min(n, c0 + CHUNK_ELEMENTS);
            const acc = new Float64Array(c1 - c0);
            for (let m = 0; m < tables.length; m++) {
              const t = tables[m]!.get(name)!;
              const x = await readChunk(inputs.get(t.file)!, t, c0, c1);
              const w = raw[m]!;
              for (let i = 0; i < acc.length; i++) acc[i]! += w * x[i]!;
            }
            for (let i = 0; i < acc.length; i++) acc[i]! /= total;
            await fh.write(encodeChunk(Float32Array.from(acc), first.get(name)!.dtype));
          }
          parameters += n;
          o.log?.progress(`merge: ${++done}/${names.length} tensors`);
        }
      } finally {
        await fh.close();
      }
    }
    if (shards.length > 1) {
      await writeFile(join(tmp, WEIGHTS_INDEX_FILE), JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2));
    }
    // The first model's other files: config, tokenizer, chat template, generation config.
    for (const f of await readdir(o.models[0]!)) {
      if (f.endsWith(".safetensors") || f === WEIGHTS_INDEX_FILE) continue;
      const p = join(o.models[0]!, f);
      if ((await stat(p)).isFile()) await copyFile(p, join(tmp, f));
    }
    await rm(o.out, { recursive: true, force: true });
    await rename(tmp, o.out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    for (const fh of inputs.values()) await fh.close();
  }
  return { out: o.out, tensors: names.length, parameters, shards: shards.length, weights, seconds: (performance.now() - t0) / 1000 };
}

async function readConfig(dir: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(join(dir, CONFIG_FILE), "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`merge: cannot read ${join(dir, CONFIG_FILE)}: ${(e as Error).message}`);
  }
}

async function checkOut(out: string, overwrite: boolean): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new ConfigError(`merge: --out ${out} is not a directory (${(e as Error).message})`);
  }
  if (entries.length > 0 && !overwrite) throw new ConfigError(`merge: ${out} already exists and is not empty`, { hint: "--overwrite to replace it, or another --out" });
}

/** Values [c0, c1) of tensor `t` as float32. */
async function readChunk(fh: FileHandle, t: TensorEntry, c0: number, c1: number): Promise<Float32Array> {
  const size = BYTES[t.dtype];
  const buf = Buffer.alloc((c1 - c0) * size);
  const { bytesRead } = await fh.read(buf, 0, buf.length, t.start + c0 * size);
  if (bytesRead !== buf.length) throw new CheckpointError(`${t.file}: tensor "${t.name}" is truncated`);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
  if (t.dtype === "F32") return new Float32Array(ab);
  if (t.dtype === "F16") return Float32Array.from(new Float16Array(ab));
  const u16 = new Uint16Array(ab);
  const u32 = new Uint32Array(u16.length);
  for (let i = 0; i < u16.length; i++) u32[i] = u16[i]! << 16;
  return new Float32Array(u32.buffer);
}

/** float32 values → little-endian bytes of `dtype` (f16 and bf16 round to nearest even). */
function encodeChunk(x: Float32Array, dtype: MergeDtype): Uint8Array {
  if (dtype === "F32") return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  if (dtype === "BF16") return new Uint8Array(f32ToBf16Bits(x).buffer);
  return new Uint8Array(new Float16Array(x).buffer);
}
