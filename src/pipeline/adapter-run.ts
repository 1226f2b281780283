/**
 * Adapter runs of `thinkrl train --adapter svf|lora`: the frozen base, the trainable tree bound to the generic
 * learner, the policy that rollouts and evaluations sample from, adapter files in each checkpoint, and the
 * validation split carved from the training data on which the best checkpoint is chosen (never the held-out
 * evaluation set — the Transformer² reference code selected on its test split).
 */
import { join } from "node:path";
import { ConfigError, DatasetError } from "../core/errors.js";
import type { RunLog } from "../core/log.js";
import { Rng } from "../core/rng.js";
import type { PromptItem, PromptSource } from "../data/source.js";
import { encodeSvfExpert, SVF_EXPERT_FILE } from "../adapt/expert-file.js";
import { readSvfExpert } from "../adapt/node.js";
import { baseHash, svdFactors } from "../adapt/svd-cache.js";
import { checkExpertFits, disposeAdapted, initSvfExpert, mixedModel, SvfTrainer, svfParamCount, type SvfExpert } from "../adapt/svf.js";
import { LORA_DEFAULT_TARGETS, parseLayerList, selectTargets, SVF_DEFAULT_TARGETS, type AdaptedMatrix } from "../adapt/targets.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { TrainConfig } from "../train/config.js";
import type { TrainableBinding } from "../train/learner.js";

/** Files of an adapter, by path relative to a checkpoint (or run) directory. */
export type AdapterFiles = Record<string, string | Uint8Array>;

/** The directory, inside each checkpoint and inside the run directory, that holds the best-validation adapter. */
export const BEST_ADAPTER_DIR = "best";

/** The best adapter so far on the validation split: its pass@1, the step its weights are from, and its files. */
export interface BestAdapter {
  score: number;
  step: number;
  files: AdapterFiles;
}

/** A training run's adapter: what the learner trains and what rollouts sample from. */
export interface AdapterRun {
  kind: "svf" | "lora";
  /** The model rollouts and evaluations use (the base with the adapter applied). */
  policy: CausalLM;
  binding: TrainableBinding;
  /** Trainable values. */
  paramCount: number;
  /** Where the adapter lies inside a checkpoint: `svf_expert.safetensors` or the PEFT directory `adapter`. */
  path: string;
  /**
   * The current adapter's files for checkpoint `step` (`svf_expert.safetensors`, or `adapter/` in PEFT's layout),
   * with `step` and `score` in their metadata: `score` is the validation pass@1 of these very weights, or null when
   * they were not validated at this step.
   */
  files(step: number, score: number | null): Promise<AdapterFiles>;
  /** Keeps the current adapter (a host copy) as the best one so far, validated at `step` with pass@1 `score`. */
  markBest(score: number, step: number): Promise<void>;
  /** The best adapter so far (restored on resume), or null. */
  best(): BestAdapter | null;
  /** A model with the best adapter applied, or null when none was marked. The caller frees it with `disposeModel`. */
  bestModel(): CausalLM | null;
  disposeModel(m: CausalLM): void;
  dispose(): void;
}

/** The adapted matrices of a config: `adapterTargets` (or the adapter's default) in `adapterLayers`. */
export function configTargets(cfg: Readonly<Pick<TrainConfig, "adapter" | "adapterTargets" | "adapterLayers">>, numLayers: number): AdaptedMatrix[] {
  const patterns = cfg.adapterTargets.length > 0 ? cfg.adapterTargets : cfg.adapter === "lora" ? LORA_DEFAULT_TARGETS : SVF_DEFAULT_TARGETS;
  return selectTargets(numLayers, patterns, cfg.adapterLayers === "" ? null : parseLayerList(cfg.adapterLayers));
}

/**
 * Opens the adapter of a run (`cfg.adapter` ≠ `none`) on the base model `base` (left unchanged).
 * SVF: decomposes (or reads from the SVD cache) the targets, then a fresh expert (the reference's init), `cfg.expert`,
 * or — resuming — the checkpoint's expert. LoRA: a fresh adapter (PEFT's init) or the checkpoint's.
 * @param resumeDir a checkpoint directory to continue from: its adapter, and its `best/` adapter, are restored
 * @throws ConfigError for bad targets, or an expert/adapter of another base; CheckpointError for an unreadable file
 */
export async function openAdapter(cfg: Readonly<TrainConfig>, base: CausalLM, log: RunLog, resumeDir: string | null = null): Promise<AdapterRun> {
  if (cfg.adapter === "svf") return openSvf(cfg, base, log, resumeDir);
  const { openLora } = await import("./lora-run.js");
  return openLora(cfg, base, log, resumeDir);
}

/** The bytes of an expert file as one array. */
function expertBytes(e: SvfExpert): Uint8Array {
  return Buffer.concat(encodeSvfExpert(e));
}

