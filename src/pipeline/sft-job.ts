/**
 * An SFT run (`thinkrl sft`, pipeline `sft` stages): the dataset file's examples, the model (the config's, the
 * embedded one, a given in-memory model, or the run's latest checkpoint when continuing), its prompt format, then
 * `runSft`. The jax-js engine must be started first.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CheckpointError } from "../core/errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import { resolveSftConfig, type SftConfig } from "../train/sft-config.js";
import type { SftLog, SftSummary } from "../train/sft.js";

export interface SftJobOptions {
  log: SftLog;
  /** Checkpoint to continue from (its weights are loaded; `cfg.model` is not). Default: none. */
  resumeFrom?: { step: number; dir: string } | null;
  /** A model to train instead of loading `cfg.model` (e.g. a seeded random init); ignored when resuming. */
  model?: CausalLM;
  /** Stop after the current step (the summary says `interrupted`). */
  signal?: AbortSignal;
}

/** Trains by `cfg` into `cfg.outputDir`. @throws as `loadSftExamples`, `loadModelFiles` and `runSft` */
export async function runSftJob(cfg: Readonly<SftConfig>, o: SftJobOptions): Promise<SftSummary> {
  const { loadSftExamples } = await import("../data/formats/load.js");
  const { loadModelFiles, defaultModelDir } = await import("../model/load.js");
  const { defaultPromptFormat } = await import("../rollout/prompt.js");
  const { runSft } = await import("../train/sft.js");
  const resumeFrom = o.resumeFrom ?? null;
  const examples = await loadSftExamples(cfg.dataset, { prompt: cfg.promptField, completion: cfg.completionField, messages: cfg.messagesField });
  const loaded = resumeFrom === null && o.model !== undefined ? null : await loadModelFiles(resumeFrom?.dir ?? cfg.model ?? defaultModelDir());
  const model = loaded?.model ?? o.model!;
  const format = cfg.promptFormat ?? defaultPromptFormat(model);
  return runSft({ model, examples, format, config: cfg, log: o.log, resumeFrom, signal: o.signal, generationConfig: loaded?.generationConfigJson });
}

/**
 * The config and latest checkpoint of the SFT run in `dir` (its saved `config.json`; of `overrides`, only `epochs`
 * applies: a continued run is the same run). `resumeFrom` is null when the run saved no checkpoint yet.
 * @throws CheckpointError when `dir` holds no `config.json`
 */
export async function sftResumeState(dir: string, overrides: { epochs?: number } = {}): Promise<{ config: Readonly<SftConfig>; resumeFrom: { step: number; dir: string } | null }> {
  const saved = await readFile(join(dir, "config.json"), "utf8").catch(() => {
    throw new CheckpointError(`${dir} is not a thinkrl sft run directory (config.json missing)`);
  });
  const config = resolveSftConfig({ ...(JSON.parse(saved) as Record<string, unknown>), outputDir: dir, ...(overrides.epochs !== undefined ? { epochs: overrides.epochs } : {}) });
  const { listCheckpoints } = await import("../train/state.js");
  const cks = await listCheckpoints(dir);
  return { config, resumeFrom: cks[cks.length - 1] ?? null };
}
