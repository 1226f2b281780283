/**
 * Pipeline recipes (`thinkrl pipeline <recipe.yaml>`): a named list of stages run in order, each in
 * `<out>/<stage name>/`, whose inputs may be wired from earlier stages' outputs.
 *
 * ```yaml
 * name: r1
 * out: runs/r1                       # run root; ${env.NAME} references allowed
 * stages:
 *   - name: cold_start
 *     type: sft                      # sft | grpo | sample | eval | merge | pairs | dpo | adapt | table
 *     with: { dataset: arithmetic, num_examples: 4096, from_scratch: true }
 *   - name: reasoning_rl
 *     type: grpo
 *     with: { model: "${stages.cold_start.model}", prompt_format: compact, max_steps: 20 }
 * ```
 *
 * `with` holds the options of that stage type under their CLI / config names, camelCase or snake_case (see
 * `STAGE_KEYS`). A string value may contain `${stages.<stage>.<export>}` (an output of an earlier stage, see
 * `STAGE_EXPORTS`) and `${env.<VAR>}` (an environment variable, substituted when the recipe is loaded; always a
 * string). Everything is checked here, before any stage runs: stage types, keys, references, and the sft / grpo
 * configs themselves (with references stood in by placeholders).
 */
import { parseDocument } from "yaml";
import { ConfigError } from "../core/errors.js";
import { camelCase, resolveTrainConfig, TRAIN_DEFAULTS } from "../train/config.js";
import { resolveSftConfig, SFT_DEFAULTS } from "../train/sft-config.js";
import { DPO_DEFAULTS, resolveDpoConfig } from "../train/dpo-config.js";
import { ADAPT_KEYS, resolveAdaptConfig } from "./adapt-config.js";
import { benchmarkConfigFromOptions } from "./benchmark.js";
import { resolveSampleConfig, sampleJobFromOptions } from "./rejection-sampling.js";

export type StageType = "sft" | "grpo" | "sample" | "eval" | "merge" | "pairs" | "dpo" | "adapt" | "table";

/**
 * What each stage type exports to later stages (paths):
 * - sft: `model` (its `final/` model directory);
 * - grpo: `model` (its last checkpoint directory), `summary` (its `summary.json`: held-out eval before/after);
 * - sample: `output` (the kept samples, SFT-ready JSONL);
 * - eval: `summary` (its `summary.json`: pass@1, cons@n, pass@k, answer_rate, format_rate, mean_length);
 * - merge: `model` (the merged model directory, `thinkrl merge`);
 * - pairs: `output` (the preference pairs JSONL, `thinkrl pairs`);
 * - dpo: `model` (its `final/` model directory, `thinkrl dpo`);
 * - adapt: `summary` (its `summary.json`, `thinkrl adapt`: pass@1 per task, the first pass's choice and cost);
 * - table: `table` (its `table.md`: earlier stages' metrics as a markdown table, `runTableStage`);
 * and every stage `dir` (its directory).
 */
export const STAGE_EXPORTS = {
  sft: ["model", "dir"],
  grpo: ["model", "summary", "dir"],
  sample: ["output", "dir"],
  eval: ["summary", "dir"],
  merge: ["model", "dir"],
  pairs: ["output", "dir"],
  dpo: ["model", "dir"],
  adapt: ["summary", "dir"],
  table: ["table", "dir"],
} as const satisfies Record<StageType, readonly string[]>;

export const STAGE_TYPES = Object.keys(STAGE_EXPORTS) as StageType[];

/**
 * Options of the `sample` stage: the `thinkrl sample` flags in camelCase (`format` also as `promptFormat`; the
 * completion budget as `maxTokens`, `maxNewTokens` or `maxCompletionLength`), read by `sampleJobFromOptions`.
 */
const SAMPLE_KEYS = [
  "dataset", "model", "endpoint", "endpointModel", "endpointApi", "apiKeyEnv", "systemPrompt", "format", "numPrompts", "numSamples",
  "keep", "rewardFuncs", "rewardWeights", "correctReward", "temperature", "topP", "maxTokens", "maxNewTokens", "maxCompletionLength", "seed", "filterMixedLanguage",
  "mixedLanguageMinShare", "language", "filterLongParagraphs", "filterCodeBlocks", "concurrency", "maxRetries", "timeout", "samplesPerRequest",
  "expert", "expertWeights", "adapterPath",
];

/**
 * Options of the `eval` stage: the `thinkrl eval` flags in camelCase (`format` also as `promptFormat`; the completion
 * budget as `maxCompletionLength`, `maxNewTokens` or `maxTokens`), read by `benchmarkConfigFromOptions`.
 */
