/**
 * GRPO training configuration. Field names are TRL's `GRPOConfig` names in camelCase; config files may use
 * snake_case (TRL's spelling) too, and CLI flags are the kebab-case form. `resolveTrainConfig` is the only place
 * defaults are applied and cross-field rules checked; inner code never re-defaults.
 */
import { PROMPT_FORMATS, type PromptFormat } from "../data/template.js";
import { ConfigError } from "../core/errors.js";
import { LOSS_TYPES, type LossType } from "../rl/aggregate.js";
import { R1_EVAL_SAMPLING } from "../core/r1.js";
import { RL_OBJECTIVES } from "../rl/losses/names.js";
import type { ScaleRewards } from "../rl/advantages.js";
import { REFLECTION_PHRASES } from "./step-metrics.js";

export interface TrainConfig {
  // ── run ──────────────────────────────────────────────────────────────────────────────────────────────
  /** Run directory (metrics, samples, checkpoints). Default `runs/<timestamp>`. */
  outputDir: string;
  /** Seed of every random choice (data, sampling, init). Default 0. */
  seed: number;
  /** Model directory in Hugging Face layout; null = the embedded default model (cold-start checkpoint). */
  model: string | null;
  /** Built-in task name (`arithmetic`, `countdown`), a mix (`arithmetic,countdown`, weights `arithmetic:3,countdown:1`; held-out sets per task concatenated) or a JSONL file. Default `arithmetic`. */
  dataset: string;
  /**
   * Prompt format (`data/template.ts`): `compact` (embedded model), `r1-zero` (plain R1-Zero template) or `chat` (the
   * model's chat template; needs one). null = `defaultPromptFormat(model)`: chat when the model has a chat template,
   * compact for the embedded model, else r1-zero.
   */
  promptFormat: PromptFormat | null;
  /** Wasm worker threads (default: all cores). */
  threads: number | null;

  // ── cold start (embedded default only) ──────────────────────────────────────────────────────────────
  /** SFT steps on generated worked solutions before RL; 0 = use the shipped cold-start checkpoint. */
  coldStartSteps: number;
  coldStartBatchSize: number;
  coldStartLearningRate: number;

  // ── RL objective (DeepSeekMath §4.1; DeepSeek-R1 §2.2.1) ─────────────────────────────────────────────
  /** The loss (`rl/losses/`): `grpo` (clipped surrogate, group-relative advantages) or `reinforce` (−r·log π + β·KL). Default `grpo`. */
  objective: string;
  /** Optimizer steps of RL. Default 100. */
  maxSteps: number;
  /** Distinct prompts per step (TRL derives this from the batch size; here it is explicit). Default 32. */
  promptsPerStep: number;
  /** G, completions per prompt. Default 8 (R1 used 16; TRL 8). ≥ 2, or ≥ 1 for `reinforce` (no group baseline). */
  numGenerations: number;
  /** μ, optimisation passes over each generated batch. Default 1 (then π_old = π_θ and the ratio is 1). */
  numIterations: number;
  /**
   * Optimizer steps per pass over each generated batch (TRL `steps_per_generation`): the batch is cut into this many
   * mini-batches, each its own AdamW step (then π_old is computed, as for μ > 1). Default 1.
   */
  stepsPerGeneration: number;
  /** β of the k3 KL to the reference model. Default 0 as in TRL (R1: 0.001; DeepSeekMath: 0.04). */
  beta: number;
  /**
   * `reinforce` only: the KL's direction (`rl/losses/reinforce.ts` `klPenalty`) — `policy_ref` = KL(π_θ‖π_ref), the
   * Transformer² paper's (default); `ref_policy` = KL(π_ref‖π_θ), its reference code's.
   */
  klDirection: "policy_ref" | "ref_policy";
  /** ε_low of the clipped ratio. Default 0.2. */
  epsilon: number;
  /** ε_high; defaults to `epsilon` (DAPO clip-higher: 0.28). */
  epsilonHigh: number;
  /** Aggregation of per-token terms (`rl/aggregate.ts`), independent of the objective. Default `grpo`. */
  lossType: LossType;
  /** Reward scaling (`rl/advantages.ts`): `group` (std of the group), `batch`, `none` (Dr. GRPO). */
  scaleRewards: ScaleRewards;
  /** Leave completions that hit the length limit out of the loss (DAPO §3.4). Default false. */
  maskTruncatedCompletions: boolean;
  /** Drop groups whose rewards are all equal from the loss (they have zero advantage; DAPO dynamic sampling). Default true. */
  dropZeroStdGroups: boolean;
  /** Reward functions by name (`reward/combine.ts`). Default accuracy + format. */
  rewardFuncs: string[];
  /** Weight of each reward function; default 1 for accuracy, 0.1 for format. */
  rewardWeights: number[];
  /**
   * Per-reward options (`reward/registry.ts` `REWARD_SPECS`), e.g. `{"kimi_length": {"warmupSteps": 10}}`; checked
   * by `resolveRewards` when a run resolves its rewards by name (unknown rewards or keys fail in one line; library
   * users may pass their own reward functions instead). Default `{}`.
   */
  rewardKwargs: Record<string, Record<string, unknown>>;

