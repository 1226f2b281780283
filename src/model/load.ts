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
 * The shipped cold-start checkpoint of the Transformer² model (`model/t2.ts`, issue 18): character vocabulary, made by
 * `scripts/make-t2-model.ts` on the seen `t2-*` tasks plus classification examples.
 */
export function t2ModelDir(): string {
  return join(packageRoot(), "assets", "t2-model");
}

/**
 * The shipped checkpoint a built-in dataset runs on by default: the long-multiplication model for `multiplication`,
 * the Transformer² model when every task of the dataset (a name or a mix `a:2,b:1`) is a `t2-*` task, else the
 * embedded default model.
 */
export function builtinModelDirFor(dataset: string): string {
  if (dataset === "multiplication") return multiplicationModelDir();
  const tasks = dataset.split(",").map((t) => t.split(":")[0]!.trim());
  if (tasks.length > 0 && tasks.every((t) => /^t2-[a-z0-9-]+$/.test(t))) return t2ModelDir();
  return defaultModelDir();
}
