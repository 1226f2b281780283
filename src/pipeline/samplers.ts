/**
 * Where samples come from for `thinkrl eval` / `thinkrl sample` and their pipeline stages: a local model directory
 * (default: the embedded model) or an OpenAI-compatible endpoint, opened as a `Sampler`; and the checks on model
 * directories and prompt formats they share with `train`, `sft` and `generate`.
 *
 * A local model needs the jax-js engine started (`initEngine`) by the caller; an endpoint never loads it.
 */
import { CheckpointError, ConfigError, ThinkrlError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { PROMPT_FORMATS, type PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { EndpointApi, EndpointStats } from "../rollout/endpoint.js";
import type { Sampler } from "../rollout/sampler.js";
import type { AdapterSpec } from "./adapters.js";
import type { WeightDtype } from "../engine/weights-dtype.js";

/** An OpenAI-compatible server (see `EndpointConfig` for each field and its default). */
export interface EndpointOptions {
  /** Base URL, e.g. `http://localhost:8000/v1`. */
  baseUrl: string;
  /** Model name the server serves. */
  model: string;
  api?: EndpointApi;
  apiKeyEnv?: string;
  concurrency?: number;
  maxRetries?: number;
  timeoutMs?: number;
  samplesPerRequest?: number;
  systemPrompt?: string;
}

/** A local model or an endpoint (not both). */
export interface SamplerSource {
  /** Local model directory; null or undefined: the embedded model (unless `endpoint` is set). */
  model?: string | null;
  endpoint?: EndpointOptions | null;
  /**
   * Prompt format: local models render questions with it (default: the model's, `defaultPromptFormat`); the
   * completions API renders with it (default `r1-zero`); `chat` is refused for endpoints (the server applies its
   * own template: use `api: "chat"`).
   */
  format?: PromptFormat | string | null;
  /** Local model: an SVF expert mix or a LoRA adapter to apply (`adapters.ts`). */
  adapter?: AdapterSpec | null;
  /**
   * Local model: the dtype of its linear weights while sampling (`castWeights`; float16 needs WebGPU with
   * shader-f16). Default: `generationWeightsDtype()` (the CLI's `--weights-dtype`, else float32).
   */
  weightsDtype?: WeightDtype | null;
}

/**
 * Casts a generation-only model's linear weights to `dtype` (default `generationWeightsDtype()`), after an adapter
 * was merged into them. No-op for float32.
 * @throws ConfigError when the engine cannot hold them in that dtype (`assertWeightsDtypeSupported`)
 */
export async function holdWeightsIn(model: CausalLM, dtype: WeightDtype | null): Promise<void> {
  const { assertWeightsDtypeSupported, generationWeightsDtype } = await import("../engine/weights-dtype.js");
  const d = dtype ?? generationWeightsDtype();
  if (d === "float32") return;
  await assertWeightsDtypeSupported(d);
  const { castWeights } = await import("../model/params.js");
  model.params = castWeights(model.params, d);
}

export interface OpenedSampler {
  sampler: Sampler;
  kind: "local" | "endpoint";
  /** The local model directory (`embedded` for the embedded model) or the endpoint's model name. */
  modelName: string;
  /** The prompt format a local model renders with (endpoints: the completions API's template). */
  format: PromptFormat;
  /** Endpoints: request counters. */
  endpoint?: { url: string; api: EndpointApi; stats: EndpointStats };
  /** Local model with an adapter: its trainable values (SVF: Σ k over the expert files; LoRA: r·(in + out) per matrix). */
  adapterParams?: number;
}

/**
 * Opens the sampler of `src`.
 * @param o.seed local model: seed of the sampling generator (calls without `params.seed` draw from it)
 * @param o.jitterSeed endpoint: seed of the retry back-off jitter
 * @param o.batchSize local model: sequences per `generate` call (default: `LocalSampler`'s)
 * @param o.env endpoint: environment holding the API key (default `process.env`)
 * @throws CheckpointError for a bad model directory or a run directory (with a hint naming its model)
 * @throws ConfigError / ThinkrlError for a bad format or endpoint setting
 */
export async function openSampler(
  src: SamplerSource,
  o: { seed: number; jitterSeed?: number; batchSize?: number; env?: Record<string, string | undefined> },
): Promise<OpenedSampler> {
  if (src.endpoint) {
    if (src.model !== undefined && src.model !== null) throw new ConfigError("pass a model or an endpoint, not both");
    const { EndpointClient } = await import("../rollout/endpoint.js");
    const format = await resolvePromptFormat(src.format ?? undefined, null);
    const client = new EndpointClient({ ...src.endpoint, promptFormat: format, jitterSeed: o.jitterSeed ?? 0 }, { env: o.env ?? process.env });
    return { sampler: client, kind: "endpoint", modelName: client.config.model, format, endpoint: { url: client.url, api: client.config.api, stats: client.stats } };
  }
  const dir = src.model ?? null;
  if (dir !== null) await assertNotRunDir(dir);
  const { defaultModelDir, loadModelFiles } = await import("../model/load.js");
  const loaded = (await loadModelFiles(dir ?? defaultModelDir())).model;
  const a = src.adapter;
  const applied = a && ((a.expert?.length ?? 0) > 0 || a.adapterPath) ? await (await import("./adapters.js")).applyAdapter(loaded, a) : null;
  const model = applied?.model ?? loaded;
  await holdWeightsIn(model, src.weightsDtype ?? null);
  const format = await resolvePromptFormat(src.format ?? undefined, model);
  const { LocalSampler } = await import("../rollout/local-sampler.js");
  const modelName = dir ?? "embedded";
  const sampler = new LocalSampler({ model, format, rng: new Rng(o.seed), modelName, ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}) });
  return { sampler, kind: "local", modelName, format, ...(applied ? { adapterParams: applied.paramCount } : {}) };
}

