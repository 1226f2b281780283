/**
 * Loading a model directory on disk (Node only) into a `CausalLM`, and locating the embedded default model.
 * The loading itself is `modelFromFiles` (browser-safe, `from-files.ts`); this module supplies the directory.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CheckpointError } from "../core/errors.js";
import type { CausalLM } from "./causal-lm.js";
import { openCheckpointDir } from "./checkpoint.js";
import { modelFromFiles, type LoadedModel } from "./from-files.js";

export { CHAT_TEMPLATE_FILE, type LoadedModel } from "./from-files.js";

/**
 * Loads a Hugging Face model directory: `modelFromFiles` over the directory's files.
 * @throws CheckpointError for a missing/malformed directory, config, weights, tokenizer or generation_config.json
 */
export async function loadModelFiles(dir: string): Promise<LoadedModel> {
  return modelFromFiles(await openCheckpointDir(dir));
}

/**
 * `loadModelFiles(dir).model`.
 * @throws CheckpointError for a missing/malformed directory, config, weights or tokenizer
 */
export async function loadModel(dir: string): Promise<CausalLM> {
  return (await loadModelFiles(dir)).model;
}

/** Root of the installed thinkrl package (works from `src/` under tsx/vitest and from `dist/src/`). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pj = join(dir, "package.json");
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, "utf8")) as { name?: string }).name === "thinkrl") return dir;
    dir = dirname(dir);
  }
  throw new CheckpointError("cannot locate the thinkrl package directory");
}

/** Directory of the shipped cold-start checkpoint of the embedded default model (`scripts/make-default-model.ts`). */
export function defaultModelDir(): string {
  return join(packageRoot(), "assets", "default-model");
}

/**
 * The shipped cold-start checkpoint for the long-multiplication task (partial rollouts, docs/kimi.md): the embedded
 * model's vocabulary at d64 with 512 positions, made by `scripts/make-default-model.ts --task multiplication`.
 */
export function multiplicationModelDir(): string {
  return join(packageRoot(), "assets", "multiplication-model");
}

/**
 * The shipped checkpoint a built-in dataset is read by when no `--model` is given: the long-multiplication model
 * for `multiplication`, else the embedded default model.
 */
export function datasetModelDir(dataset: string): string {
  return dataset === "multiplication" ? multiplicationModelDir() : defaultModelDir();
}
