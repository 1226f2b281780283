/**
 * `thinkrl sft` configuration. Field names follow TRL's `SFTConfig` / `TrainingArguments` in camelCase (JSON
 * configs may use snake_case); defaults are TRL's unless noted.
 */
import { ConfigError } from "../core/errors.js";
import { PROMPT_FORMATS, type PromptFormat } from "../data/template.js";
import { camelCase, kebabCase } from "./config.js";

export type LrSchedulerType = "constant" | "constant_with_warmup" | "linear" | "cosine";

export interface SftConfig {
  /** Hugging Face model directory to start from; null = the embedded default model's cold-start checkpoint. */
  model: string | null;
  // ── data ─────────────────────────────────────────────────────────────────────────────────────────────
  /** `.jsonl` or `.parquet` file of prompt/completion or `messages` rows. Required. */
  dataset: string;
  /** Field names (flags `--prompt-field`, `--completion-field`, `--messages-field`). */
  promptField: string;
  completionField: string;
  messagesField: string;
  /**
   * `compact` | `r1-zero` | `chat` (the model's chat template: completions then end with its end-of-turn token);
   * null = `defaultPromptFormat(model)`: chat when the model has a chat template, compact for the embedded model,
   * else r1-zero.
   */
  promptFormat: PromptFormat | null;
  /** Tokens per example (prompt + completion + EOS); longer ones are cut on the right (TRL `max_length`, 1024). */
  maxLength: number;
  /** Fraction of rows held out for `eval_loss` (0 = none). Default 0.05. */
  evalSplit: number;
  /**
   * Length bucketing (HF `group_by_length`, default false as in TRL): each epoch is shuffled, cut into windows of
   * `LENGTH_WINDOW_BATCHES` batches, sorted by length inside each window, batched, and the batch order shuffled —
   * batches hold similar lengths (less padding) while the data order stays random. Off by default: when length
   * tracks the kind of example (the built-in arithmetic: one operation per length range) each batch sees one kind,
   * and the embedded model's cold start stalled at 0% held-out pass@1 with it (loss 1.9 vs 1.2 at step 50).
   */
  groupByLength: boolean;
  seed: number;
  // ── optimisation ─────────────────────────────────────────────────────────────────────────────────────
  epochs: number;
  /** Sequences per optimizer step. Default 8 (TRL `per_device_train_batch_size`). */
  batchSize: number;
  /** Sequences per forward/backward pass (memory); gradients are summed over the batch's micro-batches. */
  microBatchSize: number;
  /** AdamW learning rate. Default 2e-5 (TRL); the embedded tiny model wants ~1e-3. */
  learningRate: number;
  lrSchedulerType: LrSchedulerType;
  warmupSteps: number;
  weightDecay: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  /** Global-norm clipping; 0 = off. */
  maxGradNorm: number;
  // ── evaluation, checkpoints ──────────────────────────────────────────────────────────────────────────
  /** `eval_loss` every N steps (0 = only at the end). */
  evalSteps: number;
  /** `checkpoint-<step>/` every N steps (0 = only at the end). */
  saveSteps: number;
  /** Keep at most N checkpoints (0 = all). */
  saveTotalLimit: number;
  /** Run directory: `config.json`, `metrics.jsonl`, `checkpoint-<step>/`, `final/` (the trained model). */
  outputDir: string;
  // ── adapter (LoRA, the Transformer² paper's baseline; `src/adapt/lora.ts`) ───────────────────────────
  /** What trains: `none` (all weights) or `lora` (a PEFT-layout LoRA adapter on the frozen model). Default `none`. */
  adapter: "none" | "lora";
  /** LoRA: matrices adapted, as substrings of the module path (`q_proj`, `mlp`, `self_attn`); [] = PEFT's q_proj,v_proj. */
  adapterTargets: string[];
  /** LoRA: layers adapted (`0-3,7`); "" = all. */
  adapterLayers: string;
  /** LoRA rank r. Default 8. */
  loraRank: number;
  /** LoRA α (scale α/r). Default 16. */
  loraAlpha: number;
  /** LoRA dropout on the adapter branch's input while training (PEFT `lora_dropout`). Default 0. */
  loraDropout: number;
  /** LoRA: start from this PEFT adapter directory (its rank, α and targets) instead of a fresh adapter. Default null. */
  adapterPath: string | null;
}

/** Batches per length-bucketing window (HF's `LengthGroupedSampler` uses megabatches of 50 batches). */
export const LENGTH_WINDOW_BATCHES = 50;

export const SFT_DEFAULTS: Readonly<Omit<SftConfig, "dataset" | "outputDir">> = Object.freeze({
  model: null,
  promptField: "prompt",
  completionField: "completion",
  messagesField: "messages",
  promptFormat: null,
  maxLength: 1024,
  evalSplit: 0.05,
  groupByLength: false,
  seed: 0,
  epochs: 1,
  batchSize: 8,
  microBatchSize: 8,
  learningRate: 2e-5,
  lrSchedulerType: "linear",
  warmupSteps: 0,
  weightDecay: 0,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  maxGradNorm: 1,
  evalSteps: 50,
  saveSteps: 100,
  saveTotalLimit: 2,
  adapter: "none",
  adapterTargets: [],
  adapterLayers: "",
  loraRank: 8,
  loraAlpha: 16,
  loraDropout: 0,
  adapterPath: null,
});

const KEYS = new Set([...Object.keys(SFT_DEFAULTS), "dataset", "outputDir"]);

