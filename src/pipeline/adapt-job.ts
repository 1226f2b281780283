/**
 * `thinkrl adapt`: Transformer²'s two-pass self-adaptation (Sun et al. 2025, §3.2; `self-adapt.ts`) on a task's
 * held-out problems. Pass 1 picks α over the SVF experts — per query (`prompt`, `classifier`) or per task (`cem`,
 * few-shot examples from the training stream, never evaluation items) —, pass 2 answers with the mixed weights,
 * sampled as `thinkrl eval` samples (n per problem, R1's T 0.6 / top-p 0.95 by default) and judged by the task's
 * accuracy reward. Writes `results.jsonl` (per query: the chosen category and α, the answers, correct flags) and
 * `summary.json` (pass@1, classification accuracy where the problems carry a `category` column, the first pass's
 * cost; for CEM per task: α, few-shot score, evaluations, forward passes, seconds).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { plural, type RunLog } from "../core/log.js";
import { Rng } from "../core/rng.js";
import type { PromptItem } from "../data/source.js";
import type { PromptFormat } from "../data/template.js";
import { EVAL_SEED_OFFSET } from "../eval/defaults.js";
import { evaluate } from "../eval/evaluate.js";
import { accuracyJudge } from "../eval/judge.js";
import { summarize, type ProblemResult } from "../eval/metrics.js";
import { fromPromptItems } from "../eval/problems.js";
import type { CausalLM } from "../model/causal-lm.js";
import { LocalSampler } from "../rollout/local-sampler.js";
import { OTHER_CATEGORY } from "../adapt/classify.js";
import { readSvfExpert } from "../adapt/node.js";
import { baseHash } from "../adapt/svd-cache.js";
import { SvfMixer, type ExpertWeights, type SvfExpert } from "../adapt/svf.js";
import type { AdaptConfig, AdaptStrategy } from "./adapt-config.js";
import { cemAdapt, classifyQueries, fewShotExamples, type PassCost } from "./self-adapt.js";
import { expertFactors } from "./adapters.js";
import { resolvePromptFormat } from "./samplers.js";

/** One query's row of `results.jsonl`. */
export interface AdaptResultRow extends ProblemResult {
  task: string | null;
  /** The problem's own category column, when it has one. */
  gold_category: string | null;
  /** Pass 1's category (prompt, classifier) — null for CEM. */
  category: string | null;
  /** Pass 1's classification answer (prompt, classifier) — null for CEM. */
  first_pass: string | null;
  alpha: ExpertWeights;
}

export interface AdaptSummary {
  strategy: AdaptStrategy;
  dataset: string;
  model: string;
  problems: number;
  samples: number;
  /** Second pass, all problems: the `eval` metrics (pass@1, …). */
  metrics: Record<string, number>;
  /** Second-pass pass@1 per task. */
  perTask: Record<string, { problems: number; pass1: number; alpha?: ExpertWeights; fewShotScore?: number[]; evaluations?: number; forwardPasses?: number; seconds?: number; iterations?: number }>;
  /** Prompt / classifier: share of problems whose predicted category equals their `category` column (problems that have one). */
  classificationAccuracy: number | null;
  /** Prompt / classifier: how many queries went to each category. */
  categoryCounts: Record<string, number> | null;
  /** Pass 1's cost in all, and per query. */
  firstPass: PassCost & { perQuerySeconds: number };
  secondPassSeconds: number;
  categories: string[];
  experts: string[];
}

/**
 * Runs the two passes and writes `results.jsonl` and `summary.json` to `cfg.out`. The jax-js engine must be started.
 * @param o.model the base model, already loaded (default: `cfg.model`, else the dataset's shipped model)
 * @throws ConfigError for experts of another base (one line, before any SVD), categories that cannot be named, a
 *   dataset that is not a built-in task; CheckpointError for unreadable expert files or model directories
 */
