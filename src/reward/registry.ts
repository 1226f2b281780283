/**
 * The reward registry: every built-in reward by name, with the options it takes (`rewardKwargs`), and
 * `resolveRewards`, which turns names, weights and options into the `WeightedReward[]` a trainer combines.
 *
 * Browser-safe: the Node-only rewards (`code`: programs in a bubblewrap sandbox; `judge`: an HTTP judge with a
 * file cache) are imported on their first call (`importNodeOnly`), so importing this module pulls in no `node:`
 * module. In a browser, `resolveRewards` refuses them; their registry functions reject (scored null).
 */
import { ConfigError, ThinkrlError } from "../core/errors.js";
import { accuracyReward, createAccuracyReward } from "./accuracy.js";
import type { CodeRewardOptions } from "./code/reward.js";
import { CODE_LANGUAGES } from "./code/tests.js";
import type { WeightedReward } from "./combine.js";
import { formatReward } from "./format.js";
import type { JudgeConfig } from "./judge.js";
import { languageConsistency, languageConsistencyReward, type LanguageConsistencyOptions } from "./language.js";
import { kimiLengthPenalty, kimiLengthReward, overlongPenalty, overlongReward, type KimiLengthOptions, type OverlongOptions } from "./length.js";
import { DEFAULT_PRIORITY, MATH_ANSWER_SOURCES, type MathAnswerSource } from "./math/extract.js";
import { createMathAccuracyReward, mathAccuracyReward } from "./math/reward.js";
import type { VerifyOptions } from "./math/verify.js";
import { importNodeOnly, isNode } from "./node-only.js";
import { repetitionPenalty, repetitionReward, type RepetitionOptions } from "./repetition.js";
import { formatSoftReward, tagCountReward } from "./tags.js";
import type { RewardFn } from "./types.js";

export type RewardName =
  | "accuracy"
  | "math_accuracy"
  | "format"
  | "format_soft"
  | "tag_count"
  | "language_consistency"
  | "kimi_length"
  | "overlong"
  | "repetition"
  | "code"
  | "judge"
  | "accuracy_signed";

/** Value types an option can take (as parsed from JSON or YAML). */
export type RewardOptionType = "integer" | "number" | "boolean" | "string" | "string[]";

/** One option of a reward (one key of its `rewardKwargs` entry). */
export interface RewardOption {
  type: RewardOptionType;
  /** The default, or a sentence saying how it is chosen. */
  default: string | number | boolean | readonly string[];
  doc: string;
  /** Allowed values (of each element, for `string[]`). */
  choices?: readonly string[];
  /** Smallest allowed value (numbers). */
  min?: number;
}

/** A registry entry: what the reward is, the options it takes and how it is built from them. */
export interface RewardSpec {
  doc: string;
  /** Scored by a Node-only module (subprocesses, files): unavailable in a browser. */
  nodeOnly: boolean;
  /** Options by camelCase name (snake_case is accepted in `rewardKwargs` too). */
  options: Readonly<Record<string, RewardOption>>;
  /**
   * The reward for validated options (only the keys given; the reward's own defaults fill the rest).
   * @throws ConfigError for values the reward rejects (ranges, unknown languages)
   */
  create(kwargs: Readonly<Record<string, unknown>>): RewardFn;
}

const VERIFY_OPTIONS = {
  relTol: { type: "number", default: 1e-9, doc: "relative tolerance of float comparisons in symbolic checks (plain numbers compare exactly)" },
  percentAsDecimal: { type: "boolean", default: true, doc: "a percent on one side only also matches the value / 100 (50% ≡ 0.5)" },
  timeoutMs: { type: "number", default: 2000, doc: "time limit of one symbolic check, ms (Node; false past it)" },
  floatRounding: { type: "integer", default: 6, min: 0, doc: "digits both sides are rounded to when one is a decimal (Math-Verify's float_rounding)" },
  strict: { type: "boolean", default: true, doc: "Math-Verify's strict: false matches variables by position and lets {1,2} equal (1,2)" },
} as const satisfies Record<string, RewardOption>;

