/** Helpers shared by CLI commands: engine start-up and model selection. */
import type { PromptFormat } from "../../data/template.js";
import { ThinkrlError } from "../../errors.js";
import type { CausalLM } from "../../model/causal-lm.js";

export async function openModel(dir: unknown): Promise<{ model: CausalLM; isDefault: boolean }> {
  const { initEngine } = await import("../../engine/init.js");
  await initEngine((await import("../device.js")).deviceChoice());
  const { defaultModelDir, loadModel } = await import("../../model/load.js");
  const isDefault = dir === undefined;
  return { model: await loadModel(isDefault ? defaultModelDir() : String(dir)), isDefault };
}

/**
 * The `--format` flag, or the model's default (`defaultPromptFormat`: compact for the embedded model's vocabulary,
 * r1-zero for real tokenizers; r1-zero when there is no local model, e.g. an endpoint).
 */
export async function pickFormat(flag: unknown, model: CausalLM | null, allowRaw = false): Promise<PromptFormat | "raw"> {
  if (flag === undefined) {
    if (model === null) return "r1-zero";
    const { defaultPromptFormat } = await import("../../rollout/prompt.js");
    return defaultPromptFormat(model);
  }
  const ok = allowRaw ? ["compact", "r1-zero", "raw"] : ["compact", "r1-zero"];
  if (!ok.includes(String(flag))) throw new ThinkrlError(`--format must be one of ${ok.join(", ")} (got "${String(flag)}")`);
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