const EVAL_KEYS = [
  "model", "dataset", "layout", "questionField", "answerField", "format", "numEvalProblems", "evalSamples", "maxNewTokens", "temperature",
  "topP", "batchSize", "seed", "endpoint", "endpointModel", "endpointApi", "apiKeyEnv", "concurrency", "maxTokens", "maxCompletionLength",
  "expert", "expertWeights", "adapterPath",
];

/**
 * Pipeline-only options of the `sft` stage:
 * - `fromScratch` (default false): start from a randomly initialised embedded model (seeded by `seed`) instead of
 *   `model` — the "base model" of the tiny setting, for a real cold start;
 * - `numExamples` (default 4096): when `dataset` is a built-in task (or a mix), the stage first writes this many
 *   worked solutions drawn from the task's training stream (never its held-out pool) to `solutions.jsonl` and
 *   trains on them;
 * - `solutionStyle` (default `worked`): which solutions that export writes — `worked` (the task's worked solution)
 *   or `checked` (the worked solution followed by a check doing real work, `Problem.checkedSolution`: long-CoT data
 *   for the Kimi long2short recipe; arithmetic only).
 */
export const SFT_PIPELINE_DEFAULTS = { fromScratch: false, numExamples: 4096, solutionStyle: "worked" } as const;

/** Every key each stage type accepts in `with` (camelCase). */
export const STAGE_KEYS: Readonly<Record<StageType, ReadonlySet<string>>> = {
  sft: new Set([...Object.keys(SFT_DEFAULTS), "dataset", "format", ...Object.keys(SFT_PIPELINE_DEFAULTS)]),
  grpo: new Set(Object.keys(TRAIN_DEFAULTS)),
  sample: new Set(SAMPLE_KEYS),
  eval: new Set(EVAL_KEYS),
  merge: new Set(["models", "weights", "maxShardSize"]),
  pairs: new Set(["samples", "longRatio", "maxPairsPerPrompt", "correctReward"]),
  dpo: new Set([...Object.keys(DPO_DEFAULTS), "dataset", "format"]),
  adapt: new Set(ADAPT_KEYS.filter((k) => k !== "out")),
  table: new Set(["title", "columns", "rows", "metric"]),
};

/** Keys the pipeline sets itself (each stage writes to its own directory and resumes on its own). */
const PIPELINE_OWNED = new Set(["out", "outputDir", "resume", "json"]);

/** Keys whose value is a list; a comma-separated string is accepted too. */
const LIST_KEYS: Record<string, "string" | "number"> = { experts: "string", categories: "string", columns: "string", models: "string", weights: "number", rewardFuncs: "string", rewardWeights: "number", adapterTargets: "string", expert: "string", expertWeights: "number" };

export interface StageSpec {
  name: string;
  type: StageType;
  /** camelCase keys; string values may still hold `${stages.…}` references (resolved by `resolveStageOptions`). */
  with: Readonly<Record<string, unknown>>;
}

export interface Recipe {
  name: string;
  /** Run root: stage `s` runs in `<out>/<s.name>/`. */
  out: string;
  stages: StageSpec[];
}

const REF = /\$\{([^}]*)\}/g;
const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * Parses and validates a recipe.
 * @param text YAML (JSON is YAML too)
 * @param o.source file name for messages; o.env environment for `${env.…}` (default `process.env`)
 * @throws ConfigError naming the stage and key at fault
 */