const JUDGE_OPTIONS = {
  baseUrl: { type: "string", default: "$THINKRL_JUDGE_URL", doc: "OpenAI-compatible judge server, e.g. http://localhost:8000/v1" },
  model: { type: "string", default: "$THINKRL_JUDGE_MODEL", doc: "judge model name" },
  apiKeyEnv: { type: "string", default: "$THINKRL_JUDGE_API_KEY_ENV, else OPENAI_API_KEY", doc: "environment variable holding the API key" },
  cacheFile: { type: "string", default: "$THINKRL_JUDGE_CACHE, else none", doc: "JSONL file verdicts are cached in" },
  concurrency: { type: "integer", default: 8, min: 1, doc: "judge requests in flight" },
  timeoutMs: { type: "integer", default: 120_000, min: 1, doc: "per-attempt timeout, ms" },
  maxRetries: { type: "integer", default: 3, min: 0, doc: "retries after the first attempt" },
  answerColumn: { type: "string", default: "answer", doc: "dataset column holding the reference answer" },
  maxTokens: { type: "integer", default: 1024, min: 1, doc: "judge completion budget, tokens" },
  maxAnswerChars: { type: "integer", default: 4000, min: 1, doc: "longer answers score 0 without a request" },
} as const satisfies Record<string, RewardOption>;

const SANDBOX_KEYS = ["wallTimeMs", "cpuSeconds", "memoryBytes", "maxProcesses", "maxOutputBytes"] as const;

/** `process.env` where it exists. */
function processEnv(): Readonly<Record<string, string | undefined>> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}

/** A reward whose implementation is loaded on its first call (rejects when loading fails: scored null). */
function lazyReward(load: () => Promise<RewardFn>): RewardFn {
  let ready: Promise<RewardFn> | undefined;
  return async (batch, ctx) => (await (ready ??= load()))(batch, ctx);
}

type CodeModule = typeof import("./code/reward.js");
type JudgeModule = typeof import("./judge.js");

function codeReward(kwargs: Readonly<Record<string, unknown>>): RewardFn {
  const { language, stopOnTimeout, concurrency, ...limits } = kwargs;
  const opts = { language, stopOnTimeout, concurrency, sandbox: limits } as CodeRewardOptions;
  // Isolation is proved once, before the first scoring (`createCodeReward` runs `assertSandbox`).
  return lazyReward(async () => (await importNodeOnly<CodeModule>("./code/reward.js", "reward 'code'")).createCodeReward(opts));
}

function judgeReward(kwargs: Readonly<Record<string, unknown>>): RewardFn {
  return lazyReward(async () => (await importNodeOnly<JudgeModule>("./judge.js", "reward 'judge'")).envJudgeReward(processEnv(), undefined, kwargs as Partial<JudgeConfig>));
}