  // ── Kimi k1.5 policy optimisation (§2.3.2) ─────────────────────────────────────────────────────────
  /** τ of online mirror descent (`objective: omd`), the weight of the squared log-ratio to π_θi. */
  omdTau: number;
  /** `sequence` (the paper: squared log-ratio of whole samples) or `token` (alibaba/ROLL's per-token variant). */
  omdLevel: "sequence" | "token";
  /**
   * Reset the AdamW moments and step count at the start of every iteration (Kimi §2.3.2; slime
   * `--reset-optimizer-states`). Default false, true for `omd`.
   */
  resetOptimizer: boolean;

  // ── Kimi k1.5 partial rollouts (§2.6.2; rollout/partial.ts, docs/kimi.md) ─────────────────────────────
  /**
   * Output tokens each trajectory slot may generate per iteration; a trajectory that reaches it is kept in a buffer
   * and continued next iteration (its group is scored once all G members end). 0 = off (every completion in one go).
   */
  rolloutTokenBudget: number;
  /**
   * Partial rollouts: prompt + prefix of a segment's prefill are left-padded to a multiple of this many tokens (fewer
   * padded tokens, one jit shape per bucket); 0 = one fixed prefill length for every segment (64 + maxCompletionLength,
   * the fewest shapes). Default 0.
   */
  rolloutPrefixBucket: number;
  /** Partial rollouts: leave tokens sampled by earlier policy versions out of the loss (slime `--mask-offpolicy-in-partial-rollout`). Default true. */
  maskEarlierSegments: boolean;
  /** Repetition stop: end a rollout when its latest n-gram of this many tokens has occurred `repetitionStopCount` times. Default 20. */
  repetitionStopNgram: number;
  /** Repetition stop: occurrences of the latest n-gram that end a rollout; 0 = off. Default 0. */
  repetitionStopCount: number;
  /** Subtracted from the reward of a rollout the repetition stop ended (≥ 0). Default 0. */
  repetitionStopPenalty: number;

  // ── problem sampling (Kimi §2.3.4) ────────────────────────────────────────────────────────────────────
  /** `uniform`, `prioritized` (∝ 1 − s_i, s_i the problem's running success rate) or `curriculum` (all, then the hard ones). */
  sampling: "uniform" | "prioritized" | "curriculum";
  /**
   * Built-in tasks: train on a fixed pool of N problems drawn once (disjoint from the held-out set) instead of an
   * endless stream; datasets: the first N training rows. 0 = endless / all rows; prioritized and curriculum sampling
   * need a pool and take 1024 problems of a built-in task when this is 0.
   */
  trainPool: number;
  /** Prioritized sampling: the smallest weight a problem keeps (so solved ones are still drawn). */
  priorityFloor: number;
  /** The reward whose score (≥ 1 = solved, clipped to [0, 1]) is a problem's success; "" = the first of accuracy, math_accuracy, code, judge in the run. */
  successReward: string;
  /** Curriculum: the step from which only the hard problems are drawn; 0 = half of maxSteps (Kimi switched at iteration 24). */
  curriculumSwitchStep: number;
  /** Curriculum: the share of the pool (the hardest) drawn after the switch. */
  curriculumHardFraction: number;
  /** Curriculum difficulty: `column` (the dataset's `difficulty`), `task` (the built-in task's own measure), `measured` (1 − pass rate of the starting model), `auto` (column, else task, else measured). */
  difficulty: "auto" | "column" | "task" | "measured";
  /** Measured difficulty: samples per problem (Kimi: 10). */
  difficultySamples: number;
  /** Measured difficulty: sampling temperature ("high temperature" in Kimi §2.3.4). */
  difficultyTemperature: number;

