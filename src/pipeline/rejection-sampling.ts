/**
 * Rejection sampling (DeepSeek-R1 §2.3.3, stage 3; Kimi k1.5 §2.4): n samples per prompt from a local model or an
 * endpoint (any `Sampler`), scored by the reward library, filtered for readability, reduced by a keep policy, and
 * written as SFT-ready JSONL.
 *
 * Output row: the dataset's columns, then `prompt`, `completion`, `messages` (the chat history + the assistant
 * reply), `reward` (weighted total), `rewards` (each function's score) and `provenance` (sampler, sampling
 * parameters, reward functions, keep policy, prompt key, sample index, finish reason, tokens). A dataset column
 * with one of those names is kept as `dataset_<name>`.
 *
 * Resumable: next to `<out>` an index `<out>.done.jsonl` holds a header (the run's settings) and one line per
 * finished prompt `{key, rows, end}` (`end` = byte length of `<out>` after its rows). A prompt's rows are written
 * in one append after all its samples are scored, then its index line. On resume, `<out>` is cut back to the last
 * indexed `end` (dropping rows of a prompt whose index line never landed, and torn lines), so a resumed run never
 * duplicates rows; finished prompts are skipped.
 *
 * `runSampleJob` is `thinkrl sample` and the pipeline's `sample` stage: it opens the sampler (a local model — the
 * jax-js engine started first — or an endpoint, `samplers.ts`) and runs `runSample`.
 */