async function openSvf(cfg: Readonly<TrainConfig>, base: CausalLM, log: RunLog, resumeDir: string | null): Promise<AdapterRun> {
  let start: SvfExpert | null = null;
  let startLabel = "";
  let targets = configTargets(cfg, base.config.numHiddenLayers);
  const from = resumeDir !== null ? join(resumeDir, SVF_EXPERT_FILE) : cfg.expert;
  if (from !== null) {
    start = await readSvfExpert(from);
    startLabel = from;
    // Refuse another base's expert before any slow SVD.
    const hash = await baseHash(base);
    if (start.meta.baseHash !== hash) {
      throw new ConfigError(`${from} was trained on another base model (base hash ${start.meta.baseHash.slice(0, 12)}…, this model ${hash.slice(0, 12)}…)`, {
        hint: resumeDir !== null ? "the run's base model (--model) changed since the checkpoint" : "pass the --model the expert was trained on",
      });
    }
    if (resumeDir === null && start.parameterization !== cfg.svfParameterization) {
      log.info(`note: ${from} is a ${start.parameterization} expert; it keeps that parameterisation (--svf-parameterization ${cfg.svfParameterization} ignored)`);
    }
    const names = new Set(start.vectors.keys());
    targets = selectTargets(base.config.numHiddenLayers, ["proj"]).filter((t) => names.has(t.name));
    if (targets.length !== names.size) throw new ConfigError(`${from} adapts matrices this model does not have`);
  }
  const t0 = performance.now();
  const { factors, report, file } = await svdFactors(base, targets, {
    method: cfg.svdMethod,
    onMatrix: (r, d, n) => log.progress(`SVD ${d}/${n} ${r.name} ${r.cached ? "(cached)" : `${r.seconds.toFixed(2)} s`}`),
  });
  const fresh = report.filter((r) => !r.cached);
  const worst = Math.max(...report.map((r) => r.relError));
  log.info(
    `SVD of ${report.length} matrices (${fresh.length} decomposed, ${report.length - fresh.length} cached) in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `max ‖W − UΣVᵀ‖/‖W‖ = ${worst.toExponential(1)}; cache ${file}`,
  );
  const meta = { targets: cfg.adapterTargets.length > 0 ? [...cfg.adapterTargets] : [...SVF_DEFAULT_TARGETS], task: cfg.dataset, validationScore: null };
  const expert = start ?? initSvfExpert(factors, { parameterization: cfg.svfParameterization, maxMult: cfg.svfMaxMult, rng: new Rng(cfg.seed + 2), meta });
  if (start !== null) checkExpertFits(start, factors, startLabel);
  const tr = new SvfTrainer(base, factors, expert);
  const paramCount = svfParamCount(expert);
  log.info(`SVF expert: ${paramCount.toLocaleString("en-US")} trainable values over ${targets.length} matrices (${expert.parameterization}${start && resumeDir === null ? `, from ${cfg.expert}` : ""})`);
  let best: { expert: SvfExpert; score: number; step: number } | null = null;
  if (resumeDir !== null) {
    const b = await readSvfExpert(join(resumeDir, BEST_ADAPTER_DIR, SVF_EXPERT_FILE)).catch(() => null);
    if (b !== null) {
      checkExpertFits(b, factors, join(resumeDir, BEST_ADAPTER_DIR, SVF_EXPERT_FILE));
      best = { expert: b, score: b.meta.validationScore ?? -Infinity, step: Number(b.meta.extra?.step ?? 0) };
    }
  }
  const current = (score: number | null, step: number) =>
    tr.current({ validationScore: score, task: cfg.dataset, extra: { ...(expert.meta.extra ?? {}), step: String(step), objective: cfg.objective, adapted_matrices: String(targets.length) } });
  return {
    kind: "svf",
    policy: tr.policy,
    binding: tr.binding as unknown as TrainableBinding,
    paramCount,
    path: SVF_EXPERT_FILE,
    files: async (step, score) => ({ [SVF_EXPERT_FILE]: expertBytes(await current(score, step)) }),
    markBest: async (score, step) => void (best = { expert: await current(score, step), score, step }),
    best: () => (best === null ? null : { score: best.score, step: best.step, files: { [SVF_EXPERT_FILE]: expertBytes(best.expert) } }),
    bestModel: () => (best === null ? null : mixedModel(base, factors, [best.expert], [1])),
    disposeModel: (m) => disposeAdapted(m),
    dispose: () => tr.dispose(),
  };
}

/**
 * Carves a validation split of `n` distinct problems from the start of `source`'s training stream; the returned
 * source never yields them again.
 * @throws DatasetError when the stream cannot supply `n` distinct problems, or only yields validation problems
 */
export function carveValidation(source: PromptSource, n: number): { source: PromptSource; validation: PromptItem[] } {
  const validation: PromptItem[] = [];
  const keys = new Set<string>();
  for (let tries = 0; validation.length < n; tries++) {
    if (tries > 20 * n + 1000) throw new DatasetError(`cannot carve ${n} distinct validation problems from ${source.name}`);
    const p = source.next();
    if (keys.has(p.key)) continue;
    keys.add(p.key);
    validation.push(p);
  }
  const next = (): PromptItem => {
    for (let tries = 0; tries < 100_000; tries++) {
      const p = source.next();
      if (!keys.has(p.key)) return p;
    }
    throw new DatasetError(`${source.name}: the training stream yields only validation problems (lower --validation-problems)`);
  };
  return { source: { name: source.name, heldOut: source.heldOut, next, getState: () => source.getState(), setState: (s) => source.setState(s) }, validation };
}