/**
 * Applies defaults and checks every field once.
 * @param partial camelCase or snake_case keys
 * @throws ConfigError naming the key and the offending value
 */
export function resolveSftConfig(partial: Record<string, unknown>): Readonly<SftConfig> {
  const given: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue;
    const key = camelCase(k);
    if (!KEYS.has(key)) throw new ConfigError(`unknown sft config key "${k}"`, { hint: `valid keys: ${[...KEYS].join(", ")}` });
    given[key] = v;
  }
  const c = { ...SFT_DEFAULTS, dataset: "", outputDir: "", ...given } as Record<string, unknown>;
  for (const [k, def] of Object.entries(SFT_DEFAULTS)) {
    const v = c[k];
    if (typeof def === "number" && (typeof v !== "number" || !Number.isFinite(v))) throw new ConfigError(`${named(k)} must be a number (got ${JSON.stringify(v)})`);
    if (typeof def === "boolean" && typeof v !== "boolean") throw new ConfigError(`${named(k)} must be true or false (got ${JSON.stringify(v)})`);
    if (typeof def === "string" && (typeof v !== "string" || (v === "" && k !== "adapterLayers"))) throw new ConfigError(`${named(k)} must be a non-empty string (got ${JSON.stringify(v)})`);
  }
  const cfg = c as unknown as SftConfig;
  if (typeof cfg.dataset !== "string" || cfg.dataset === "") throw new ConfigError("dataset (--dataset) is required (a .jsonl or .parquet file)");
  if (!cfg.outputDir) cfg.outputDir = `runs/sft-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  const int = (k: keyof SftConfig, min: number) => {
    const v = cfg[k] as number;
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`${named(k)} must be an integer ≥ ${min} (got ${v})`);
  };
  int("seed", 0);
  int("epochs", 1);
  int("batchSize", 1);
  int("microBatchSize", 1);
  int("maxLength", 2);
  int("warmupSteps", 0);
  int("evalSteps", 0);
  int("saveSteps", 0);
  int("saveTotalLimit", 0);
  if (!(cfg.learningRate > 0)) throw new ConfigError(`${named("learningRate")} must be > 0 (got ${cfg.learningRate})`);
  if (!(cfg.adamEpsilon > 0)) throw new ConfigError(`${named("adamEpsilon")} must be > 0 (got ${cfg.adamEpsilon})`);
  for (const k of ["weightDecay", "maxGradNorm"] as const) if (!(cfg[k] >= 0)) throw new ConfigError(`${named(k)} must be ≥ 0 (got ${cfg[k]})`);
  for (const k of ["adamBeta1", "adamBeta2"] as const) if (!(cfg[k] >= 0 && cfg[k] < 1)) throw new ConfigError(`${named(k)} must be in [0, 1) (got ${cfg[k]})`);
  if (!(cfg.evalSplit >= 0 && cfg.evalSplit < 1)) throw new ConfigError(`${named("evalSplit")} must be in [0, 1) (got ${cfg.evalSplit})`);
  if (!["constant", "constant_with_warmup", "linear", "cosine"].includes(cfg.lrSchedulerType)) {
    throw new ConfigError(`${named("lrSchedulerType")} must be constant, constant_with_warmup, linear or cosine (got "${cfg.lrSchedulerType}")`);
  }
  if (!["none", "lora"].includes(cfg.adapter)) throw new ConfigError(`${named("adapter")} must be none or lora (got ${JSON.stringify(cfg.adapter)})`);
  if (!Array.isArray(cfg.adapterTargets) || cfg.adapterTargets.some((t) => typeof t !== "string" || t === "")) throw new ConfigError(`${named("adapterTargets")} must be a list of module-name patterns (got ${JSON.stringify(cfg.adapterTargets)})`);
  int("loraRank", 1);
  if (cfg.adapterPath !== null && (typeof cfg.adapterPath !== "string" || cfg.adapterPath === "")) throw new ConfigError(`${named("adapterPath")} must be a directory`);
  if (cfg.adapterPath !== null && cfg.adapter !== "lora") throw new ConfigError(`${named("adapterPath")} starts a LoRA run: pass --adapter lora`);
  if (!(cfg.loraAlpha > 0)) throw new ConfigError(`${named("loraAlpha")} must be > 0 (got ${cfg.loraAlpha})`);
  if (!(cfg.loraDropout >= 0 && cfg.loraDropout < 1)) throw new ConfigError(`${named("loraDropout")} must be in [0, 1) (got ${cfg.loraDropout})`);
  if (cfg.model !== null && (typeof cfg.model !== "string" || cfg.model === "")) throw new ConfigError(`${named("model")} must be a directory (got ${JSON.stringify(cfg.model)})`);
  if (cfg.promptFormat !== null && !PROMPT_FORMATS.includes(cfg.promptFormat)) {
    throw new ConfigError(`${named("promptFormat")} must be one of ${PROMPT_FORMATS.join(", ")} (got "${String(cfg.promptFormat)}")`);
  }
  return Object.freeze(cfg);
}

/** Flags of `thinkrl sft` whose name is not the key's kebab-case form. */
const SFT_FLAG_NAMES: Readonly<Record<string, string>> = { promptFormat: "format", outputDir: "out" };

/** A config key as errors name it: the key and its `thinkrl sft` flag, e.g. `learningRate (--learning-rate)`. */
function named(key: string): string {
  return `${key} (--${SFT_FLAG_NAMES[key] ?? kebabCase(key)})`;
}