import { appendFile, mkdir, open, readFile, rename, stat, truncate, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { ChatMessage } from "../data/dataset.js";
import { loadJsonlDataset } from "../data/dataset.js";
import { openPromptSource } from "../data/source.js";
import { TASK_NAMES } from "../data/tasks/index.js";
import { sameJson } from "../core/json.js";
import { ConfigError, DatasetError } from "../core/errors.js";
import { combineRewards, getReward, REWARD_NAMES, type WeightedReward } from "../reward/combine.js";
import { resolveRewards } from "../reward/registry.js";
import { rewardBatch } from "../reward/batch.js";
import { targetScripts } from "../reward/language.js";
import { chatHistory, type SampleOutput, type SampleParams, type Sampler } from "../rollout/sampler.js";
import { endpointFromOptions, openSampler, type SamplerSource } from "./samplers.js";
import type { EndpointStats } from "../rollout/endpoint.js";
import { SAMPLE_DEFAULTS } from "./sample-defaults.js";
import { keepSamples, KEEP_POLICY_NAMES, needsCorrectness, type Candidate, type KeepPolicy } from "./keep.js";
import { READABILITY_REASONS, readabilityReject, type ReadabilityFilters, type ReadabilityReason } from "./readability.js";

export interface SampleConfig {
  /** Built-in task (`arithmetic`, `countdown`: its training stream, never the held-out pool) or a `.jsonl` file. */
  dataset: string;
  /** Output JSONL path (required). */
  out: string;
  /** Prompts to sample: built-in tasks draw this many distinct problems (default 256); files: the first N rows (default all). */
  numPrompts: number | null;
  /** n, samples per prompt. Default 4. */
  numSamples: number;
  /** `all-correct` (default), `best-of-n`, `shortest-correct`, `all` (see `keep.ts`). */
  keep: KeepPolicy;
  /** Reward functions (registry names). Default `accuracy, format`. */
  rewardFuncs: string[];
  /** One weight per reward function. Default: 1 each. */
  rewardWeights: number[] | null;
  /** Reward whose score ≥ 1 means "correct" (for all-correct / shortest-correct). Default `accuracy`. */
  correctReward: string;
  /** Sampling temperature. Default 0.6 (`R1_EVAL_SAMPLING`, R1's recommended setting). */
  temperature: number;
  /** Nucleus top-p. Default 0.95 (`R1_EVAL_SAMPLING`). */
  topP: number;
  /**
   * Completion budget in tokens (flags `--max-tokens`, `--max-new-tokens`, `--max-completion-length`). Default 48
   * for a local model (the embedded model's completion length), 4096 for an endpoint.
   */
  maxCompletionLength: number;
  /** Seed of prompt drawing and sampling (endpoints: sample i is sent seed + i). Default 0. */
  seed: number;
  /** R1 stage-3 readability filters (each off by default). */
  filters: ReadabilityFilters;
  /** Target language of the mixed-language filter when a row has no `language` column. Default `en`. */
  language: string;
  /** Continue an interrupted run into the same `out` (the settings must match). Default false. */
  resume: boolean;
  /** Prompts handed to the sampler per call. Default: 64 for an endpoint (its concurrency limit still applies), 256/n for a local model. */
  promptsPerCall: number;
}

export { SAMPLE_DEFAULTS };

/** Endpoints: prompts per sampler call (a barrier between calls costs little at this size). */
const ENDPOINT_PROMPTS_PER_CALL = 64;
/** Local model: sequences per sampler call. */
const LOCAL_SEQUENCES_PER_CALL = 256;

export type PartialSampleConfig = Partial<Omit<SampleConfig, "filters">> & { filters?: Partial<ReadabilityFilters> };

/**
 * Fills defaults and checks the config once.
 * @param samplerKind `local` or `endpoint` (picks `maxCompletionLength` and `promptsPerCall` defaults)
 * @throws ConfigError quoting the offending value
 */
export function resolveSampleConfig(partial: PartialSampleConfig, samplerKind: "local" | "endpoint"): Readonly<SampleConfig> {
  const { filters, ...rest } = partial;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<SampleConfig>;
  const numSamples = defined.numSamples ?? SAMPLE_DEFAULTS.numSamples;
  const { numPromptsTask: _n, maxCompletionLengthLocal: _l, maxCompletionLengthEndpoint: _e, ...defaults } = SAMPLE_DEFAULTS;
  const c: SampleConfig = {
    ...defaults,
    numPrompts: null,
    maxCompletionLength: samplerKind === "local" ? SAMPLE_DEFAULTS.maxCompletionLengthLocal : SAMPLE_DEFAULTS.maxCompletionLengthEndpoint,
    promptsPerCall: samplerKind === "local" ? Math.max(1, Math.floor(LOCAL_SEQUENCES_PER_CALL / Math.max(1, numSamples))) : ENDPOINT_PROMPTS_PER_CALL,
    dataset: "",
    out: "",
    ...defined,
    filters: { ...SAMPLE_DEFAULTS.filters, ...Object.fromEntries(Object.entries(filters ?? {}).filter(([, v]) => v !== undefined)) },
  };
  if (!c.dataset) throw new ConfigError("sample: --dataset is required (a built-in task or a .jsonl file)");
  if (!c.out) throw new ConfigError("sample: --out is required (the output .jsonl file)");
  const posInt = (name: string, v: number) => {
    if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(`sample: ${name} must be an integer ≥ 1 (got ${v})`);
  };
  if (c.numPrompts !== null) posInt("numPrompts", c.numPrompts);
  posInt("numSamples", c.numSamples);
  posInt("maxCompletionLength", c.maxCompletionLength);
  posInt("promptsPerCall", c.promptsPerCall);
  if (!Number.isSafeInteger(c.seed)) throw new ConfigError(`sample: seed must be an integer (got ${c.seed})`);
  if (!KEEP_POLICY_NAMES.includes(c.keep)) throw new ConfigError(`sample: keep must be one of ${KEEP_POLICY_NAMES.join(", ")} (got "${c.keep}")`);
  if (!(c.temperature >= 0)) throw new ConfigError(`sample: temperature must be ≥ 0 (got ${c.temperature})`);
  if (!(c.topP > 0 && c.topP <= 1)) throw new ConfigError(`sample: topP must be in (0, 1] (got ${c.topP})`);
  if (c.rewardFuncs.length === 0) throw new ConfigError("sample: rewardFuncs must name at least one reward");
  for (const f of c.rewardFuncs) getReward(f); // unknown name → ConfigError listing the valid ones
  if (new Set(c.rewardFuncs).size !== c.rewardFuncs.length) throw new ConfigError(`sample: rewardFuncs has duplicates (${c.rewardFuncs.join(",")})`);
  if (c.rewardWeights !== null && (c.rewardWeights.length !== c.rewardFuncs.length || c.rewardWeights.some((w) => !Number.isFinite(w)))) {
    throw new ConfigError(`sample: rewardWeights must list one finite number per reward function (${c.rewardFuncs.length}; got ${JSON.stringify(c.rewardWeights)})`);
  }
  if (needsCorrectness(c.keep) && !c.rewardFuncs.includes(c.correctReward)) {
    throw new ConfigError(`sample: keep ${c.keep} needs the correctness reward '${c.correctReward}' in rewardFuncs (got ${c.rewardFuncs.join(",")})`, {
      hint: `add it to --reward-funcs or pick another with --correct-reward (${REWARD_NAMES.join(", ")})`,
    });
  }
  const f = c.filters;
  if (!(f.mixedLanguageMinShare >= 0 && f.mixedLanguageMinShare <= 1)) throw new ConfigError(`sample: mixedLanguageMinShare must be in [0, 1] (got ${f.mixedLanguageMinShare})`);
  if (f.longParagraphs !== null) posInt("filters.longParagraphs", f.longParagraphs);
  if (f.mixedLanguage && targetScripts(c.language) === null) throw new ConfigError(`sample: unknown language "${c.language}" for the mixed-language filter`);
  return Object.freeze(c);
}

/** One prompt to sample for. */
interface SampleItem {
  key: string;
  question: string;
  messages?: ChatMessage[];
  columns: Record<string, unknown>;
}

async function loadItems(c: Readonly<SampleConfig>): Promise<SampleItem[]> {
  if ((TASK_NAMES as string[]).includes(c.dataset)) {
    // numEval 0: the held-out pool is still excluded from the stream, so eval problems never become SFT data.
    const source = await openPromptSource(c.dataset, 0, c.seed);
    const want = c.numPrompts ?? SAMPLE_DEFAULTS.numPromptsTask;
    const seen = new Set<string>();
    const items: SampleItem[] = [];
    for (let draws = 0; items.length < want; draws++) {
      // A task too small for `want` distinct problems: give up after 100 draws per wanted problem.
      if (draws > 100 * want) throw new ConfigError(`sample: ${c.dataset} yielded only ${items.length} distinct problems (asked for ${want})`);
      const p = source.next();
      if (seen.has(p.key)) continue;
      seen.add(p.key);
      items.push({ key: p.key, question: p.question, columns: p.columns });
    }
    return items;
  }
  if (!/\.jsonl?$/i.test(c.dataset)) throw new ConfigError(`sample: unknown dataset "${c.dataset}"`, { hint: `use a built-in task (${TASK_NAMES.join(", ")}) or a .jsonl file` });
  const rows = await loadJsonlDataset(c.dataset);
  return rows.slice(0, c.numPrompts ?? rows.length).map((r, i) => ({ key: `row:${i}`, question: r.prompt, messages: r.messages, columns: r.columns }));
}

export interface SampleProgress {
  /** Prompts finished, this run and earlier runs of a resumed output. */
  done: number;
  total: number;
  /** Prompts finished by this process (for rates and ETA). */
  doneThisRun: number;
  /** Rows written so far (all runs). */
  rows: number;
}

export interface SampleSummary {
  out: string;
  /** Prompts in the dataset selection. */
  prompts: number;
  /** Prompts skipped because a previous run finished them. */
  resumedPrompts: number;
  /** Samples drawn and scored by this run. */
  samples: number;
  /** Rows in `out` (all runs). */
  rows: number;
  /** Rows written by this run. */
  rowsThisRun: number;
  /** Prompts of this run with no kept sample. */
  promptsWithoutRows: number;
  /** Share of this run's samples that were correct (null when the keep policy uses no correctness reward). */
  correctRate: number | null;
  /** Mean total reward of this run's scorable samples. */
  meanReward: number | null;
  /** Samples of this run dropped by each readability filter. */
  filtered: Record<ReadabilityReason, number>;
  /** Samples of this run whose total reward was null. */
  nullRewards: number;
  seconds: number;
}

export interface SampleDeps {
  sampler: Sampler;
  log?: { info(msg: string): void };
  onProgress?: (p: SampleProgress) => void;
  /** Stops the run after the prompts being written; `runSample` then rejects with the abort reason. */
  signal?: AbortSignal;
}

/** Index file of an output. */
export function indexPath(out: string): string {
  return `${out}.done.jsonl`;
}

const OUTPUT_FIELDS = new Set(["prompt", "completion", "messages", "reward", "rewards", "provenance"]);

/** Runs (or resumes) rejection sampling into `cfg.out`. */
export async function runSample(cfg: Readonly<SampleConfig>, deps: SampleDeps): Promise<SampleSummary> {
  const t0 = performance.now();
  const { sampler } = deps;
  const items = await loadItems(cfg);
  const n = cfg.numSamples;
  const rewards: WeightedReward[] = resolveRewards(cfg.rewardFuncs, cfg.rewardWeights ?? cfg.rewardFuncs.map(() => 1));
  if (cfg.rewardFuncs.includes("code")) {
    // Model output is hostile: refuse to start unless the code sandbox's isolation is verified.
    const { assertSandbox, resolveSandboxConfig } = await import("../reward/code/sandbox.js");
    await assertSandbox(resolveSandboxConfig());
  }
  const params: SampleParams = { temperature: cfg.temperature, topP: cfg.topP, maxTokens: cfg.maxCompletionLength, seed: cfg.seed };
  const header = {
    version: 1,
    dataset: cfg.dataset,
    num_prompts: cfg.numPrompts,
    sampler: sampler.provenance,
    sampling: { temperature: cfg.temperature, top_p: cfg.topP, max_tokens: cfg.maxCompletionLength, seed: cfg.seed, n },
    reward_funcs: cfg.rewardFuncs,
    reward_weights: rewards.map((r) => r.weight),
    correct_reward: cfg.correctReward,
    keep: cfg.keep,
    filters: cfg.filters,
    language: cfg.language,
  };
  const { done, bytes, rows: rowsBefore } = await openOutput(cfg, header);
  const pending = items.filter((it) => !done.has(it.key));
  const resumedPrompts = items.length - pending.length;
  if (resumedPrompts > 0) deps.log?.info(`resuming ${cfg.out}: ${resumedPrompts}/${items.length} prompts done, ${rowsBefore} rows`);

  const provenanceBase = {
    ...sampler.provenance,
    sampling: header.sampling,
    reward_funcs: cfg.rewardFuncs,
    reward_weights: header.reward_weights,
    keep: cfg.keep,
  };
  const s = {
    bytes,
    rows: rowsBefore,
    rowsThisRun: 0,
    doneThisRun: 0,
    samples: 0,
    correct: 0,
    scorable: 0,
    rewardSum: 0,
    nullRewards: 0,
    promptsWithoutRows: 0,
    filtered: Object.fromEntries(READABILITY_REASONS.map((r) => [r, 0])) as Record<ReadabilityReason, number>,
  };
  let writes: Promise<void> = Promise.resolve();

  /** Scores one prompt's samples, then (serialised with other prompts) appends its rows and its index line. */
  const finishPrompt = async (item: SampleItem, outs: SampleOutput[]): Promise<void> => {
    const batch = rewardBatch(
      outs.map(() => ({ key: item.key, question: item.question, columns: item.columns })),
      // Endpoints return no token ids: placeholders of the reported length keep length-based rewards meaningful.
      outs.map((o) => ({ text: o.text, ids: new Array<number>(o.tokens ?? 0).fill(-1) })),
    );
    const scored = await combineRewards(rewards, batch, { step: 0, groupSize: n, maxCompletionLength: cfg.maxCompletionLength }, (w) => deps.log?.info(`warning: ${w}`));
    const scripts = targetScripts(typeof item.columns.language === "string" ? item.columns.language : cfg.language);
    if (cfg.filters.mixedLanguage && scripts === null) throw new DatasetError(`${cfg.dataset} ${item.key}: unknown language "${String(item.columns.language)}"`);
    const candidates: Candidate[] = outs.map((o, i) => {
      const reason = readabilityReject(o.text, cfg.filters, scripts ?? []);
      if (reason !== null) s.filtered[reason]++;
      const correct = scored.perFn[cfg.correctReward]?.[i] ?? null;
      return { index: i, text: o.text, tokens: o.tokens, correct, total: scored.total[i] ?? null, rejected: reason !== null };
    });
    for (const c of candidates) {
      s.samples++;
      if (c.correct !== null && c.correct >= 1) s.correct++;
      if (c.total === null) s.nullRewards++;
      else {
        s.scorable++;
        s.rewardSum += c.total;
      }
    }
    const kept = keepSamples(cfg.keep, candidates);
    const text = kept
      .map((c) => {
        const o = outs[c.index]!;
        const columns = Object.fromEntries(Object.entries(item.columns).map(([k, v]) => [OUTPUT_FIELDS.has(k) ? `dataset_${k}` : k, v]));
        const row = {
          ...columns,
          prompt: item.question,
          completion: o.text,
          messages: [...chatHistory(item), { role: "assistant", content: o.text }],
          reward: c.total,
          rewards: Object.fromEntries(cfg.rewardFuncs.map((f) => [f, scored.perFn[f]![c.index] ?? null])),
          provenance: {
            ...provenanceBase, prompt_key: item.key, sample_index: c.index, finish_reason: o.finishReason, tokens: o.tokens ?? null,
            ...(cfg.keep === "all" ? { correct_reward: cfg.correctReward, readability: readabilityReject(o.text, cfg.filters, scripts ?? []) } : {}),
          },
        };
        return JSON.stringify(row) + "\n";
      })
      .join("");
    const write = async () => {
      // One append for all of this prompt's rows, then its index line: a crash in between is undone on resume.
      if (text) await appendFile(cfg.out, text);
      s.bytes += Buffer.byteLength(text);
      s.rows += kept.length;
      s.rowsThisRun += kept.length;
      await appendFile(indexPath(cfg.out), JSON.stringify({ key: item.key, rows: kept.length, end: s.bytes }) + "\n");
      if (kept.length === 0) s.promptsWithoutRows++;
      s.doneThisRun++;
      deps.onProgress?.({ done: resumedPrompts + s.doneThisRun, total: items.length, doneThisRun: s.doneThisRun, rows: s.rows });
    };
    writes = writes.then(write);
    await writes;
  };

  deps.onProgress?.({ done: resumedPrompts, total: items.length, doneThisRun: 0, rows: s.rows });
  try {
    for (let start = 0; start < pending.length; start += cfg.promptsPerCall) {
      deps.signal?.throwIfAborted();
      const chunk = pending.slice(start, start + cfg.promptsPerCall);
      await sampler.sample(chunk, n, params, { onPrompt: (i, outs) => finishPrompt(chunk[i]!, outs), signal: deps.signal });
    }
  } finally {
    await writes.catch(() => {}); // let the prompt being written land before the error propagates
  }
  return {
    out: cfg.out,
    prompts: items.length,
    resumedPrompts,
    samples: s.samples,
    rows: s.rows,
    rowsThisRun: s.rowsThisRun,
    promptsWithoutRows: s.promptsWithoutRows,
    correctRate: needsCorrectness(cfg.keep) && s.samples > 0 ? s.correct / s.samples : null,
    meanReward: s.scorable > 0 ? s.rewardSum / s.scorable : null,
    filtered: s.filtered,
    nullRewards: s.nullRewards,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Starts a fresh output, or (resume) reads the index, cuts `<out>` back to the last indexed prompt and rewrites the
 * index without a torn last line.
 * @returns finished prompt keys, the byte length of `<out>` and its row count
 */
async function openOutput(cfg: Readonly<SampleConfig>, header: Record<string, unknown>): Promise<{ done: Set<string>; bytes: number; rows: number }> {
  const idx = indexPath(cfg.out);
  const exists = async (p: string) => stat(p).then(() => true, () => false);
  const fresh = async () => {
    await mkdir(dirname(cfg.out), { recursive: true });
    await writeFile(cfg.out, "");
    await writeFile(idx, JSON.stringify({ header }) + "\n");
    return { done: new Set<string>(), bytes: 0, rows: 0 };
  };
  if (!cfg.resume) {
    if ((await exists(cfg.out)) || (await exists(idx))) {
      throw new ConfigError(`sample: ${cfg.out} already exists`, { hint: "pass --resume to continue it, or choose another --out" });
    }
    return fresh();
  }
  if (!(await exists(idx))) {
    const size = (await exists(cfg.out)) ? (await stat(cfg.out)).size : 0;
    if (size > 0) throw new ConfigError(`sample: cannot resume ${cfg.out}: its index ${idx} is missing`);
    return fresh();
  }
  const lines = (await readFile(idx, "utf8")).split("\n");
  let first: { header?: Record<string, unknown> } | null = null;
  try {
    first = JSON.parse(lines[0] ?? "") as { header?: Record<string, unknown> };
  } catch {
    first = null;
  }
  if (!first?.header) throw new ConfigError(`sample: ${idx} is not a thinkrl sample index (no header line)`);
  const differ = Object.keys({ ...header, ...first.header }).filter((k) => !sameJson(header[k], first!.header![k]));
  if (differ.length > 0) {
    throw new ConfigError(`sample: cannot resume ${cfg.out} with different settings (${differ.map((k) => `${k}: ${JSON.stringify(first!.header![k])} → ${JSON.stringify(header[k])}`).join("; ")})`, {
      hint: "use the original flags, or another --out",
    });
  }
  const entries: { key: string; rows: number; end: number }[] = [];
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    let e: { key?: unknown; rows?: unknown; end?: unknown };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      break; // a torn last line: that prompt is redone
    }
    if (typeof e.key !== "string" || typeof e.rows !== "number" || typeof e.end !== "number") break;
    entries.push({ key: e.key, rows: e.rows, end: e.end });
  }
  const end = entries.length ? entries[entries.length - 1]!.end : 0;
  const size = (await exists(cfg.out)) ? (await stat(cfg.out)).size : 0;
  if (size < end) throw new ConfigError(`sample: ${cfg.out} is shorter (${size} bytes) than its index says (${end}); it was modified`);
  if (size > end) {
    await truncate(cfg.out, end); // rows of a prompt whose index line never landed
  } else if (size === 0) {
    await writeFile(cfg.out, "");
  }
  // Rewrite the index without any torn tail, atomically.
  const tmp = `${idx}.tmp`;
  const fh = await open(tmp, "w");
  await fh.writeFile([JSON.stringify({ header: first.header }), ...entries.map((e) => JSON.stringify(e))].join("\n") + "\n");
  await fh.close();
  await rename(tmp, idx);
  return { done: new Set(entries.map((e) => e.key)), bytes: end, rows: entries.reduce((a, e) => a + e.rows, 0) };
}

/** A rejection-sampling job: its settings and where the samples come from (a local model or an endpoint). */
export interface SampleJob {
  config: PartialSampleConfig;
  source: SamplerSource;
}

/**
 * A job from options under the `thinkrl sample` flag names in camelCase (the CLI's parsed flags, a pipeline stage's
 * `with`): the config fields, the readability filter flags (`filterMixedLanguage`, `mixedLanguageMinShare`,
 * `filterLongParagraphs`, `filterCodeBlocks`), the completion budget's aliases (`maxTokens`, `maxNewTokens`,
 * `maxCompletionLength`), `model`, `format` and the endpoint flags (`endpointFromOptions`).
 * @throws ConfigError for an inconsistent endpoint or two spellings of the completion budget
 */
export function sampleJobFromOptions(rec: Readonly<Record<string, unknown>>): SampleJob {
  const endpoint = endpointFromOptions(rec, "sample");
  const budgets = [rec.maxCompletionLength, rec.maxNewTokens, rec.maxTokens].filter((v) => v !== undefined);
  if (budgets.length > 1) throw new ConfigError("sample: give one of --max-tokens, --max-new-tokens, --max-completion-length (they are the same setting)");
  const v = <T>(k: string) => rec[k] as T | undefined;
  return {
    config: {
      dataset: v<string>("dataset"),
      out: v<string>("out"),
      numPrompts: v<number>("numPrompts"),
      numSamples: v<number>("numSamples"),
      keep: v<KeepPolicy>("keep"),
      rewardFuncs: v<string[]>("rewardFuncs"),
      rewardWeights: v<number[]>("rewardWeights"),
      correctReward: v<string>("correctReward"),
      temperature: v<number>("temperature"),
      topP: v<number>("topP"),
      maxCompletionLength: budgets[0] as number | undefined,
      seed: v<number>("seed"),
      language: v<string>("language"),
      resume: rec.resume === true,
      filters: {
        mixedLanguage: rec.filterMixedLanguage === true,
        mixedLanguageMinShare: v<number>("mixedLanguageMinShare"),
        longParagraphs: v<number>("filterLongParagraphs"),
        codeBlocks: rec.filterCodeBlocks === true,
      },
    },
    source: { model: v<string>("model") ?? null, endpoint, format: v<string>("format") ?? null, adapter: { expert: v<string[]>("expert") ?? null, expertWeights: v<number[]>("expertWeights") ?? null, adapterPath: v<string>("adapterPath") ?? null } },
  };
}

/**
 * Checks the config, opens the sampler (a local model's generator seeded with the config's `seed`) and runs (or
 * resumes) rejection sampling.
 * @returns the summary, and an endpoint's request counters
 */
export async function runSampleJob(
  job: SampleJob,
  deps: Omit<SampleDeps, "sampler"> & { env?: Record<string, string | undefined> } = {},
): Promise<{ summary: SampleSummary; endpoint?: EndpointStats }> {
  const cfg = resolveSampleConfig(job.config, job.source.endpoint ? "endpoint" : "local");
  const opened = await openSampler(job.source, { seed: cfg.seed, jitterSeed: cfg.seed, env: deps.env });
  const summary = await runSample(cfg, { ...deps, sampler: opened.sampler });
  return opened.endpoint ? { summary, endpoint: opened.endpoint.stats } : { summary };
}