/** Every built-in reward: description, options, factory. */
export const REWARD_SPECS = {
  accuracy: {
    doc: "1 when the <answer> is right (countdown/arithmetic rules, else the maths verifier on the answer column), else 0",
    nodeOnly: false,
    options: VERIFY_OPTIONS,
    create: (k) => createAccuracyReward(k as VerifyOptions),
  },
  format: { doc: "1 for <think>…</think><answer>…</answer>, else 0", nodeOnly: false, options: {}, create: () => formatReward },
  format_soft: { doc: "1 when both tag pairs appear in order (text around them allowed)", nodeOnly: false, options: {}, create: () => formatSoftReward },
  tag_count: { doc: "0.25 per reasoning tag present exactly once", nodeOnly: false, options: {}, create: () => tagCountReward },
  language_consistency: {
    doc: "fraction of chain-of-thought words in the target language's script (R1 §2.3.2)",
    nodeOnly: false,
    options: { target: { type: "string", default: "the row's language column, else en", doc: "language code (en, zh, …) or script name (Latin, Han, …)" } },
    create: (k) => languageConsistency(k as LanguageConsistencyOptions),
  },
  kimi_length: {
    doc: "Kimi k1.5 group length penalty: short correct answers rewarded, long ones penalised",
    nodeOnly: false,
    options: { warmupSteps: { type: "integer", default: 0, doc: "the first steps, during which the reward is 0 (Kimi: train without it first)" } },
    create: (k) => kimiLengthPenalty(k as KimiLengthOptions),
  },
  overlong: {
    doc: "DAPO overlong soft penalty, 0 → −1 over the last cacheLength tokens before the length limit",
    nodeOnly: false,
    options: { cacheLength: { type: "integer", default: "20% of the maximum completion length", doc: "soft-penalty interval L_cache, tokens" } },
    create: (k) => overlongPenalty(k as OverlongOptions),
  },
  repetition: {
    doc: "−maxPenalty × fraction of repeated n-grams",
    nodeOnly: false,
    options: {
      n: { type: "integer", default: 3, doc: "n-gram size" },
      maxPenalty: { type: "number", default: 1, doc: "penalty of a completion made of one repeated n-gram" },
      unit: { type: "string", default: "words", choices: ["words", "tokens"], doc: "what an n-gram is made of" },
    },
    create: (k) => repetitionPenalty(k as RepetitionOptions),
  },
  code: {
    doc: "fraction of the row's tests the program passes, run in a bubblewrap sandbox (Node, Linux)",
    nodeOnly: true,
    options: {
      language: { type: "string", default: "the row's code_language column, else the fence tag, else python", choices: CODE_LANGUAGES, doc: "language of every program" },
      stopOnTimeout: { type: "boolean", default: true, doc: "after a test times out, fail the remaining tests without running them" },
      concurrency: { type: "integer", default: 2, min: 1, doc: "programs run at once" },
      wallTimeMs: { type: "integer", default: 5000, min: 1, doc: "wall-clock limit per run, ms" },
      cpuSeconds: { type: "integer", default: 4, min: 1, doc: "CPU limit per run, s" },
      memoryBytes: { type: "integer", default: 1024 ** 3, min: 1, doc: "address-space limit per run, bytes" },
      maxProcesses: { type: "integer", default: 32, min: 1, doc: "processes + threads per run" },
      maxOutputBytes: { type: "integer", default: 1024 ** 2, min: 1, doc: "stdout + stderr captured before the run is killed, bytes" },
    } satisfies Record<(typeof SANDBOX_KEYS)[number] | "language" | "stopOnTimeout" | "concurrency", RewardOption>,
    create: codeReward,
  },
  math_accuracy: {
    doc: "1 when the completion's final maths answer (\\boxed{}, <answer>, …) verifies against the answer/solution column",
    nodeOnly: false,
    options: {
      ...VERIFY_OPTIONS,
      priority: { type: "string[]", default: DEFAULT_PRIORITY, choices: MATH_ANSWER_SOURCES, doc: "answer sources tried in the completion, in order" },
    },
    create: ({ priority, ...verify }) =>
      createMathAccuracyReward({ ...(verify as VerifyOptions), ...(priority === undefined ? {} : { extract: { priority: priority as MathAnswerSource[] } }) }),
  },
  accuracy_signed: {
    doc: "+1 when the <answer> is right, −1 otherwise (Transformer² §3.1's r ∈ {−1, 1}); accuracy's options",
    nodeOnly: false,
    options: VERIFY_OPTIONS,
    create: (k) => signed(createAccuracyReward(k as VerifyOptions)),
  },
  judge: {
    doc: "1/0 from an OpenAI-compatible judge model comparing the answer with the reference (R1 §2.3.3)",
    nodeOnly: true,
    options: JUDGE_OPTIONS,
    create: judgeReward,
  },
} satisfies Record<RewardName, RewardSpec>;

/** r ↦ 2r − 1 for a 0/1 reward (null stays null: unscorable). */
function signed(fn: RewardFn): RewardFn {
  return async (b, ctx) => (await fn(b, ctx)).map((r) => (r === null ? null : 2 * r - 1));
}

/** Built-in rewards by name, with default options (`getReward`). */
export const REWARDS = {
  accuracy: accuracyReward,
  format: formatReward,
  format_soft: formatSoftReward,
  tag_count: tagCountReward,
  language_consistency: languageConsistencyReward,
  kimi_length: kimiLengthReward,
  overlong: overlongReward,
  repetition: repetitionReward,
  /** Runs programs in the sandbox; proves its isolation on first use (`assertSandbox`). Node only. */
  code: codeReward({}),
  math_accuracy: mathAccuracyReward,
  accuracy_signed: signed(accuracyReward),
  /** Generative judge (R1 stage 3), configured from THINKRL_JUDGE_URL / THINKRL_JUDGE_MODEL on first use (`judge.ts`). Node only. */
  judge: judgeReward({}),
} satisfies Record<RewardName, RewardFn>;

/** Valid reward names, in registry order. */
export const REWARD_NAMES = Object.keys(REWARDS) as RewardName[];

/** Built-in reward by name, with its default options. Unknown name → ConfigError listing the valid names. */
export function getReward(name: string): RewardFn {
  if (!Object.hasOwn(REWARDS, name)) throw new ConfigError(`unknown reward '${name}' (valid: ${REWARD_NAMES.join(", ")})`);
  return REWARDS[name as RewardName];
}

