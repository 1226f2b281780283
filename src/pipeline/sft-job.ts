/**
 * An SFT run (`thinkrl sft`, pipeline `sft` stages): the dataset file's examples, the model (the config's, the
 * embedded one, a given in-memory model, or the run's latest checkpoint when continuing), its prompt format, then
 * `runSft`. The jax-js engine must be started first.
 */
import type { CausalLM } from "../model/causal-lm.js";
import { ignoredOnResume, openResume, prepareRunDir } from "../train/run-dir.js";
import { camelCase } from "../train/config.js";
import { resolveSftConfig, type SftConfig } from "../train/sft-config.js";
import type { SftLog, SftSummary } from "../train/sft.js";

export interface SftJobOptions {
  log: SftLog;
  /** Checkpoint to continue from (its weights are loaded; `cfg.model` is not). Default: none. */
  resumeFrom?: { step: number; dir: string } | null;
  /**
   * Without `resumeFrom`, a run directory that already holds a run is refused (`prepareRunDir`) unless `overwrite`,
   * which deletes the old run's files first (a continued run that saved no checkpoint restarts this way).
   */
  overwrite?: boolean;
  /** A model to train instead of loading `cfg.model` (e.g. a seeded random init); ignored when resuming. */
  model?: CausalLM;
  /** Stop after the current step (the summary says `interrupted`). */
  signal?: AbortSignal;
}

/** Trains by `cfg` into `cfg.outputDir`. @throws as `loadSftExamples`, `loadModelFiles` and `runSft` */
export async function runSftJob(cfg: Readonly<SftConfig>, o: SftJobOptions): Promise<SftSummary> {
  const { loadSftExamples } = await import("../data/formats/load.js");
  const { loadModelFiles, defaultModelDir, builtinModelDirFor, t2ModelDir } = await import("../model/load.js");
  // The `t2-*` tasks need the Transformer² model's character vocabulary; everything else starts from the embedded model.
  const shipped = builtinModelDirFor(cfg.dataset) === t2ModelDir() ? t2ModelDir() : defaultModelDir();
  const { defaultPromptFormat } = await import("../rollout/prompt.js");
  const { runSft } = await import("../train/sft.js");
  const resumeFrom = o.resumeFrom ?? null;
  if (resumeFrom === null) await prepareRunDir(cfg.outputDir, { overwrite: o.overwrite });
  const examples = await loadSftExamples(cfg.dataset, { prompt: cfg.promptField, completion: cfg.completionField, messages: cfg.messagesField });
  if (cfg.adapter === "lora") {
    // The frozen base is the run's model (a checkpoint holds the merged weights and, in adapter/, the adapter).
    const loaded = o.model !== undefined ? null : await loadModelFiles(cfg.model ?? shipped);
    const base = loaded?.model ?? o.model!;
    const { openLora } = await import("./lora-run.js");
    const run = await openLora({ ...cfg, objective: "nll", seed: cfg.seed }, base, o.log, resumeFrom?.dir ?? null);
    const format = cfg.promptFormat ?? defaultPromptFormat(base);
    try {
      return await runSft({
        model: run.policy, examples, format, config: cfg, log: o.log, resumeFrom, signal: o.signal, generationConfig: loaded?.generationConfigJson,
        trainable: { binding: run.binding, files: (s) => run.files(s, null) },
      });
    } finally {
      run.dispose();
    }
  }
  const loaded = resumeFrom === null && o.model !== undefined ? null : await loadModelFiles(resumeFrom?.dir ?? cfg.model ?? shipped);
  const model = loaded?.model ?? o.model!;
  const format = cfg.promptFormat ?? defaultPromptFormat(model);
  return runSft({ model, examples, format, config: cfg, log: o.log, resumeFrom, signal: o.signal, generationConfig: loaded?.generationConfigJson });
}

/**
 * The config and latest checkpoint of the SFT run in `dir` (`train/run-dir.ts` `openResume`): its saved `config.json`
 * with `epochs` from `given` (a continued run is the same run); `ignored` names the other settings of `given` that
 * differ from the saved ones. `resumeFrom` is null when the run saved no checkpoint yet.
 * @throws CheckpointError when `dir` holds no `config.json`
 */
export async function sftResumeState(
  dir: string,
  given: Record<string, unknown> = {},
): Promise<{ config: Readonly<SftConfig>; resumeFrom: { step: number; dir: string } | null; ignored: string[] }> {
  const r = await openResume(dir, "thinkrl sft run");
  const g = Object.fromEntries(Object.entries(given).map(([k, v]) => [camelCase(k), v]));
  const ignored = ignoredOnResume(r.config, g, ["epochs", "outputDir"]);
  const config = resolveSftConfig({ ...r.config, outputDir: dir, ...(g.epochs !== undefined ? { epochs: g.epochs } : {}) });
  return { config, resumeFrom: r.checkpoint, ignored };
}