  // ── sampling ────────────────────────────────────────────────────────────────────────────────────────
  /**
   * Rollout temperature. Default 1. 0 = greedy rollouts (the Transformer² reference code's; the log-probs are then
   * taken at T = 1); with ±1 rewards and one greedy rollout per prompt REINFORCE sees no exploration — an option only.
   */
  temperature: number;
  topP: number;
  topK: number;
  maxCompletionLength: number;
  /** Sequences per forward/backward micro-batch (memory knob; does not change the maths). */
  microBatchSize: number;

  // ── optimizer (AdamW) ───────────────────────────────────────────────────────────────────────────────
  learningRate: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  weightDecay: number;
  maxGradNorm: number;
  lrSchedulerType: "constant" | "constant_with_warmup" | "linear" | "cosine";
  warmupSteps: number;

  // ── logging, evaluation, checkpoints ───────────────────────────────────────────────────────────────
  /** Evaluate on the held-out set every N steps (0 = only before and after training). */
  evalSteps: number;
  /** Held-out problems (never seen in training). Default 256. */
  numEvalProblems: number;
  /** Samples per held-out problem; pass@1 is their mean (R1 protocol). Default 4. */
  evalSamples: number;
  evalTemperature: number;
  evalTopP: number;
  /** Save a checkpoint every N steps (0 = only at the end). */
  saveSteps: number;
  /** Keep at most this many `checkpoint-*` directories (0 = all). */
  saveTotalLimit: number;
  /** Write completions of every N-th step (and of the last one) to `completions.jsonl`. */
  logCompletionsSteps: number;
  /**
   * Phrases counted by the `aha/*` metrics (reflection, the "aha moment" of DeepSeek-R1 §2.2.4), matched
   * case-insensitively as whole words. Default `REFLECTION_PHRASES` ("wait", "let me check", "verify", …);
   * [] = no `aha/*` metrics.
   */
  reflectionPhrases: string[];
  /** Keep a step line every N steps (and the first and last); the others are a live progress line. Default 10. */
  loggingSteps: number;

  // ── adapters (Transformer² SVF, LoRA; `src/adapt/`) ───────────────────────────────────────────────
  /** What trains: `none` (all weights), `svf` (Transformer² singular-value vectors) or `lora`. Default `none`. */
  adapter: "none" | "svf" | "lora";
  /** Matrices adapted, as substrings of the module path (`mlp`, `self_attn`, `q_proj`); [] = svf: mlp (the reference), lora: q_proj,v_proj (PEFT). */
  adapterTargets: string[];
  /** Layers adapted (`0-3,7`); "" = all. */
  adapterLayers: string;
  /** SVF: `sigmoid` (the reference: m = sigmoid(p)·maxMult, sum-preserving rescale) or `direct` (the paper's z). Default `sigmoid`. */
  svfParameterization: "sigmoid" | "direct";
  /** SVF: the reference's max_mult. Default 1. */
  svfMaxMult: number;
  /** SVD algorithm (`adapt/svd.ts`): `gram` (float64 eig of the Gram matrix) or `golub-kahan`. Default `gram`. */
  svdMethod: "gram" | "golub-kahan";
  /** Start from this SVF expert file instead of a fresh one. Default null. */
  expert: string | null;
  /** LoRA: start from this PEFT adapter directory (its rank, α and targets) instead of a fresh adapter. Default null. */
  adapterPath: string | null;
  /** LoRA rank r. Default 8. */
  loraRank: number;
  /** LoRA α (scale α/r). Default 16. */
  loraAlpha: number;
  /** LoRA dropout (PEFT `lora_dropout`): on the adapter branch's input in the training forward only, seeded. Default 0. */
  loraDropout: number;
  /**
   * Problems carved from the *training* stream as a validation split (never drawn for training); with `evalSteps`
   * the best checkpoint is chosen on it, not on the held-out set (the Transformer² reference's trap). 0 = none.
   */
  validationProblems: number;
}

