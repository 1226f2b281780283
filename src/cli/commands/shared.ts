/** Helpers shared by CLI commands: engine start-up and model selection. */
import { PROMPT_FORMATS, type PromptFormat } from "../../data/template.js";
import { CheckpointError, ThinkrlError } from "../../core/errors.js";
import type { CausalLM } from "../../model/causal-lm.js";
import type { GenerationConfig } from "../../model/generation-config.js";

/**
 * Starts the engine and loads `--model` (the embedded model when undefined), with its generation_config.json.
 * @throws CheckpointError for a bad model directory; for a thinkrl run directory (no model of its own, but `final/`
 *   or `checkpoint-N/` inside) with a hint naming the model directory to pass instead (`runDirHint`)
 */
export async function openModel(dir: unknown): Promise<{ model: CausalLM; isDefault: boolean; generationConfig: GenerationConfig | null }> {
  const isDefault = dir === undefined;
  if (!isDefault) await assertNotRunDir(String(dir));
  const { initEngine } = await import("../../engine/init.js");
  await initEngine((await import("../device.js")).deviceChoice());
  const { defaultModelDir, loadModelFiles } = await import("../../model/load.js");
  const { model, generationConfig } = await loadModelFiles(isDefault ? defaultModelDir() : String(dir));
  return { model, isDefault, generationConfig };
}

/**
 * Refuses a run directory given as a model (`runDirHint`), before the engine starts or the slow load begins.
 * @throws CheckpointError "<dir> is a training run directory, not a model directory" with a hint naming its model
 */
export async function assertNotRunDir(dir: string): Promise<void> {
  const hint = await runDirHint(dir);
  if (hint !== null) throw new CheckpointError(`${dir} is a training run directory, not a model directory`, { hint });
}

/**
 * When `dir` is a run directory of `thinkrl train` / `sft` / a pipeline stage — no model of its own (config.json +
 * weights; a run's config.json holds its settings), but a `final/` or `checkpoint-<N>/` model inside — a hint naming
 * that model (`final/` first, else the latest checkpoint); else null.
 */
export async function runDirHint(dir: string): Promise<string | null> {
  const { existsSync } = await import("node:fs");
  const { join } = await import("node:path");
  const isModel = (d: string) => existsSync(join(d, "config.json")) && (existsSync(join(d, "model.safetensors")) || existsSync(join(d, "model.safetensors.index.json")));
  if (!existsSync(dir) || isModel(dir)) return null;
  // A run directory holds its own config.json (the run's settings): only a model's weights make it a model.
  const final = join(dir, "final");
  if (isModel(final)) return `pass --model ${final}`;
  // Not train/state.ts's listCheckpoints: that module loads jax-js, which must wait for the engine.
  const { readdir } = await import("node:fs/promises");
  const steps = (await readdir(dir).catch(() => [] as string[]))
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && isModel(join(dir, m[0])))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const last = steps[steps.length - 1];
  return last === undefined ? null : `pass --model ${join(dir, `checkpoint-${last}`)} (the latest checkpoint)`;
}

/**
 * The `--format` flag, or the model's default (`defaultPromptFormat`: chat for models with a chat template,
 * compact for the embedded model's vocabulary, else r1-zero; r1-zero when there is no local model, e.g. an
 * endpoint).
 * @throws ThinkrlError for an unknown format, or `chat` without a local model (an endpoint's chat API applies
 *   its own template)
 */
export async function pickFormat(flag: unknown, model: CausalLM | null, allowRaw?: false): Promise<PromptFormat>;
export async function pickFormat(flag: unknown, model: CausalLM | null, allowRaw: boolean): Promise<PromptFormat | "raw">;
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
