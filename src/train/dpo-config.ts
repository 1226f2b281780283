/**
 * `thinkrl dpo` configuration: SFT's training settings (`sft-config.ts`) plus TRL `DPOConfig`'s `beta` and the
 * reference model. `batchSize` and `microBatchSize` count pairs (each is two sequences). Defaults are TRL's unless
 * noted.
 */
import { ConfigError } from "../core/errors.js";
import { camelCase } from "./config.js";
import { resolveSftConfig, SFT_DEFAULTS, type SftConfig } from "./sft-config.js";

export interface DpoConfig extends Omit<SftConfig, "completionField" | "messagesField"> {
  /** β of the sigmoid loss (TRL default 0.1). */
  beta: number;
  /** Reference model directory; null = the model training starts from (its log-probs are computed once). */
  refModel: string | null;
  /** Field names of the answers (flags `--chosen-field`, `--rejected-field`). */
  chosenField: string;
  rejectedField: string;
}

/** TRL's `DPOConfig.beta` default. */
export const DPO_BETA = 0.1;

const DPO_ONLY = { beta: DPO_BETA, refModel: null as string | null, chosenField: "chosen", rejectedField: "rejected" };

/** Defaults: SFT's, with TRL DPOConfig's learning rate 1e-6 and 4 pairs (8 sequences) per forward pass. */
export const DPO_DEFAULTS = Object.freeze({ ...SFT_DEFAULTS, learningRate: 1e-6, microBatchSize: 4, ...DPO_ONLY });

/**
 * Applies defaults and checks every field once.
 * @param partial camelCase or snake_case keys
 * @throws ConfigError naming the key and the offending value
 */
export function resolveDpoConfig(partial: Record<string, unknown>): Readonly<DpoConfig> {
  const own: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue;
    const key = camelCase(k);
    if (key === "completionField" || key === "messagesField") throw new ConfigError(`unknown dpo config key "${k}"`, { hint: "dpo reads --prompt-field, --chosen-field and --rejected-field" });
    (key in DPO_ONLY ? own : rest)[key] = v;
  }
  let base: Readonly<SftConfig>;
  try {
    base = resolveSftConfig({ learningRate: DPO_DEFAULTS.learningRate, microBatchSize: DPO_DEFAULTS.microBatchSize, outputDir: `runs/dpo-${new Date().toISOString().replace(/[:.]/g, "-")}`, ...rest });
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.message.replace("unknown sft config key", "unknown dpo config key").replace("(a .jsonl or .parquet file)", "(a .jsonl or .parquet file of prompt/chosen/rejected rows)"), { hint: e.hint });
    throw e;
  }
  const { completionField: _c, messagesField: _m, ...kept } = base;
  const c: DpoConfig = { ...kept, ...DPO_ONLY, ...own } as DpoConfig;
  if (typeof c.beta !== "number" || !(c.beta > 0) || !Number.isFinite(c.beta)) throw new ConfigError(`beta (--beta) must be a number > 0 (got ${JSON.stringify(c.beta)})`);
  if (c.refModel !== null && (typeof c.refModel !== "string" || c.refModel === "")) throw new ConfigError(`refModel (--ref-model) must be a directory (got ${JSON.stringify(c.refModel)})`);
  for (const k of ["chosenField", "rejectedField"] as const) {
    if (typeof c[k] !== "string" || c[k] === "") throw new ConfigError(`${k} must be a non-empty string (got ${JSON.stringify(c[k])})`);
  }
  return Object.freeze(c);
}
