/**
 * `thinkrl dpo`: flags → `DpoConfig`, then `runDpoJob` (`pipeline/dpo-job.ts`). `--resume` continues the run in
 * `--out` (or the given directory) from its latest checkpoint with the run's saved `config.json` (flags other than
 * `--epochs` are ignored then). Ctrl-C stops after the current step.
 */
import { resolve } from "node:path";
import { CheckpointError, ConfigError } from "../../core/errors.js";
import type { RunLog } from "../../core/log.js";
import { kebabCase } from "../../train/config.js";
import { startEngineFor } from "./shared.js";

/** Flag name → DpoConfig key (flags not listed are passed through under their camelCase name). */
const RENAMED: Record<string, string> = { out: "outputDir", format: "promptFormat" };

export async function runDpoCommand(flags: Record<string, unknown>, log: RunLog): Promise<void> {
  const { resume, overwrite, debug: _debug, ...rest } = flags;
  if (resume !== undefined && resume !== false && overwrite === true) throw new ConfigError("--resume continues the run and --overwrite deletes it: pass one of them");
  const partial: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) partial[RENAMED[k] ?? k] = v;
  // Paths are kept absolute in config.json, so `--resume` works from any directory.
  for (const k of ["dataset", "model", "refModel"]) if (typeof partial[k] === "string") partial[k] = resolve(partial[k] as string);
  const { resolveDpoConfig } = await import("../../train/dpo-config.js");
  const { runDpoJob, dpoResumeState } = await import("../../pipeline/dpo-job.js");
  let state: Awaited<ReturnType<typeof dpoResumeState>> | null = null;
  if (resume !== undefined && resume !== false) {
    const dir = typeof resume === "string" ? resume : (partial.outputDir as string | undefined);
    if (dir === undefined) throw new CheckpointError("--resume needs a run directory (--resume <dir> or --out <dir>)");
    await startEngineFor(null);
    state = await dpoResumeState(dir, partial);
    if (state.ignored.length > 0) log.info(`note: --resume uses the run's config.json; ignored: ${state.ignored.map((k) => `--${kebabCase(k)}`).join(", ")} (only --epochs can change)`);
    if (state.resumeFrom === null) log.info(`no checkpoint in ${dir}: starting it from the beginning`);
  }
  const cfg = state?.config ?? resolveDpoConfig(partial);
  if (state === null) await startEngineFor(cfg.model);
  const stop = new AbortController();
  const onInt = () => stop.abort();
  process.once("SIGINT", onInt);
  const s = await runDpoJob(cfg, { log, resumeFrom: state?.resumeFrom ?? null, overwrite: overwrite === true || state !== null, signal: stop.signal }).finally(() => process.off("SIGINT", onInt));
  if (s.interrupted) return;
  const ev = Number.isNaN(s.evalLoss) ? "" : `, eval_loss ${s.evalLoss.toFixed(4)}, eval accuracy ${(100 * s.evalAccuracy).toFixed(1)}%, eval margin ${s.evalMargin.toFixed(3)}`;
  log.info(`DPO done: ${s.steps} steps, loss ${s.loss.toFixed(4)}${ev} (${s.seconds.toFixed(0)} s); model in ${s.finalModel}`);
}
