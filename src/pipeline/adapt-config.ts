/**
 * `thinkrl adapt`'s settings (`adapt-job.ts`): the config, its defaults and its checks, in a module of their own so
 * the CLI's help and recipe checks load no engine.
 */
import { OTHER_CATEGORY } from "../adapt/classify.js";
import { ConfigError } from "../core/errors.js";
import type { PromptFormat } from "../data/template.js";
import { BENCHMARK_DEFAULTS } from "../eval/defaults.js";

/** The first pass (Transformer² §3.2): prompt engineering, classification expert, few-shot CEM. */
export type AdaptStrategy = "prompt" | "classifier" | "cem";
export const ADAPT_STRATEGIES: readonly AdaptStrategy[] = ["prompt", "classifier", "cem"];


/**
 * CEM's search settings are Transformer²'s (Sun et al. 2025, §3.2 / appendix): population 32, elite 20%, α ∈ [0, 1],
 * μ₀ = 1/K, σ₀ = 0.5, at most 50 iterations. The second pass samples as `thinkrl eval` does.
 */
export const ADAPT_DEFAULTS = Object.freeze({
  categories: null,
  classifierExpert: null,
  model: null,
  format: null,
  numEvalProblems: 128,
  evalSamples: BENCHMARK_DEFAULTS.evalSamples,
  temperature: BENCHMARK_DEFAULTS.temperature,
  topP: BENCHMARK_DEFAULTS.topP,
  maxCompletionLength: BENCHMARK_DEFAULTS.maxCompletionLengthLocal,
  classifyMaxTokens: 64,
  fewShot: 8,
  cemPopulation: 32,
  cemElite: 0.2,
  cemIterations: 50,
  cemStd: 0.5,
  cemPerLayer: false,
  cemScore: "accuracy" as const,
  batchSize: BENCHMARK_DEFAULTS.batchSize,
  seed: 0,
});


export interface AdaptConfig {
  strategy: AdaptStrategy;
  /** SVF expert files, one per category. */
  experts: string[];
  /** The category each expert is for (default: each expert's `task` metadata). */
  categories: string[] | null;
  /** The classification expert (`classifier` strategy). */
  classifierExpert: string | null;
  /** Built-in task or task mix whose held-out problems are answered. */
  dataset: string;
  /** Base model directory (default: the dataset's shipped model). */
  model: string | null;
  format: PromptFormat | null;
  /** Held-out problems (per task of a mix). Default 128. */
  numEvalProblems: number;
  /** Second pass: n samples per problem, temperature, top-p (defaults as `thinkrl eval`). */
  evalSamples: number;
  temperature: number;
  topP: number;
  maxCompletionLength: number;
  /** First pass (prompt, classifier): completion budget of the classification answer. Default 64. */
  classifyMaxTokens: number;
  /** CEM: few-shot examples per task (from the training stream), population, elite share, iterations, σ₀. */
  fewShot: number;
  cemPopulation: number;
  cemElite: number;
  cemIterations: number;
  cemStd: number;
  /** CEM: one α per expert and decoder layer. */
  cemPerLayer: boolean;
  /** CEM: `accuracy` (ties by log-likelihood) or `loglik` (cheaper: no generation). */
  cemScore: "accuracy" | "loglik";
  batchSize: number;
  seed: number;
  out: string;
}


export const ADAPT_KEYS: readonly (keyof AdaptConfig)[] = [
  "strategy", "experts", "categories", "classifierExpert", "dataset", "model", "format", "numEvalProblems", "evalSamples", "temperature",
  "topP", "maxCompletionLength", "classifyMaxTokens", "fewShot", "cemPopulation", "cemElite", "cemIterations", "cemStd", "cemPerLayer",
  "cemScore", "batchSize", "seed", "out",
];

const list = (v: unknown): string[] | null => (v === undefined || v === null ? null : Array.isArray(v) ? v.map(String) : String(v).split(",").map((s) => s.trim()).filter((s) => s !== ""));