export const TRAIN_DEFAULTS: Readonly<Omit<TrainConfig, "outputDir">> = Object.freeze({
  seed: 0,
  model: null,
  dataset: "arithmetic",
  promptFormat: null,
  threads: null,
  coldStartSteps: 0,
  coldStartBatchSize: 64,
  coldStartLearningRate: 2e-3,
  objective: "grpo",
  maxSteps: 100,
  promptsPerStep: 32,
  numGenerations: 8,
  numIterations: 1,
  stepsPerGeneration: 1,
  beta: 0,
  klDirection: "policy_ref",
  epsilon: 0.2,
  epsilonHigh: Number.NaN, // = epsilon unless set
  lossType: "grpo",
  scaleRewards: "group",
  maskTruncatedCompletions: false,
  dropZeroStdGroups: true,
  rewardFuncs: ["accuracy", "format"],
  rewardWeights: [1, 0.1],
  rewardKwargs: {},
  omdTau: 0.1,
  omdLevel: "sequence",
  resetOptimizer: false,
  rolloutTokenBudget: 0,
  rolloutPrefixBucket: 0,
  maskEarlierSegments: true,
  repetitionStopNgram: 20,
  repetitionStopCount: 0,
  repetitionStopPenalty: 0,
  sampling: "uniform",
  trainPool: 0,
  priorityFloor: 0.05,
  successReward: "",
  curriculumSwitchStep: 0,
  curriculumHardFraction: 0.5,
  difficulty: "auto",
  difficultySamples: 10,
  difficultyTemperature: 1,
  temperature: 1,
  topP: 1,
  topK: 0,
  maxCompletionLength: 48,
  microBatchSize: 64,
  learningRate: 1e-4,
  adamBeta1: 0.9,
  adamBeta2: 0.99,
  adamEpsilon: 1e-8,
  weightDecay: 0,
  maxGradNorm: 1,
  lrSchedulerType: "constant_with_warmup",
  warmupSteps: 5,
  evalSteps: 0,
  numEvalProblems: 256,
  evalSamples: 4,
  evalTemperature: R1_EVAL_SAMPLING.temperature,
  evalTopP: R1_EVAL_SAMPLING.topP,
  saveSteps: 25,
  saveTotalLimit: 2,
  logCompletionsSteps: 10,
  reflectionPhrases: [...REFLECTION_PHRASES],
  loggingSteps: 10,
  adapter: "none",
  adapterTargets: [],
  adapterLayers: "",
  svfParameterization: "sigmoid",
  svfMaxMult: 1,
  svdMethod: "gram",
  expert: null,
  adapterPath: null,
  loraRank: 8,
  loraAlpha: 16,
  loraDropout: 0,
  validationProblems: 0,
} satisfies Omit<TrainConfig, "outputDir">);

const KEYS = new Set<string>([...Object.keys(TRAIN_DEFAULTS), "outputDir"]);

/**
 * Defaults that differ by objective, applied to the keys a config does not set. OMD takes several optimizer steps
 * per iteration (with one, its τ term has zero gradient) and resets AdamW each iteration as the paper does; its
 * learning rate and τ come from the sweep in docs/kimi.md.
 */
export const OBJECTIVE_DEFAULTS: Readonly<Record<string, Partial<TrainConfig>>> = Object.freeze({
  omd: { stepsPerGeneration: 4, resetOptimizer: true },
});