export function parseRecipe(text: string, o: { source?: string; env?: Record<string, string | undefined> } = {}): Recipe {
  const src = o.source ?? "recipe";
  const env = o.env ?? process.env;
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0] ? `:${e.linePos[0].line}:${e.linePos[0].col}` : "";
    throw new ConfigError(`${src}${at}: invalid YAML (${e.message.split("\n")[0]})`);
  }
  const root = doc.toJS() as unknown;
  if (!isObject(root)) throw new ConfigError(`${src}: a recipe is a mapping with name, out and stages`);
  for (const k of Object.keys(root)) {
    if (!["name", "out", "stages", "description"].includes(k)) throw new ConfigError(`${src}: unknown top-level key "${k}"`, { hint: "valid: name, out, stages, description" });
  }
  if (typeof root.name !== "string" || root.name === "") throw new ConfigError(`${src}: "name" must be a non-empty string`);
  if (typeof root.out !== "string" || root.out === "") throw new ConfigError(`${src}: "out" must be the run directory (a string)`);
  const out = substituteEnv(root.out, env, `${src}: out`);
  if (!Array.isArray(root.stages) || root.stages.length === 0) throw new ConfigError(`${src}: "stages" must be a non-empty list`);

  const stages: StageSpec[] = [];
  root.stages.forEach((raw: unknown, i: number) => {
    const where = `${src}: stages[${i}]`;
    if (!isObject(raw)) throw new ConfigError(`${where} must be a mapping with name, type and with`);
    for (const k of Object.keys(raw)) if (!["name", "type", "with"].includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (valid: name, type, with)`);
    const name = raw.name;
    if (typeof name !== "string" || !STAGE_NAME.test(name)) {
      throw new ConfigError(`${where}: name must be letters, digits, _ or - (got ${JSON.stringify(name)}); it names the stage's directory`);
    }
    if (stages.some((s) => s.name === name)) throw new ConfigError(`${where}: stage name "${name}" is used twice`);
    const type = raw.type;
    if (typeof type !== "string" || !(STAGE_TYPES as string[]).includes(type)) {
      throw new ConfigError(`${src}: stage "${name}": unknown type ${JSON.stringify(type)}`, { hint: `stage types: ${STAGE_TYPES.join(", ")}` });
    }
    const t = type as StageType;
    const given = raw.with ?? {};
    if (!isObject(given)) throw new ConfigError(`${src}: stage "${name}": "with" must be a mapping of options`);
    const opts: Record<string, unknown> = {};
    for (const [k0, v0] of Object.entries(given)) {
      const here = `${src}: stage "${name}" (${t}), key "${k0}"`;
      let k = camelCase(k0);
      if (k === "promptFormat" && t !== "grpo" && t !== "sft" && t !== "dpo") k = "format";
      if (k === "format" && (t === "sft" || t === "dpo")) k = "promptFormat";
      if (PIPELINE_OWNED.has(k)) throw new ConfigError(`${here}: set by the pipeline (each stage writes to ${out}/${name}/ and resumes there)`);
      if (!STAGE_KEYS[t].has(k)) throw new ConfigError(`${here}: unknown option for a ${t} stage`, { hint: `valid: ${[...STAGE_KEYS[t]].join(", ")}` });
      if (k in opts) throw new ConfigError(`${here}: given twice (camelCase and snake_case spellings are the same key)`);
      let v = mapStrings(v0, (s) => substituteEnv(s, env, here));
      mapStrings(v, (s) => (checkStageRefs(s, stages, here), s));
      if (LIST_KEYS[k] && typeof v === "string") v = v.split(",").map((x) => (LIST_KEYS[k] === "number" ? Number(x.trim()) : x.trim()));
      opts[k] = v;
    }
    const spec: StageSpec = { name, type: t, with: Object.freeze(opts) };
    validateStage(spec, src);
    if (t === "table") {
      for (const cells of Object.values(opts.rows as Record<string, string[]>)) for (const c of cells) {
        const stage = c.split(":")[0]!;
        if (c !== "" && !stages.some((x) => x.name === stage)) throw new ConfigError(`${src}: stage "${name}" (table): cell "${c}" names no earlier stage`, { hint: `earlier stages: ${stages.map((x) => x.name).join(", ")}` });
      }
    }
    stages.push(spec);
  });
  return { name: root.name, out, stages };
}

/**
 * Substitutes `${stages.<s>.<export>}` references from finished stages' outputs.
 * @throws ConfigError when a referenced output is missing (a bug: parse-time checks make stages run in order)
 */
export function resolveStageOptions(spec: StageSpec, outputs: ReadonlyMap<string, Readonly<Record<string, string>>>): Record<string, unknown> {
  return mapStrings({ ...spec.with }, (s) =>
    s.replace(REF, (_, ref: string) => {
      const [, stage = "", key = ""] = ref.trim().split(".");
      const v = outputs.get(stage)?.[key];
      if (v === undefined) throw new ConfigError(`stage "${spec.name}": \${${ref}} is not available (has stage "${stage}" finished?)`);
      return v;
    }),
  ) as Record<string, unknown>;
}