/** `warmup_steps` → `warmupSteps`. */
const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function typeError(where: string, o: RewardOption, v: unknown): string | null {
  const ok =
    o.type === "integer" ? Number.isSafeInteger(v)
    : o.type === "number" ? typeof v === "number" && Number.isFinite(v)
    : o.type === "boolean" ? typeof v === "boolean"
    : o.type === "string" ? typeof v === "string"
    : Array.isArray(v) && v.every((x) => typeof x === "string");
  if (!ok) return `${where} must be ${o.type === "integer" ? "an integer" : o.type === "string[]" ? "a list of strings" : `a ${o.type}`} (got ${JSON.stringify(v)})`;
  if (o.min !== undefined && (v as number) < o.min) return `${where} must be ≥ ${o.min} (got ${JSON.stringify(v)})`;
  if (o.choices === undefined) return null;
  const bad = (Array.isArray(v) ? v : [v]).find((x) => !o.choices!.includes(x as string));
  return bad === undefined ? null : `${where} must be one of ${o.choices.join(", ")} (got ${JSON.stringify(bad)})`;
}

/**
 * Checks one reward's options against its spec: keys known (snake_case accepted), values of the declared type.
 * @returns the options with camelCase keys
 * @throws ConfigError naming the reward and the key, listing the valid keys
 */
export function validateRewardKwargs(name: RewardName, kwargs: unknown): Record<string, unknown> {
  const spec: RewardSpec = REWARD_SPECS[name];
  if (kwargs === null || typeof kwargs !== "object" || Array.isArray(kwargs)) {
    throw new ConfigError(`rewardKwargs.${name} must be an object of options (got ${JSON.stringify(kwargs)})`);
  }
  const valid = Object.keys(spec.options);
  const out: Record<string, unknown> = {};
  for (const [raw, v] of Object.entries(kwargs)) {
    const key = camel(raw);
    const o = Object.hasOwn(spec.options, key) ? spec.options[key]! : undefined;
    if (o === undefined) {
      throw new ConfigError(`rewardKwargs.${name}: unknown option '${raw}' (${valid.length ? `valid: ${valid.join(", ")}` : `reward '${name}' takes no options`})`);
    }
    const problem = typeError(`rewardKwargs.${name}.${key}`, o, v);
    if (problem !== null) throw new ConfigError(problem);
    out[key] = v;
  }
  return out;
}

/**
 * The weighted rewards of a run: `names[i]` with weight `weights[i]` and options `kwargs[names[i]]`.
 * Options are checked against each reward's spec (`REWARD_SPECS`); a reward without options is the registry's
 * shared default instance (`getReward`).
 * @param kwargs options by reward name, e.g. `{ kimi_length: { warmupSteps: 10 } }` (camelCase or snake_case keys)
 * @throws ConfigError (one line) for an unknown or repeated reward name, a weight count that does not match, a
 *   non-finite weight, options for a reward that is not in `names`, an unknown option (listing the valid ones),
 *   a value of the wrong type or rejected by the reward, or a Node-only reward outside Node
 */
export function resolveRewards(
  names: readonly string[],
  weights: readonly number[],
  kwargs: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {},
): WeightedReward[] {
  if (weights.length !== names.length || weights.some((w) => typeof w !== "number" || !Number.isFinite(w))) {
    throw new ConfigError(`reward weights must list one finite number per reward (${names.length}; got ${JSON.stringify(weights)})`);
  }
  for (const name of names) getReward(name); // unknown names first, listing the valid ones
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new ConfigError(`reward '${dup}' is listed twice`);
  for (const name of Object.keys(kwargs)) {
    if (!names.includes(name)) {
      throw new ConfigError(`rewardKwargs has options for '${name}', which is not among the rewards (${names.join(", ")})`, {
        hint: Object.hasOwn(REWARDS, name) ? `add ${name} to the reward functions, or drop its options` : `valid rewards: ${REWARD_NAMES.join(", ")}`,
      });
    }
  }
  return names.map((n, i) => {
    const name = n as RewardName;
    const spec: RewardSpec = REWARD_SPECS[name];
    if (spec.nodeOnly && !isNode()) throw new ConfigError(`reward '${name}' needs Node.js; it is not available in a browser`);
    const opts = validateRewardKwargs(name, kwargs[name] ?? {});
    let fn: RewardFn;
    try {
      fn = Object.keys(opts).length === 0 ? REWARDS[name] : spec.create(opts);
    } catch (e) {
      if (e instanceof ThinkrlError) throw new ConfigError(`rewardKwargs.${name}: ${e.message}`, { hint: e.hint });
      throw e;
    }
    return { name, fn, weight: weights[i]! };
  });
}