/** `num_generations` → `numGenerations`. */
export function camelCase(k: string): string {
  return k.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Applies defaults and checks every field and cross-field rule once.
 * @param partial camelCase or snake_case keys (e.g. from a JSON config file merged with CLI flags)
 * @throws ConfigError with the offending key and value
 */
export function resolveTrainConfig(partial: Record<string, unknown>): Readonly<TrainConfig> {
  const given: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue;
    const key = camelCase(k);
    if (!KEYS.has(key)) throw new ConfigError(`unknown config key "${k}"`, { hint: `valid keys: ${[...KEYS].join(", ")}` });
    given[key] = v;
  }
  const objective = typeof given.objective === "string" ? given.objective : TRAIN_DEFAULTS.objective;
  const c = { ...TRAIN_DEFAULTS, ...OBJECTIVE_DEFAULTS[objective], outputDir: "", ...given } as Record<string, unknown>;
  for (const [k, def] of Object.entries(TRAIN_DEFAULTS)) {
    const v = c[k];
    if (typeof def === "number" && (typeof v !== "number" || (Number.isNaN(v) && k !== "epsilonHigh"))) {
      throw new ConfigError(`${named(k)} must be a number (got ${JSON.stringify(v)})`);
    }
    if (typeof def === "boolean" && typeof v !== "boolean") throw new ConfigError(`${named(k)} must be true or false (got ${JSON.stringify(v)})`);
  }
  const cfg = c as unknown as TrainConfig;
  if (Number.isNaN(cfg.epsilonHigh)) cfg.epsilonHigh = cfg.epsilon;
  if (!cfg.outputDir) cfg.outputDir = `runs/${new Date().toISOString().replace(/[:.]/g, "-")}`;

  const int = (k: keyof TrainConfig, min: number) => {
    const v = cfg[k] as number;
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`${named(k)} must be an integer ≥ ${min} (got ${v})`);
  };
  int("seed", 0);
  int("maxSteps", 0);
  int("promptsPerStep", 1);
  int("numGenerations", cfg.objective === "reinforce" ? 1 : 2);
  int("numIterations", 1);
  int("stepsPerGeneration", 1);
  int("maxCompletionLength", 1);
  int("microBatchSize", 1);
  int("coldStartSteps", 0);
  int("coldStartBatchSize", 1);
  int("warmupSteps", 0);
  int("evalSteps", 0);
  int("numEvalProblems", 1);
  int("evalSamples", 1);
  int("saveSteps", 0);
  int("saveTotalLimit", 0);
  int("logCompletionsSteps", 0);
  int("loggingSteps", 1);
  int("topK", 0);
  int("trainPool", 0);
  int("curriculumSwitchStep", 0);
  int("difficultySamples", 1);
  int("rolloutTokenBudget", 0);
  int("rolloutPrefixBucket", 0);
  int("repetitionStopNgram", 1);
  int("repetitionStopCount", 0);
  if (cfg.repetitionStopCount === 1) throw new ConfigError(`${named("repetitionStopCount")} must be 0 (off) or ≥ 2 (got 1)`);
  if (cfg.threads !== null) int("threads", 1);
  const pos = (k: keyof TrainConfig, allowZero = false) => {
    const v = cfg[k] as number;
    if (!(allowZero ? v >= 0 : v > 0) || !Number.isFinite(v)) throw new ConfigError(`${named(k)} must be ${allowZero ? "≥ 0" : "> 0"} (got ${v})`);
  };
  pos("learningRate");
  pos("coldStartLearningRate");
  pos("beta", true);
  pos("epsilon");
  pos("epsilonHigh");
  pos("temperature", true);
  if (cfg.temperature === 0 && cfg.objective !== "reinforce") throw new ConfigError(`${named("temperature")} 0 (greedy rollouts) is for --objective reinforce: a group of greedy completions is identical, so group-relative advantages are 0`);
  pos("evalTemperature", true);
  pos("weightDecay", true);
  pos("maxGradNorm", true);
  pos("adamEpsilon");
  pos("omdTau", true);
  pos("repetitionStopPenalty", true);
  pos("difficultyTemperature");
  if (!(cfg.priorityFloor > 0 && cfg.priorityFloor <= 1)) throw new ConfigError(`${named("priorityFloor")} must be in (0, 1] (got ${cfg.priorityFloor})`);
  if (!(cfg.curriculumHardFraction > 0 && cfg.curriculumHardFraction <= 1)) {
    throw new ConfigError(`${named("curriculumHardFraction")} must be in (0, 1] (got ${cfg.curriculumHardFraction})`);
  }
  const oneOf = (k: keyof TrainConfig, values: readonly string[]) => {
    if (!values.includes(cfg[k] as string)) throw new ConfigError(`${named(k)} must be one of ${values.join(", ")} (got ${JSON.stringify(cfg[k])})`);
  };
  oneOf("omdLevel", ["sequence", "token"]);
  oneOf("klDirection", ["policy_ref", "ref_policy"]);
  if (cfg.klDirection !== "policy_ref" && cfg.objective !== "reinforce") throw new ConfigError(`${named("klDirection")} applies to --objective reinforce (got objective ${cfg.objective})`);
  oneOf("sampling", ["uniform", "prioritized", "curriculum"]);
  oneOf("difficulty", ["auto", "column", "task", "measured"]);
  if (typeof cfg.successReward !== "string") throw new ConfigError(`${named("successReward")} must be a reward name`);
  if (cfg.epsilon >= 1) throw new ConfigError(`${named("epsilon")} must be < 1 (got ${cfg.epsilon})`);
  if (!(cfg.topP > 0 && cfg.topP <= 1)) throw new ConfigError(`${named("topP")} must be in (0, 1] (got ${cfg.topP})`);
  if (!(cfg.evalTopP > 0 && cfg.evalTopP <= 1)) throw new ConfigError(`${named("evalTopP")} must be in (0, 1] (got ${cfg.evalTopP})`);
  for (const k of ["adamBeta1", "adamBeta2"] as const) {
    if (!(cfg[k] >= 0 && cfg[k] < 1)) throw new ConfigError(`${named(k)} must be in [0, 1) (got ${cfg[k]})`);
  }
  if (!(RL_OBJECTIVES as readonly string[]).includes(cfg.objective)) throw new ConfigError(`${named("objective")} must be one of ${RL_OBJECTIVES.join(", ")} (got "${cfg.objective}")`);
  if (!LOSS_TYPES.includes(cfg.lossType)) throw new ConfigError(`${named("lossType")} must be one of ${LOSS_TYPES.join(", ")} (got "${cfg.lossType}")`);
  if (!["group", "batch", "none"].includes(cfg.scaleRewards)) {
    throw new ConfigError(`${named("scaleRewards")} must be group, batch or none (got "${cfg.scaleRewards}")`);
  }
  if (!["constant", "constant_with_warmup", "linear", "cosine"].includes(cfg.lrSchedulerType)) {
    throw new ConfigError(`${named("lrSchedulerType")} must be constant, constant_with_warmup, linear or cosine (got "${cfg.lrSchedulerType}")`);
  }
  if (cfg.promptFormat !== null && !PROMPT_FORMATS.includes(cfg.promptFormat)) {
    throw new ConfigError(`${named("promptFormat")} must be one of ${PROMPT_FORMATS.join(", ")} (got "${String(cfg.promptFormat)}")`);
  }
  if (!Array.isArray(cfg.rewardFuncs) || cfg.rewardFuncs.length === 0 || cfg.rewardFuncs.some((f) => typeof f !== "string")) {
    throw new ConfigError(`${named("rewardFuncs")} must be a non-empty list of names (got ${JSON.stringify(cfg.rewardFuncs)})`);
  }
  if (!Array.isArray(cfg.rewardWeights) || cfg.rewardWeights.length !== cfg.rewardFuncs.length || cfg.rewardWeights.some((w) => typeof w !== "number" || !Number.isFinite(w))) {
    throw new ConfigError(`${named("rewardWeights")} must list one number per reward function (${cfg.rewardFuncs.length}; got ${JSON.stringify(cfg.rewardWeights)})`);
  }
  if (typeof cfg.rewardKwargs !== "object" || cfg.rewardKwargs === null || Array.isArray(cfg.rewardKwargs)) {
    throw new ConfigError(`${named("rewardKwargs")} must be an object of options by reward name, e.g. {"kimi_length": {"warmupSteps": 10}} (got ${JSON.stringify(cfg.rewardKwargs)})`);
  }
  if (!Array.isArray(cfg.reflectionPhrases) || cfg.reflectionPhrases.some((p) => typeof p !== "string" || p.trim() === "")) {
    throw new ConfigError(`${named("reflectionPhrases")} must be a list of phrases, e.g. ["wait", "let me check"] ([] = no aha/* metrics; got ${JSON.stringify(cfg.reflectionPhrases)})`);
  }
  if (typeof cfg.dataset !== "string" || cfg.dataset === "") throw new ConfigError(`${named("dataset")} must be a task name or a file path`);
  if (cfg.sampling === "curriculum" && cfg.maxSteps > 0 && cfg.curriculumSwitchStep > cfg.maxSteps) {
    throw new ConfigError(`${named("curriculumSwitchStep")} must be ≤ maxSteps (${cfg.maxSteps}) for the hard phase to happen (got ${cfg.curriculumSwitchStep})`, { hint: "0 switches at half of --max-steps" });
  }
  checkAdapterConfig(cfg);
  return Object.freeze(cfg);
}

