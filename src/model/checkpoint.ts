/**
 * Checkpoint directories on disk (Node only): reading a Hugging Face model directory into memory, writing one
 * atomically, and safetensors files. The formats themselves are browser-safe bytes-in/bytes-out code in `files.ts`
 * and `safetensors.ts`; this module only moves bytes between them and the file system.
 */
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { CheckpointError } from "../core/errors.js";
import { encodeCheckpoint, readCheckpoint, type CheckpointFiles, type EncodedFile, type ModelFiles, type SaveCheckpointOptions } from "./files.js";
import { encodeSafetensors, parseSafetensors, type Tensor, type WriteDtype } from "./safetensors.js";

export {
  CONFIG_FILE,
  WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
  TOKENIZER_FILE,
  TOKENIZER_CONFIG_FILE,
  GENERATION_CONFIG_FILE,
  type CheckpointFiles,
  type SaveCheckpointOptions,
} from "./files.js";

/** Bytes of `path`, or null when it does not exist. @throws CheckpointError when it cannot be read. */
async function readOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CheckpointError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** The files of directory `dir` as a `ModelFiles` source (files are read on demand; messages show full paths). */
export function dirFiles(dir: string): ModelFiles {
  return {
    read: (name) => readOrNull(join(dir, name)),
    has: async (name) => (await stat(join(dir, name)).catch(() => null)) !== null,
    describe: (name) => (name === undefined ? dir : join(dir, name)),
  };
}

/**
 * `dirFiles(dir)` after checking that `dir` is a directory.
 * @throws CheckpointError when `dir` does not exist or is not a directory
 */
export async function openCheckpointDir(dir: string): Promise<ModelFiles> {
  const st = await stat(dir).catch(() => null);
  if (st === null) throw new CheckpointError(`checkpoint directory ${dir} does not exist`);
  if (!st.isDirectory()) throw new CheckpointError(`checkpoint path ${dir} is not a directory`);
  return dirFiles(dir);
}

/**
 * Loads a checkpoint directory (`readCheckpoint` over its files). Single-file weights (`model.safetensors`) win over
 * a sharded index, as in `transformers`.
 * @throws CheckpointError when the directory or `config.json` is missing, any JSON file is invalid, there is no
 *   safetensors weights file, a shard named by the index is missing, or a shard lacks a tensor the index names.
 */
export async function loadCheckpointFiles(dir: string): Promise<CheckpointFiles> {
  return readCheckpoint(await openCheckpointDir(dir));
}

/**
 * Saves a checkpoint directory atomically (the files of `encodeCheckpoint(opts)`).
 *
 * Everything is written into a sibling `<dir>.tmp-<pid>-<random>` first, which is then renamed to `dir`. When
 * `dir` already exists it is first renamed aside to `<dir>.old-<pid>-<random>`, and deleted once the new
 * directory is in place; so at every instant `dir` is either the complete old or the complete new checkpoint
 * (a crash between the two renames leaves the old one under its `.old-` name). On a write failure the
 * temporary directory is removed and `dir` is untouched.
 */
export async function saveCheckpointFiles(dir: string, opts: SaveCheckpointOptions): Promise<void> {
  await writeDirAtomic(dir, encodeCheckpoint(opts));
}

/**
 * Writes a directory of files atomically, as `saveCheckpointFiles` does (a sibling temporary directory renamed into
 * place; an existing `dir` is replaced whole). `files` are paths relative to `dir` (sub-directories are created).
 * @throws CheckpointError when a file cannot be written or the directory cannot be moved into place
 */
export async function writeDirAtomic(dir: string, files: Iterable<EncodedFile>): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(parent, `${basename(target)}.tmp-${tag}`);

  try {
    await mkdir(tmp);
    for (const { path: rel, data } of files) {
      const path = join(tmp, rel);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, data);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e instanceof CheckpointError ? e : new CheckpointError(`cannot write checkpoint ${dir}: ${(e as Error).message}`, { cause: e });
  }

  let old: string | null = null;
  if ((await stat(target).catch(() => null)) !== null) {
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

/** Reads a whole `.safetensors` file (`parseSafetensors`). @throws CheckpointError when missing or malformed. */
export async function readSafetensors(path: string): Promise<Map<string, Tensor>> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new CheckpointError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseSafetensors(buf, path);
}

/**
 * Writes tensors to `path` as safetensors (`encodeSafetensors`), in the given iteration order.
 * @param dtype storage dtype; BF16 rounds to nearest even.
 * @param metadata string map stored as `__metadata__`; `format: "pt"` is added unless given
 *   (transformers refuses safetensors files without a known format).
 * @throws CheckpointError when a tensor's data length does not match its shape.
 */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  dtype: WriteDtype,
  metadata: Record<string, string> = {},
): Promise<void> {
  const chunks = encodeSafetensors(tensors, dtype, metadata);
  const fh = await open(path, "w");
  try {
    for (const chunk of chunks) await fh.write(chunk);
  } finally {
    await fh.close();
  }
}
