/**
 * Hugging Face checkpoint directories: `config.json`, `model.safetensors` (or a sharded
 * `model.safetensors.index.json` + shards), `tokenizer.json`, `tokenizer_config.json`, `generation_config.json`.
 *
 * Tensor names are kept exactly as stored (`model.layers.0.self_attn.q_proj.weight`, …); mapping them onto the
 * model's parameters is the model's job.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from "node:path";
import { CheckpointError } from "../core/errors.js";
import { parseHfConfig, toHfConfig, type ModelConfig } from "./config.js";
import { readSafetensors, writeSafetensors, type Tensor, type WriteDtype } from "./safetensors.js";

export const CONFIG_FILE = "config.json";
export const WEIGHTS_FILE = "model.safetensors";
export const WEIGHTS_INDEX_FILE = "model.safetensors.index.json";
export const TOKENIZER_FILE = "tokenizer.json";
export const TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
export const GENERATION_CONFIG_FILE = "generation_config.json";

export interface CheckpointFiles {
  config: ModelConfig;
  /** All weights as float32, keyed by their HF names. */
  tensors: Map<string, Tensor>;
  tokenizerJson: unknown | null;
  tokenizerConfig: unknown | null;
  generationConfig: unknown | null;
}

/**
 * Loads a checkpoint directory. Single-file weights (`model.safetensors`) win over a sharded index, as in
 * `transformers`.
 * @throws CheckpointError when the directory or `config.json` is missing, any JSON file is invalid, there is no
 *   safetensors weights file, a shard named by the index is missing, or a shard lacks a tensor the index names.
 */
export async function loadCheckpointFiles(dir: string): Promise<CheckpointFiles> {
  const st = await stat(dir).catch(() => null);
  if (st === null) throw new CheckpointError(`checkpoint directory ${dir} does not exist`);
  if (!st.isDirectory()) throw new CheckpointError(`checkpoint path ${dir} is not a directory`);

  const configJson = await readJson(join(dir, CONFIG_FILE));
  if (configJson === null) {
    throw new CheckpointError(`missing ${CONFIG_FILE} in ${dir}`, { hint: "is this a Hugging Face model directory?" });
  }
  const config = parseHfConfig(configJson, join(dir, CONFIG_FILE));
  const tensors = await loadWeights(dir);
  return {
    config,
    tensors,
    tokenizerJson: await readJson(join(dir, TOKENIZER_FILE)),
    tokenizerConfig: await readJson(join(dir, TOKENIZER_CONFIG_FILE)),
    generationConfig: await readJson(join(dir, GENERATION_CONFIG_FILE)),
  };
}

async function loadWeights(dir: string): Promise<Map<string, Tensor>> {
  const single = join(dir, WEIGHTS_FILE);
  if (existsSync(single)) return readSafetensors(single);

  const indexPath = join(dir, WEIGHTS_INDEX_FILE);
  const index = await readJson(indexPath);
  if (index === null) {
    const hasBin = existsSync(join(dir, "pytorch_model.bin")) || existsSync(join(dir, "pytorch_model.bin.index.json"));
    throw new CheckpointError(`no ${WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE} in ${dir}`, {
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
    const path = join(dir, file);
    if (!existsSync(path)) throw new CheckpointError(`shard ${file} listed in ${indexPath} is missing`);
    const shard = await readSafetensors(path);
    for (const name of names) {
      const t = shard.get(name);
      if (t === undefined) throw new CheckpointError(`${path}: tensor "${name}" listed in ${WEIGHTS_INDEX_FILE} is missing`);
      tensors.set(name, t);
    }
  }
  return tensors;
}

/** Parsed JSON of `path`, or null when the file does not exist. @throws CheckpointError on invalid JSON. */
async function readJson(path: string): Promise<unknown | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CheckpointError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CheckpointError(`${path} is not valid JSON (${(e as Error).message})`);
  }
}

/** True for a relative path that stays inside its directory (no absolute paths, no `..`). */
function isPlainRelative(p: string): boolean {
  if (p.length === 0 || isAbsolute(p)) return false;
  const n = normalize(p);
  return n !== ".." && !n.startsWith(`..${sep}`) && n !== ".";
}

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

/**
 * Saves a checkpoint directory atomically.
 *
 * Everything is written into a sibling `<dir>.tmp-<pid>-<random>` first, which is then renamed to `dir`. When
 * `dir` already exists it is first renamed aside to `<dir>.old-<pid>-<random>`, and deleted once the new
 * directory is in place; so at every instant `dir` is either the complete old or the complete new checkpoint
 * (a crash between the two renames leaves the old one under its `.old-` name). On a write failure the
 * temporary directory is removed and `dir` is untouched.
 */
export async function saveCheckpointFiles(dir: string, opts: SaveCheckpointOptions): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(parent, `${basename(target)}.tmp-${tag}`);

  try {
    await mkdir(tmp);
    const torchDtype = opts.dtype === "BF16" ? "bfloat16" : "float32";
    await writeJson(join(tmp, CONFIG_FILE), toHfConfig({ ...opts.config, torchDtype }));
    await writeSafetensors(join(tmp, WEIGHTS_FILE), opts.tensors, opts.dtype);
    if (opts.tokenizerJson !== undefined && opts.tokenizerJson !== null) await writeJson(join(tmp, TOKENIZER_FILE), opts.tokenizerJson);
    if (opts.tokenizerConfig !== undefined && opts.tokenizerConfig !== null) await writeJson(join(tmp, TOKENIZER_CONFIG_FILE), opts.tokenizerConfig);
    if (opts.generationConfig !== undefined && opts.generationConfig !== null) await writeJson(join(tmp, GENERATION_CONFIG_FILE), opts.generationConfig);
    for (const [rel, content] of Object.entries(opts.extraFiles ?? {})) {
      if (!isPlainRelative(rel)) throw new CheckpointError(`saveCheckpointFiles: extra file path ${JSON.stringify(rel)} must be relative and stay inside the checkpoint`);
      const path = join(tmp, rel);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e instanceof CheckpointError ? e : new CheckpointError(`cannot write checkpoint ${dir}: ${(e as Error).message}`, { cause: e });
  }

  let old: string | null = null;
  if (existsSync(target)) {
    old = join(parent, `${basename(target)}.old-${tag}`);
    await rename(target, old);
  }
  try {
    await rename(tmp, target);
  } catch (e) {
    if (old !== null) await rename(old, target).catch(() => undefined); // put the previous checkpoint back
    await rm(tmp, { recursive: true, force: true });
    throw new CheckpointError(`cannot move checkpoint into ${dir}: ${(e as Error).message}`, { cause: e });
  }
  if (old !== null) await rm(old, { recursive: true, force: true });
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2) + "\n");
}