/**
 * First step of the curriculum's hard phase: `curriculumSwitchStep`, or by default half of `maxSteps` rounded up
 * but never step 1, so at least one step draws from the whole pool.
 */
export function curriculumSwitchStepOf(c: Pick<TrainConfig, "curriculumSwitchStep" | "maxSteps">): number {
  return c.curriculumSwitchStep > 0 ? c.curriculumSwitchStep : Math.max(2, Math.ceil(c.maxSteps / 2));
}

/**
 * Options set away from their defaults that the run will not use (e.g. `omdTau` under GRPO), in words, one per
 * line, for the trainer to print as warnings; a setting that cannot work is a ConfigError in
 * `resolveTrainConfig` instead.
 */
export function inapplicableOptions(c: Readonly<TrainConfig>): string[] {
  const out: string[] = [];
  const changed = (keys: readonly (keyof typeof TRAIN_DEFAULTS)[]) => keys.filter((k) => c[k] !== TRAIN_DEFAULTS[k]).map((k) => `--${kebabCase(k)}`);
  const omdOnly = changed(["omdTau", "omdLevel"]);
  if (c.objective !== "omd" && omdOnly.length > 0) out.push(`${omdOnly.join(", ")} only apply to --objective omd (this run: ${c.objective}); ignored`);
  if (c.objective === "omd" && c.stepsPerGeneration === 1 && c.numIterations === 1) {
    out.push("--objective omd with one optimizer step per iteration: π_old = π_θ at that step, so the τ term has zero gradient (OMD's default is --steps-per-generation 4)");
  }
  if (c.sampling !== "prioritized" && c.priorityFloor !== TRAIN_DEFAULTS.priorityFloor) out.push(`--priority-floor only applies to --sampling prioritized (this run: ${c.sampling}); ignored`);
  const curriculumOnly = changed(["curriculumSwitchStep", "curriculumHardFraction"]);
  if (c.sampling !== "curriculum" && curriculumOnly.length > 0) out.push(`${curriculumOnly.join(", ")} only apply to --sampling curriculum (this run: ${c.sampling}); ignored`);
  if (c.sampling === "curriculum" && c.maxSteps === 1) out.push("--sampling curriculum with --max-steps 1: the run ends before the hard phase");
  return out;
}

