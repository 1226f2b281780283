/**
 * Loading a model directory (Hugging Face layout) into a `CausalLM`, and locating the embedded default model.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CheckpointError } from "../core/errors.js";
import { CausalLM } from "./causal-lm.js";
import { loadCheckpointFiles } from "./checkpoint.js";
import { paramsFromTensors } from "./params.js";
import { specialTokenText } from "./chat-template.js";
import { effectiveEosIds, parseGenerationConfig, type GenerationConfig } from "./generation-config.js";
import { loadTokenizer } from "./tokenizer.js";

/** `chat_template.jinja`: where newer transformers save the chat template (it wins over tokenizer_config.json). */
export const CHAT_TEMPLATE_FILE = "chat_template.jinja";

/** A loaded model plus the files that are not part of `CausalLM`. */
export interface LoadedModel {
  model: CausalLM;
  /** Parsed generation_config.json, or null when the directory has none. */
  generationConfig: GenerationConfig | null;
  /** generation_config.json as read (for saving it back with a checkpoint), or null. */
  generationConfigJson: unknown | null;
}

/**
 * Loads a Hugging Face model directory: config.json, weights, tokenizer.json, and when present
 * tokenizer_config.json (kept on `model.tokenizer.config`, its chat template on `model.tokenizer.chatTemplate`),
 * chat_template.jinja and generation_config.json. `model.config.eosTokenId` is the effective EOS set
 * (`effectiveEosIds`: config.json ∪ generation_config.json ∪ tokenizer_config's `eos_token`), so a chat model
 * stops at its end-of-turn token.
 * @throws CheckpointError for a missing/malformed directory, config, weights, tokenizer or generation_config.json
 */
export async function loadModelFiles(dir: string): Promise<LoadedModel> {
  const files = await loadCheckpointFiles(dir);
  if (files.tokenizerJson === null) throw new CheckpointError(`${join(dir, "tokenizer.json")} is missing`, { hint: "copy tokenizer.json from the model's Hub repository" });
  const jinjaPath = join(dir, CHAT_TEMPLATE_FILE);
  const jinja = existsSync(jinjaPath) ? readFileSync(jinjaPath, "utf8") : null;
  const tokenizer = loadTokenizer(files.tokenizerJson, files.tokenizerConfig ?? undefined, jinja);
  const generationConfig = files.generationConfig === null ? null : parseGenerationConfig(files.generationConfig, join(dir, "generation_config.json"));
  const eosText = specialTokenText(tokenizer.config?.eos_token);
  const config = { ...files.config, eosTokenId: effectiveEosIds(files.config, generationConfig, eosText === undefined ? undefined : tokenizer.tokenToId(eosText)) };
  const params = paramsFromTensors(config, files.tensors);
  return { model: new CausalLM(config, params, tokenizer), generationConfig, generationConfigJson: files.generationConfig };
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