/** Checks the config a stage will run with, references stood in by a placeholder path. */
function validateStage(spec: StageSpec, src: string): void {
  const w = mapStrings({ ...spec.with }, (s) => s.replace(REF, "ref")) as Record<string, unknown>;
  const fail = (e: unknown): never => {
    if (e instanceof ConfigError) throw new ConfigError(`${src}: stage "${spec.name}" (${spec.type}): ${e.message}`, { hint: e.hint });
    throw e;
  };
  try {
    if (spec.type === "grpo") resolveTrainConfig({ ...w, outputDir: "x" });
    if (spec.type === "sft") {
      const { fromScratch, numExamples, solutionStyle, ...sft } = w;
      if (solutionStyle !== undefined && solutionStyle !== "worked" && solutionStyle !== "checked") throw new ConfigError(`solutionStyle must be worked or checked (got ${JSON.stringify(solutionStyle)})`);
      if (fromScratch !== undefined && typeof fromScratch !== "boolean") throw new ConfigError(`fromScratch must be true or false (got ${JSON.stringify(fromScratch)})`);
      if (fromScratch === true && sft.model !== undefined) throw new ConfigError("give model or fromScratch, not both");
      if (numExamples !== undefined && (!Number.isInteger(numExamples) || (numExamples as number) < 1)) {
        throw new ConfigError(`numExamples must be an integer ≥ 1 (got ${JSON.stringify(numExamples)})`);
      }
      resolveSftConfig({ ...sft, outputDir: "x" });
    }
    if (spec.type === "dpo") resolveDpoConfig({ ...w, outputDir: "x" });
    if (spec.type === "merge" && (!Array.isArray(w.models) || w.models.length < 2)) throw new ConfigError("models must list at least two model directories");
    if (spec.type === "merge" && w.weights !== undefined && (!Array.isArray(w.weights) || w.weights.length !== (w.models as unknown[]).length)) throw new ConfigError("weights must give one number per model");
    if (spec.type === "adapt") resolveAdaptConfig({ ...w, out: "x" });
    if (spec.type === "table") checkTableStage(spec);
    if (spec.type === "pairs" && typeof w.samples !== "string") throw new ConfigError("samples is required (a sample --keep all output, e.g. ${stages.<sample stage>.output})");
    if (spec.type === "sample" || spec.type === "eval") {
      if (typeof w.dataset !== "string" && !(spec.type === "eval" && w.dataset === undefined)) throw new ConfigError(`dataset is required (a built-in task or a file)`);
      if (w.model !== undefined && w.endpoint !== undefined) throw new ConfigError("give model or endpoint, not both");
      if (w.endpoint !== undefined && w.endpointModel === undefined) throw new ConfigError("endpoint needs endpointModel (the model the server serves)");
      // The settings the stage will run with, checked by the command's own code.
      if (spec.type === "sample") resolveSampleConfig(sampleJobFromOptions({ ...w, out: "x" }).config, w.endpoint !== undefined ? "endpoint" : "local");
      else benchmarkConfigFromOptions({ ...w, out: "x" });
    }
  } catch (e) {
    fail(e);
  }
}

/**
 * A `table` stage: `title` (string), `columns` (labels), `rows` (a mapping: row label → one cell per column), optional
 * `metric` (default `pass@1`). A cell is an earlier stage's name (its `metric`), `stage:key` (that stage's metric
 * `key`, e.g. `pass@1/arithmetic` of an adapt stage or `adapter_params` of an eval stage), or "" (blank).
 */
function checkTableStage(spec: StageSpec): void {
  const w = spec.with;
  if (w.title !== undefined && typeof w.title !== "string") throw new ConfigError("title must be a string");
  if (w.metric !== undefined && typeof w.metric !== "string") throw new ConfigError("metric must be a metric name, e.g. pass@1");
  const cols = w.columns;
  if (!Array.isArray(cols) || cols.length === 0) throw new ConfigError("columns must list the column labels");
  if (!isObject(w.rows) || Object.keys(w.rows).length === 0) throw new ConfigError("rows must map each row label to its cells");
  for (const [label, cells] of Object.entries(w.rows)) {
    if (!Array.isArray(cells) || cells.length !== cols.length || cells.some((c) => typeof c !== "string")) {
      throw new ConfigError(`row "${label}" must list ${cols.length} cells (stage names, stage:metric, or "")`);
    }
  }
}

/** Throws unless every `${stages.<s>.<export>}` in `s` names an earlier stage and one of its exports. */
function checkStageRefs(s: string, earlier: readonly StageSpec[], where: string): void {
  for (const m of s.matchAll(REF)) {
    const parts = m[1]!.trim().split(".");
    if (parts[0] !== "stages" || parts.length !== 3) {
      throw new ConfigError(`${where}: cannot resolve \${${m[1]}}`, { hint: "references are ${stages.<stage>.<output>} or ${env.<VAR>}" });
    }
    const [, stage, key] = parts as [string, string, string];
    const from = earlier.find((x) => x.name === stage);
    if (from === undefined) {
      throw new ConfigError(`${where}: cannot resolve \${${m[1]}}: no earlier stage "${stage}"`, { hint: `earlier stages: ${earlier.map((x) => x.name).join(", ") || "none"}` });
    }
    if (!(STAGE_EXPORTS[from.type] as readonly string[]).includes(key)) {
      throw new ConfigError(`${where}: cannot resolve \${${m[1]}}: a ${from.type} stage exports ${STAGE_EXPORTS[from.type].join(", ")}`);
    }
  }
}

function substituteEnv(s: string, env: Record<string, string | undefined>, where: string): string {
  return s.replace(REF, (whole, ref: string) => {
    const parts = ref.trim().split(".");
    if (parts[0] !== "env") return whole;
    const v = parts.length === 2 ? env[parts[1]!] : undefined;
    if (v === undefined || v === "") throw new ConfigError(`${where}: cannot resolve \${${ref}}: environment variable ${parts.slice(1).join(".")} is not set`);
    return v;
  });
}

/** Applies `f` to every string inside a JSON-like value. */
function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === "string") return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
