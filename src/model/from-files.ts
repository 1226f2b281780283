/**
 * A `CausalLM` from a model's files, wherever they live (`ModelFiles`: a directory on Node, memory or a URL in a
 * browser). Browser-safe; the Node directory loader is `loadModelFiles(dir)` in `load.ts`.
 */
import { CheckpointError } from "../core/errors.js";
import { CausalLM } from "./causal-lm.js";
import { specialTokenText } from "./chat-template.js";
import { GENERATION_CONFIG_FILE, readCheckpoint, TOKENIZER_FILE, utf8, type ModelFiles } from "./files.js";
import { effectiveEosIds, parseGenerationConfig, type GenerationConfig } from "./generation-config.js";
import { paramsFromTensors } from "./params.js";
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
 * Builds a model from a Hugging Face model directory's files: config.json, weights, tokenizer.json, and when present
 * tokenizer_config.json (kept on `model.tokenizer.config`, its chat template on `model.tokenizer.chatTemplate`),
 * chat_template.jinja and generation_config.json. `model.config.eosTokenId` is the effective EOS set
 * (`effectiveEosIds`: config.json ∪ generation_config.json ∪ tokenizer_config's `eos_token`), so a chat model
 * stops at its end-of-turn token. Needs an initialised engine (the weights become jax-js arrays).
 * @throws CheckpointError for a missing/malformed config, weights, tokenizer or generation_config.json
 */
export async function modelFromFiles(files: ModelFiles): Promise<LoadedModel> {
  const ck = await readCheckpoint(files);
  if (ck.tokenizerJson === null) throw new CheckpointError(`${files.describe(TOKENIZER_FILE)} is missing`, { hint: "copy tokenizer.json from the model's Hub repository" });
  const jinjaBytes = await files.read(CHAT_TEMPLATE_FILE);
  const tokenizer = loadTokenizer(ck.tokenizerJson, ck.tokenizerConfig ?? undefined, jinjaBytes === null ? null : utf8(jinjaBytes));
  const generationConfig = ck.generationConfig === null ? null : parseGenerationConfig(ck.generationConfig, files.describe(GENERATION_CONFIG_FILE));
  const eosText = specialTokenText(tokenizer.config?.eos_token);
  const config = { ...ck.config, eosTokenId: effectiveEosIds(ck.config, generationConfig, eosText === undefined ? undefined : tokenizer.tokenToId(eosText)) };
  const params = paramsFromTensors(config, ck.tensors);
  return { model: new CausalLM(config, params, tokenizer), generationConfig, generationConfigJson: ck.generationConfig };
}
