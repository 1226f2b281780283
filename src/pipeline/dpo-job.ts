/**
 * A DPO run (`thinkrl dpo`): the preference file's pairs, the policy (the config's model, the embedded one, or the
 * run's latest checkpoint when continuing), the reference model (`refModel`, else the starting model — loaded again
 * from its directory when a run is continued), its prompt format, then `runDpo`. The jax-js engine must be started
 * first.
 */
import { ignoredOnResume, openResume, prepareRunDir } from "../train/run-dir.js";
import { camelCase } from "../train/config.js";
import { resolveDpoConfig, type DpoConfig } from "../train/dpo-config.js";
import type { DpoSummary } from "../train/dpo.js";
import type { RunLog } from "../core/log.js";

export interface DpoJobOptions {
  log: RunLog;
  /** Checkpoint to continue from. Default: none. */
  resumeFrom?: { step: number; dir: string } | null;
  /** Without `resumeFrom`, replace a run already in the output directory. */
  overwrite?: boolean;
  signal?: AbortSignal;
}

/** Trains by `cfg` into `cfg.outputDir`. @throws as `loadPreferenceExamples`, `loadModelFiles` and `runDpo` */
export async function runDpoJob(cfg: Readonly<DpoConfig>, o: DpoJobOptions): Promise<DpoSummary> {
  const { loadPreferenceExamples } = await import("../data/formats/preference.js");
  const { loadModelFiles, defaultModelDir } = await import("../model/load.js");
  const { defaultPromptFormat } = await import("../rollout/prompt.js");
  const { runDpo, assertSameShape } = await import("../train/dpo.js");
  const resumeFrom = o.resumeFrom ?? null;
  // Inputs are read and checked before an existing run is replaced, so bad input loses nothing.
  const examples = await loadPreferenceExamples(cfg.dataset, { prompt: cfg.promptField, chosen: cfg.chosenField, rejected: cfg.rejectedField });
  const start = cfg.model ?? defaultModelDir();
  const loaded = await loadModelFiles(resumeFrom?.dir ?? start);
  const refDir = cfg.refModel ?? (resumeFrom !== null ? start : null);
  const reference = refDir === null ? null : (await loadModelFiles(refDir)).model;
  if (reference !== null) assertSameShape(reference, loaded.model);
  if (resumeFrom === null) await prepareRunDir(cfg.outputDir, { overwrite: o.overwrite });
  const format = cfg.promptFormat ?? defaultPromptFormat(loaded.model);
  return runDpo({ model: loaded.model, reference, examples, format, config: cfg, log: o.log, resumeFrom, signal: o.signal, generationConfig: loaded.generationConfigJson });
}

/**
 * The config and latest checkpoint of the DPO run in `dir`: its saved `config.json` with `epochs` from `given`;
 * `ignored` names the other settings of `given` that differ from the saved ones.
 * @throws CheckpointError when `dir` holds no `config.json`
 */
export async function dpoResumeState(dir: string, given: Record<string, unknown> = {}): Promise<{ config: Readonly<DpoConfig>; resumeFrom: { step: number; dir: string } | null; ignored: string[] }> {
  const r = await openResume(dir, "thinkrl dpo run");
  const g = Object.fromEntries(Object.entries(given).map(([k, v]) => [camelCase(k), v]));
  const ignored = ignoredOnResume(r.config, g, ["epochs", "outputDir"]);
  const config = resolveDpoConfig({ ...r.config, outputDir: dir, ...(g.epochs !== undefined ? { epochs: g.epochs } : {}) });
  return { config, resumeFrom: r.checkpoint, ignored };
}
