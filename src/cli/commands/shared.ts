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

export function pickFormat(flag: unknown, isDefault: boolean, allowRaw = false): PromptFormat | "raw" {
  if (flag === undefined) return isDefault ? "compact" : "r1-zero";
  const ok = allowRaw ? ["compact", "r1-zero", "raw"] : ["compact", "r1-zero"];
  if (!ok.includes(String(flag))) throw new ThinkrlError(`--format must be one of ${ok.join(", ")} (got "${String(flag)}")`);
  return flag as PromptFormat | "raw";
}
