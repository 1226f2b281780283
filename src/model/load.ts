/**
 * Loading a model directory (Hugging Face layout) into a `CausalLM`, and locating the embedded default model.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CheckpointError } from "../errors.js";
import { CausalLM } from "./causal-lm.js";
import { loadCheckpointFiles } from "./checkpoint.js";
import { paramsFromTensors } from "./params.js";
import { loadTokenizer } from "./tokenizer.js";

/**
 * @throws CheckpointError for a missing/malformed directory, config, weights or tokenizer
 */
export async function loadModel(dir: string): Promise<CausalLM> {
  const files = await loadCheckpointFiles(dir);
  if (files.tokenizerJson === null) throw new CheckpointError(`${join(dir, "tokenizer.json")} is missing`, { hint: "copy tokenizer.json from the model's Hub repository" });
  const tokenizer = loadTokenizer(files.tokenizerJson, files.tokenizerConfig ?? undefined);
  const params = paramsFromTensors(files.config, files.tensors);
  return new CausalLM(files.config, params, tokenizer);
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