/** The adapter keys' rules (`adapter`, `svf*`, `lora*`, `validationProblems`). @throws ConfigError */
function checkAdapterConfig(cfg: TrainConfig): void {
  const oneOf = (k: keyof TrainConfig, vals: readonly string[]) => {
    if (!vals.includes(cfg[k] as string)) throw new ConfigError(`${named(k)} must be one of ${vals.join(", ")} (got ${JSON.stringify(cfg[k])})`);
  };
  oneOf("adapter", ["none", "svf", "lora"]);
  oneOf("svfParameterization", ["sigmoid", "direct"]);
  oneOf("svdMethod", ["gram", "golub-kahan"]);
  if (!Array.isArray(cfg.adapterTargets) || cfg.adapterTargets.some((t) => typeof t !== "string" || t === "")) throw new ConfigError(`${named("adapterTargets")} must be a list of module-name patterns (got ${JSON.stringify(cfg.adapterTargets)})`);
  if (typeof cfg.adapterLayers !== "string") throw new ConfigError(`${named("adapterLayers")} must be a layer list such as 0-3,7 (got ${JSON.stringify(cfg.adapterLayers)})`);
  if (cfg.expert !== null && typeof cfg.expert !== "string") throw new ConfigError(`${named("expert")} must be a file path`);
  if (cfg.expert !== null && cfg.adapter !== "svf") throw new ConfigError(`${named("expert")} starts an SVF run: pass --adapter svf`);
  if (cfg.adapterPath !== null && (typeof cfg.adapterPath !== "string" || cfg.adapterPath === "")) throw new ConfigError(`${named("adapterPath")} must be a directory`);
  if (cfg.adapterPath !== null && cfg.adapter !== "lora") throw new ConfigError(`${named("adapterPath")} starts a LoRA run: pass --adapter lora`);
  if (!(cfg.svfMaxMult > 0)) throw new ConfigError(`${named("svfMaxMult")} must be > 0 (got ${cfg.svfMaxMult})`);
  if (!Number.isInteger(cfg.loraRank) || cfg.loraRank < 1) throw new ConfigError(`${named("loraRank")} must be an integer ≥ 1 (got ${cfg.loraRank})`);
  if (!(cfg.loraAlpha > 0)) throw new ConfigError(`${named("loraAlpha")} must be > 0 (got ${cfg.loraAlpha})`);
  if (!(cfg.loraDropout >= 0 && cfg.loraDropout < 1)) throw new ConfigError(`${named("loraDropout")} must be in [0, 1) (got ${cfg.loraDropout})`);
  if (!Number.isInteger(cfg.validationProblems) || cfg.validationProblems < 0) throw new ConfigError(`${named("validationProblems")} must be an integer ≥ 0 (got ${cfg.validationProblems})`);
}