/**
 * `ADAPT_DEFAULTS` filled in and every field checked (lists may be given as comma-separated strings).
 * @throws ConfigError naming the offending option
 */
export function resolveAdaptConfig(partial: Readonly<Record<string, unknown>>): Readonly<AdaptConfig> {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const unknown = Object.keys(given).filter((k) => !ADAPT_KEYS.includes(k as keyof AdaptConfig));
  if (unknown.length > 0) throw new ConfigError(`adapt: unknown option ${unknown.map((k) => `"${k}"`).join(", ")}`, { hint: `valid: ${ADAPT_KEYS.join(", ")}` });
  const c = { ...ADAPT_DEFAULTS, out: `runs/adapt-${new Date().toISOString().replace(/[:.]/g, "-")}`, ...given } as Record<string, unknown>;
  c.experts = list(c.experts) ?? [];
  c.categories = list(c.categories);
  const cfg = c as unknown as AdaptConfig;
  if (!ADAPT_STRATEGIES.includes(cfg.strategy)) throw new ConfigError(`adapt: --strategy must be one of ${ADAPT_STRATEGIES.join(", ")} (got ${JSON.stringify(cfg.strategy)})`);
  if (cfg.experts.length === 0) throw new ConfigError("adapt: --experts needs at least one SVF expert file (comma-separated)");
  if (cfg.categories !== null && cfg.categories.length !== cfg.experts.length) throw new ConfigError(`adapt: --categories names ${cfg.categories.length} categories for ${cfg.experts.length} experts`);
  if (cfg.categories?.includes(OTHER_CATEGORY)) throw new ConfigError(`adapt: "${OTHER_CATEGORY}" is reserved for the base weights; name the experts' categories otherwise`);
  if (typeof cfg.dataset !== "string" || cfg.dataset === "") throw new ConfigError("adapt: --dataset is required (a built-in task or task mix)");
  if (cfg.strategy === "classifier" && !cfg.classifierExpert) throw new ConfigError("adapt: --strategy classifier needs --classifier-expert <file>");
  const int = (name: string, v: unknown, min: number) => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw new ConfigError(`adapt: ${name} must be an integer ≥ ${min} (got ${String(v)})`);
  };
  int("--num-eval-problems", cfg.numEvalProblems, 1);
  int("--eval-samples", cfg.evalSamples, 1);
  int("--max-completion-length", cfg.maxCompletionLength, 1);
  int("--classify-max-tokens", cfg.classifyMaxTokens, 1);
  int("--few-shot", cfg.fewShot, 1);
  int("--cem-population", cfg.cemPopulation, 2);
  int("--cem-iterations", cfg.cemIterations, 1);
  int("--batch-size", cfg.batchSize, 1);
  int("--seed", cfg.seed, 0);
  if (!(typeof cfg.cemElite === "number" && cfg.cemElite > 0 && cfg.cemElite <= 1)) throw new ConfigError(`adapt: --cem-elite must be in (0, 1] (got ${String(cfg.cemElite)})`);
  if (!(typeof cfg.cemStd === "number" && cfg.cemStd >= 0)) throw new ConfigError(`adapt: --cem-std must be ≥ 0 (got ${String(cfg.cemStd)})`);
  if (cfg.cemScore !== "accuracy" && cfg.cemScore !== "loglik") throw new ConfigError(`adapt: --cem-score must be accuracy or loglik (got ${JSON.stringify(cfg.cemScore)})`);
  if (!(typeof cfg.temperature === "number" && cfg.temperature >= 0)) throw new ConfigError(`adapt: --temperature must be ≥ 0 (got ${String(cfg.temperature)})`);
  if (!(typeof cfg.topP === "number" && cfg.topP > 0 && cfg.topP <= 1)) throw new ConfigError(`adapt: --top-p must be in (0, 1] (got ${String(cfg.topP)})`);
  return Object.freeze(cfg);
}

