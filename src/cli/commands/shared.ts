/** Helpers shared by CLI commands: engine start-up and model selection. */
import { PROMPT_FORMATS, type PromptFormat } from "../../data/template.js";
import { ThinkrlError } from "../../errors.js";
import type { CausalLM } from "../../model/causal-lm.js";
import type { GenerationConfig } from "../../model/generation-config.js";

/**
 * Starts the engine and loads `--model` (the embedded model when undefined), with its generation_config.json.
 * @throws CheckpointError for a bad model directory
 */
export async function openModel(dir: unknown): Promise<{ model: CausalLM; isDefault: boolean; generationConfig: GenerationConfig | null }> {
  const { initEngine } = await import("../../engine/init.js");
  await initEngine((await import("../device.js")).deviceChoice());
  const { defaultModelDir, loadModelFiles } = await import("../../model/load.js");
  const isDefault = dir === undefined;
  const { model, generationConfig } = await loadModelFiles(isDefault ? defaultModelDir() : String(dir));
  return { model, isDefault, generationConfig };
}

/**
 * The `--format` flag, or the model's default (`defaultPromptFormat`: chat for models with a chat template,
 * compact for the embedded model's vocabulary, else r1-zero; r1-zero when there is no local model, e.g. an
 * endpoint).
 * @throws ThinkrlError for an unknown format, or `chat` without a local model (an endpoint's chat API applies
 *   its own template)
 */
export async function pickFormat(flag: unknown, model: CausalLM | null, allowRaw = false): Promise<PromptFormat | "raw"> {
  if (flag === undefined) {
    if (model === null) return "r1-zero";
    const { defaultPromptFormat } = await import("../../rollout/prompt.js");
    return defaultPromptFormat(model);
  }
  const ok: string[] = [...PROMPT_FORMATS, ...(allowRaw ? ["raw"] : [])];
  if (!ok.includes(String(flag))) throw new ThinkrlError(`--format must be one of ${ok.join(", ")} (got "${String(flag)}")`);
  if (flag === "chat" && model === null) {
    throw new ThinkrlError("--format chat needs a local model (--model) with a chat template", { hint: "with an endpoint, use --endpoint-api chat: the server applies the model's template" });
  }
  return flag as PromptFormat | "raw";
}

/** The endpoint fields every command reads from the same flags (`--endpoint`, `--endpoint-model`, …). */
export function endpointFlags(o: Record<string, unknown>): {
  baseUrl: string;
  model: string;
  api: "chat" | "completions" | undefined;
  apiKeyEnv: string | undefined;
  concurrency: number | undefined;
} {
  return {
    baseUrl: String(o.endpoint),
    model: String(o.endpointModel),
    api: o.endpointApi as "chat" | "completions" | undefined,
    apiKeyEnv: o.apiKeyEnv as string | undefined,
    concurrency: o.concurrency as number | undefined,
  };
}