/**
 * The prompt format to use: `flag` when given, else the model's default (`defaultPromptFormat`: chat for models
 * with a chat template, compact for the embedded model's vocabulary, else r1-zero), or r1-zero without a local model
 * (an endpoint).
 * @throws ThinkrlError for an unknown format, or `chat` without a local model (an endpoint's chat API applies its
 *   own template)
 */
export async function resolvePromptFormat(flag: unknown, model: CausalLM | null, allowRaw?: false): Promise<PromptFormat>;
export async function resolvePromptFormat(flag: unknown, model: CausalLM | null, allowRaw: boolean): Promise<PromptFormat | "raw">;
export async function resolvePromptFormat(flag: unknown, model: CausalLM | null, allowRaw = false): Promise<PromptFormat | "raw"> {
  if (flag === undefined || flag === null) {
    if (model === null) return "r1-zero";
    const { defaultPromptFormat } = await import("../rollout/prompt.js");
    return defaultPromptFormat(model);
  }
  const ok: string[] = [...PROMPT_FORMATS, ...(allowRaw ? ["raw"] : [])];
  if (!ok.includes(String(flag))) throw new ThinkrlError(`--format must be one of ${ok.join(", ")} (got "${String(flag)}")`);
  if (flag === "chat" && model === null) {
    throw new ThinkrlError("--format chat needs a local model (--model) with a chat template", { hint: "with an endpoint, use --endpoint-api chat: the server applies the model's template" });
  }
  return flag as PromptFormat | "raw";
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
  const { listCheckpoints } = await import("../train/run-dir.js");
  const steps = (await listCheckpoints(dir)).filter((c) => isModel(c.dir)).map((c) => c.step);
  const last = steps[steps.length - 1];
  return last === undefined ? null : `pass --model ${join(dir, `checkpoint-${last}`)} (the latest checkpoint)`;
}

/**
 * The endpoint of a command's options in the flag names shared by `thinkrl eval`, `thinkrl sample` and their
 * pipeline stages (`endpoint`, `endpointModel`, `endpointApi`, `apiKeyEnv`, `concurrency`, `maxRetries`,
 * `timeout` in seconds, `samplesPerRequest`, `systemPrompt`); null without `endpoint`.
 * @param command names the command in errors (`eval`, `sample`)
 * @throws ConfigError for `endpoint` without `endpointModel` (or the reverse), or with `model`
 */
export function endpointFromOptions(rec: Readonly<Record<string, unknown>>, command: string): EndpointOptions | null {
  if (rec.endpoint === undefined) {
    if (rec.endpointModel !== undefined) throw new ConfigError(`${command}: --endpoint-model needs --endpoint <url>`);
    return null;
  }
  if (rec.model !== undefined && rec.model !== null) throw new ConfigError(`${command}: pass --model or --endpoint, not both`);
  if (rec.endpointModel === undefined) throw new ConfigError(`${command}: --endpoint needs --endpoint-model <name> (the model the server serves)`);
  const opt = <T>(k: string) => rec[k] as T | undefined;
  const e: EndpointOptions = { baseUrl: String(rec.endpoint), model: String(rec.endpointModel) };
  const fields: Partial<EndpointOptions> = {
    api: opt<EndpointApi>("endpointApi"),
    apiKeyEnv: opt<string>("apiKeyEnv"),
    concurrency: opt<number>("concurrency"),
    maxRetries: opt<number>("maxRetries"),
    timeoutMs: rec.timeout === undefined ? undefined : Math.round(1000 * Number(rec.timeout)),
    samplesPerRequest: opt<number>("samplesPerRequest"),
    systemPrompt: opt<string>("systemPrompt"),
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (e as unknown as Record<string, unknown>)[k] = v;
  return e;
}
