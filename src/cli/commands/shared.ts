/** Helpers shared by CLI commands: engine start-up (the CLI's job, never the library's) and model loading. */
import type { CausalLM } from "../../model/causal-lm.js";
import type { GenerationConfig } from "../../model/generation-config.js";

/**
 * Refuses a run directory given as `--model` (`assertNotRunDir`: before the slow start), then starts the engine on
 * the `--device` the user chose.
 * @param model the model directory, or null for the embedded model
 */
export async function startEngineFor(model: string | null): Promise<void> {
  const { assertNotRunDir } = await import("../../pipeline/samplers.js");
  if (model !== null) await assertNotRunDir(model);
  const { initEngine } = await import("../../engine/init.js");
  await initEngine((await import("../device.js")).deviceChoice());
}

/**
 * Starts the engine and loads `--model` (the embedded model when undefined), with its generation_config.json.
 * @throws CheckpointError for a bad model directory, or a thinkrl run directory (with a hint naming its model)
 */
export async function openModel(dir: unknown): Promise<{ model: CausalLM; isDefault: boolean; generationConfig: GenerationConfig | null }> {
  const isDefault = dir === undefined;
  await startEngineFor(isDefault ? null : String(dir));
  const { defaultModelDir, loadModelFiles } = await import("../../model/load.js");
  const { model, generationConfig } = await loadModelFiles(isDefault ? defaultModelDir() : String(dir));
  return { model, isDefault, generationConfig };
}
