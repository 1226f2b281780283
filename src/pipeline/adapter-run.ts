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
import { SVF_EXPERT_FILE } from "../adapt/expert-file.js";
import { readSvfExpert, writeSvfExpert } from "../adapt/node.js";
import { svdFactors } from "../adapt/svd-cache.js";
import { checkExpertFits, disposeAdapted, initSvfExpert, mixedModel, SvfTrainer, svfParamCount, type SvfExpert } from "../adapt/svf.js";
import { LORA_DEFAULT_TARGETS, parseLayerList, selectTargets, SVF_DEFAULT_TARGETS, type AdaptedMatrix } from "../adapt/targets.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { TrainConfig } from "../train/config.js";
import type { TrainableBinding } from "../train/learner.js";

/** A training run's adapter: what the learner trains and what rollouts sample from. */
export interface AdapterRun {
  kind: "svf" | "lora";
  /** The model rollouts and evaluations use (the base with the adapter applied). */
  policy: CausalLM;
  binding: TrainableBinding;
  /** Trainable values. */
  paramCount: number;
  /** Writes the adapter's files into `dir` (a checkpoint directory). */
  save(dir: string, meta: { validationScore: number | null; step: number }): Promise<void>;
  /** Keeps the current adapter as the best one so far (host copy). */
  markBest(validationScore: number, step: number): Promise<void>;
  /** A model with the best adapter applied, or null when none was marked. The caller frees it with `disposeModel`. */
  bestModel(): CausalLM | null;
  disposeModel(m: CausalLM): void;
  dispose(): void;
}

/** The adapted matrices of a config: `adapterTargets` (or the adapter's default) in `adapterLayers`. */
export function configTargets(cfg: Readonly<TrainConfig>, numLayers: number): AdaptedMatrix[] {
  const patterns = cfg.adapterTargets.length > 0 ? cfg.adapterTargets : cfg.adapter === "lora" ? LORA_DEFAULT_TARGETS : SVF_DEFAULT_TARGETS;
  return selectTargets(numLayers, patterns, cfg.adapterLayers === "" ? null : parseLayerList(cfg.adapterLayers));
}

/**
 * Opens the adapter of a run (`cfg.adapter` ≠ `none`) on the base model `base` (left unchanged).
 * SVF: decomposes (or reads from the SVD cache) the targets, then a fresh expert (the reference's init) or
 * `cfg.expert`.
 * @throws ConfigError for bad targets or an expert of another base; CheckpointError for an unreadable expert file
 */
export async function openAdapter(cfg: Readonly<TrainConfig>, base: CausalLM, log: RunLog): Promise<AdapterRun> {
  if (cfg.adapter === "svf") return openSvf(cfg, base, log);
  const { openLora } = await import("./lora-run.js");
  return openLora(cfg, base, log);
}

async function openSvf(cfg: Readonly<TrainConfig>, base: CausalLM, log: RunLog): Promise<AdapterRun> {
  let start: SvfExpert | null = null;
  let targets = configTargets(cfg, base.config.numHiddenLayers);
  if (cfg.expert !== null) {
    start = await readSvfExpert(cfg.expert);
    const names = new Set(start.vectors.keys());
    targets = selectTargets(base.config.numHiddenLayers, ["proj"]).filter((t) => names.has(t.name));
    if (targets.length !== names.size) throw new ConfigError(`${cfg.expert} adapts matrices this model does not have`);
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
  if (start !== null) checkExpertFits(start, factors, cfg.expert!);
  const tr = new SvfTrainer(base, factors, expert);
  const paramCount = svfParamCount(expert);
  log.info(`SVF expert: ${paramCount.toLocaleString("en-US")} trainable values over ${targets.length} matrices (${expert.parameterization}${start ? `, from ${cfg.expert}` : ""})`);
  let best: SvfExpert | null = null;
  const current = (score: number | null, step: number) =>
    tr.current({ validationScore: score, task: cfg.dataset, extra: { step: String(step), objective: cfg.objective, adapted_matrices: String(targets.length) } });
  return {
    kind: "svf",
    policy: tr.policy,
    binding: tr.binding as unknown as TrainableBinding,
    paramCount,
    save: async (dir, m) => writeSvfExpert(join(dir, SVF_EXPERT_FILE), await current(m.validationScore, m.step)),
    markBest: async (score, step) => void (best = await current(score, step)),
    bestModel: () => (best === null ? null : mixedModel(base, factors, [best], [1])),
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