export async function runAdapt(cfg: Readonly<AdaptConfig>, o: { log: RunLog; model?: CausalLM }): Promise<AdaptSummary> {
  const { log } = o;
  const { builtinModelDirFor, loadModelFiles } = await import("../model/load.js");
  const modelName = cfg.model ?? (o.model ? "given" : "embedded");
  const model = o.model ?? (await loadModelFiles(cfg.model ?? builtinModelDirFor(cfg.dataset))).model;
  const { openPromptSource } = await import("../data/source.js");
  const source = await openPromptSource(cfg.dataset, cfg.numEvalProblems, cfg.seed);
  const items = source.heldOut;
  const experts = await Promise.all(cfg.experts.map((f) => readSvfExpert(f)));
  const classifier = cfg.classifierExpert ? await readSvfExpert(cfg.classifierExpert) : null;
  const hash = await baseHash(model);
  const all: [string, SvfExpert][] = [...cfg.experts.map((f, i): [string, SvfExpert] => [f, experts[i]!]), ...(classifier ? [[cfg.classifierExpert!, classifier] as [string, SvfExpert]] : [])];
  for (const [f, e] of all) {
    if (e.meta.baseHash !== hash) throw new ConfigError(`${f} was trained on another base model (base hash ${e.meta.baseHash.slice(0, 12)}…, this model ${hash.slice(0, 12)}…)`, { hint: "pass the --model the expert was trained on" });
  }
  const categories = cfg.categories ?? experts.map((e, i) => {
    if (!e.meta.task) throw new ConfigError(`${cfg.experts[i]} has no task in its metadata`, { hint: "name each expert's category with --categories a,b,c" });
    return e.meta.task;
  });
  if (new Set(categories).size !== categories.length) throw new ConfigError(`adapt: two experts share a category (${categories.join(", ")}); pass --categories`);
  const format = await resolvePromptFormat(cfg.format ?? undefined, model);
  const factorsFor = (es: readonly SvfExpert[]) => expertFactors(model, es, "adapt: an expert", (m) => log.progress(m));
  const mixer = new SvfMixer(model, await factorsFor(experts), experts);
  log.info(`adapt (${cfg.strategy}): ${plural(items.length, "held-out problem")} of ${cfg.dataset}; ${plural(experts.length, "expert")} for ${categories.join(", ")}`);

  const alphaOf: ExpertWeights[] = new Array(items.length);
  const predicted: (string | null)[] = new Array(items.length).fill(null);
  const firstText: (string | null)[] = new Array(items.length).fill(null);
  let firstPass: PassCost = { forwardPasses: 0, seconds: 0 };
  const perTask: AdaptSummary["perTask"] = {};
  const taskOf = (p: PromptItem) => (typeof p.columns.task === "string" ? p.columns.task : cfg.dataset);
  try {
    if (cfg.strategy === "cem") {
      const tasks = [...new Set(items.map(taskOf))];
      for (const task of tasks) {
        // Few-shot examples: the task's first k problems of the training stream (held-out problems never appear there).
        const fewShot = fewShotExamples(nextOfTask(source.next.bind(source), task, taskOf), cfg.fewShot, items);
        log.info(`CEM on ${task}: ${plural(fewShot.length, "few-shot example")} from the training data, population ${cfg.cemPopulation}, ≤ ${plural(cfg.cemIterations, "iteration")}`);
        const r = await cemAdapt(mixer, fewShot, {
          format, score: cfg.cemScore, maxTokens: cfg.maxCompletionLength, batchSize: cfg.batchSize, population: cfg.cemPopulation,
          eliteFraction: cfg.cemElite, iterations: cfg.cemIterations, initStd: cfg.cemStd, perLayer: cfg.cemPerLayer, seed: cfg.seed,
          onIteration: (it) => log.progress(`CEM ${task} ${it.iteration}/${cfg.cemIterations}  best ${it.best.map((x) => x.toFixed(3)).join(" / ")}  μ ${it.mean.map((x) => x.toFixed(2)).join(",")}`),
        });
        log.info(`CEM on ${task}: α ${fmtAlpha(r.alpha)}, few-shot score ${r.score.map((x) => x.toFixed(3)).join(" / ")} after ${plural(r.cem.iterations, "iteration")}: ${r.cost.evaluations} evaluations, ${r.cost.forwardPasses} forward passes, ${r.cost.seconds.toFixed(1)} s`);
        items.forEach((p, i) => {
          if (taskOf(p) === task) alphaOf[i] = r.alpha;
        });
        perTask[task] = { problems: 0, pass1: 0, alpha: r.alpha, fewShotScore: [...r.score], evaluations: r.cost.evaluations, forwardPasses: r.cost.forwardPasses, seconds: Number(r.cost.seconds.toFixed(2)), iterations: r.cem.iterations };
        firstPass = { forwardPasses: firstPass.forwardPasses + r.cost.forwardPasses, seconds: firstPass.seconds + r.cost.seconds };
      }
    } else {
      let clsMixer: SvfMixer | null = null;
      let clsModel = model;
      if (cfg.strategy === "classifier") {
        clsMixer = new SvfMixer(model, await factorsFor([classifier!]), [classifier!]);
        clsModel = clsMixer.model([1]);
      }
      try {
        const c = await classifyQueries(clsModel, items.map((p) => p.question), categories, { format, maxTokens: cfg.classifyMaxTokens, batchSize: cfg.batchSize });
        c.classifications.forEach((k, i) => {
          alphaOf[i] = k.alpha;
          predicted[i] = k.category;
          firstText[i] = k.text;
        });
        firstPass = c.cost;
      } finally {
        if (clsMixer) {
          clsMixer.release(clsModel);
          clsMixer.dispose();
        }
      }
    }

    // Pass 2: the problems grouped by α, each group answered by its mixed model.
    const t2 = performance.now();
    const rng = new Rng(cfg.seed + EVAL_SEED_OFFSET);
    const rows: AdaptResultRow[] = new Array(items.length);
    const groups = new Map<string, number[]>();
    alphaOf.forEach((a, i) => groups.set(JSON.stringify(a), [...(groups.get(JSON.stringify(a)) ?? []), i]));
    for (const [key, idx] of groups) {
      const alpha = JSON.parse(key) as ExpertWeights;
      const m = mixer.model(alpha);
      try {
        const sampler = new LocalSampler({ model: m, format, rng, batchSize: cfg.batchSize, modelName });
        const run = await evaluate(fromPromptItems(idx.map((i) => items[i]!)), sampler, accuracyJudge, {
          samples: cfg.evalSamples,
          params: { temperature: cfg.temperature, topP: cfg.topP, maxTokens: cfg.maxCompletionLength },
        });
        run.results.forEach((r, j) => {
          const p = items[idx[j]!]!;
          rows[idx[j]!] = { ...r, task: taskOf(p), gold_category: typeof p.columns.category === "string" ? p.columns.category : null, category: predicted[idx[j]!]!, first_pass: firstText[idx[j]!]!, alpha };
        });
      } finally {
        mixer.release(m);
      }
      log.progress(`pass 2: ${[...groups.keys()].indexOf(key) + 1}/${groups.size} α groups`);
    }
    const secondPassSeconds = (performance.now() - t2) / 1000;
    for (const task of new Set(rows.map((r) => r.task ?? cfg.dataset))) {
      const mine = rows.filter((r) => (r.task ?? cfg.dataset) === task);
      perTask[task] = { ...perTask[task], problems: mine.length, pass1: summarize(mine)["pass@1"] ?? NaN };
    }
    const labelled = rows.filter((r) => r.gold_category !== null && r.category !== null);
    const summary: AdaptSummary = {
      strategy: cfg.strategy,
      dataset: cfg.dataset,
      model: modelName,
      problems: rows.length,
      samples: cfg.evalSamples,
      metrics: summarize(rows),
      perTask,
      classificationAccuracy: labelled.length === 0 ? null : labelled.filter((r) => r.category === r.gold_category).length / labelled.length,
      categoryCounts: cfg.strategy === "cem" ? null : countBy(rows.map((r) => r.category ?? OTHER_CATEGORY)),
      firstPass: { ...firstPass, perQuerySeconds: firstPass.seconds / Math.max(1, rows.length) },
      secondPassSeconds,
      categories,
      experts: cfg.experts,
    };
    await mkdir(cfg.out, { recursive: true });
    await writeFile(join(cfg.out, "results.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    await writeFile(join(cfg.out, "summary.json"), JSON.stringify({ ...summary, config: cfg }, null, 1) + "\n");
    return summary;
  } finally {
    mixer.dispose();
  }
}

/** A `next()` that skips training problems of other tasks (a task mix draws them interleaved). */
function nextOfTask(next: () => PromptItem, task: string, taskOf: (p: PromptItem) => string): () => PromptItem {
  return () => {
    for (let i = 0; i < 100_000; i++) {
      const p = next();
      if (taskOf(p) === task) return p;
    }
    throw new ConfigError(`adapt: the training stream yields no problem of task ${task}`);
  };
}

function countBy(xs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/** α as text: `0.12,0.80,0.05`, per layer `[0.1 0.2 …],[…]`. */
export function fmtAlpha(a: ExpertWeights): string {
  return a.map((x) => (typeof x === "number" ? x.toFixed(2) : `[${x.map((v) => v.toFixed(2)).join(" ")}]`)).join(",");
}

/** The summary as text: second-pass pass@1 per task, the first pass's choice and cost. */
export function formatAdaptSummary(s: AdaptSummary): string {
  const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? "—" : `${(100 * x).toFixed(1)}%`);
  const lines = [`adapt (${s.strategy}) on ${s.dataset}: pass@1 ${pct(s.metrics["pass@1"])} (${s.problems} problems × ${plural(s.samples, "sample")})`];
  for (const [task, t] of Object.entries(s.perTask)) {
    const extra = t.alpha ? `  α ${fmtAlpha(t.alpha)}  CEM ${t.evaluations} evaluations, ${t.forwardPasses} forward passes, ${t.seconds} s` : "";
    lines.push(`  ${task.padEnd(16)} pass@1 ${pct(t.pass1).padStart(6)}  (${t.problems})${extra}`);
  }
  if (s.categoryCounts) lines.push(`  pass 1 chose: ${Object.entries(s.categoryCounts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  if (s.classificationAccuracy !== null) lines.push(`  classification accuracy ${pct(s.classificationAccuracy)}`);
  lines.push(`  first pass: ${s.firstPass.forwardPasses} forward passes, ${s.firstPass.seconds.toFixed(1)} s (${(1000 * s.firstPass.perQuerySeconds).toFixed(0)} ms per query); second pass ${s.secondPassSeconds.toFixed(1)} s`);
  return lines.join("\n");
}