/** `maxSteps` → `max-steps` (the flag's spelling). */
export function kebabCase(k: string): string {
  return k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

/** A config key as errors name it: the key and its `thinkrl train` flag, e.g. `maxSteps (--max-steps)`. */
function named(key: string): string {
  return `${key} (--${kebabCase(key)})`;
}

/**
 * Learning rate of optimizer step `step` (1-based) for the schedule: warm-up linearly over `warmupSteps` (step w
 * of the warm-up uses w/warmupSteps of the rate), then constant, linear decay, or cosine decay (Loshchilov &
 * Hutter 2017, eq. 5) over the remaining steps. Decay is counted from 0 at the first step after the warm-up, as
 * the Hugging Face schedulers do, so that step uses the full rate and the last of `maxSteps` still trains
 * (linear: rate/(maxSteps − warmupSteps)); the rate reaches 0 only after the run.
 */
export function learningRateAt(c: Pick<TrainConfig, "learningRate" | "lrSchedulerType" | "warmupSteps" | "maxSteps">, step: number): number {
  const warm = c.lrSchedulerType === "constant" ? 0 : c.warmupSteps;
  if (step <= warm) return (c.learningRate * step) / Math.max(1, warm);
  const rest = Math.max(1, c.maxSteps - warm);
  const frac = Math.min(1, (step - 1 - warm) / rest);
  switch (c.lrSchedulerType) {
    case "constant":
    case "constant_with_warmup":
      return c.learningRate;
    case "linear":
      return c.learningRate * (1 - frac);
    case "cosine":
      return c.learningRate * 0.5 * (1 + Math.cos(Math.PI * frac));
  }
}
