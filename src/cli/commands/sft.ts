/**
 * `thinkrl sft`: flags → `SftConfig`, then `runSftJob` (`pipeline/sft-job.ts`). `--resume` continues the run in
 * `--out` (or the given directory) from its latest checkpoint with the run's saved `config.json` (flags other than
 * `--epochs` are ignored then). Ctrl-C stops after the current step.
 */
import { join } from "node:path";
import { CheckpointError, ConfigError } from "../../core/errors.js";
import type { SftLog } from "../../train/sft.js";
import { kebabCase } from "../../train/config.js";
import { startEngineFor } from "./shared.js";

/** Flag name → SftConfig key (flags not listed are passed through under their camelCase name). */
const RENAMED: Record<string, string> = { out: "outputDir", format: "promptFormat" };

export async function runSftCommand(flags: Record<string, unknown>, log: SftLog): Promise<void> {
  const { resume, overwrite, debug: _debug, ...rest } = flags;
  if (resume !== undefined && resume !== false && overwrite === true) throw new ConfigError("--resume continues the run and --overwrite deletes it: pass one of them");
  const partial: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) partial[RENAMED[k] ?? k] = v;
  const { resolveSftConfig } = await import("../../train/sft-config.js");
  const { runSftJob, sftResumeState } = await import("../../pipeline/sft-job.js");

  let state: Awaited<ReturnType<typeof sftResumeState>> | null = null;
  if (resume !== undefined && resume !== false) {
    const dir = typeof resume === "string" ? resume : (partial.outputDir as string | undefined);
    if (dir === undefined) throw new CheckpointError("--resume needs a run directory (--resume <dir> or --out <dir>)");
    await startEngineFor(null); // the run's own checkpoint is the model: no --model to check first
    state = await sftResumeState(dir, partial);
    if (state.ignored.length > 0) log.info(`note: --resume uses the run's config.json; ignored: ${state.ignored.map((k) => `--${kebabCase(k)}`).join(", ")} (only --epochs can change)`);
    if (state.resumeFrom === null) log.info(`no checkpoint in ${dir}: starting it from the beginning`);
  }
  const cfg = state?.config ?? resolveSftConfig(partial);
  const resumeFrom = state?.resumeFrom ?? null;
  // A run directory as the model is refused (with a hint naming its model) before the slow start.
  if (state === null) await startEngineFor(cfg.model);
  else if (resumeFrom === null && cfg.model !== null) await (await import("../../pipeline/samplers.js")).assertNotRunDir(cfg.model);
  const stop = new AbortController();
  const onInt = () => stop.abort();
  process.once("SIGINT", onInt);
  // A continued run without a checkpoint starts over in its own directory; a new run refuses to mix with another.
  const s = await runSftJob(cfg, { log, resumeFrom, overwrite: overwrite === true || state !== null, signal: stop.signal }).finally(() => process.off("SIGINT", onInt));
  if (s.interrupted) return;
  log.info(
    `SFT done: ${s.steps} steps, loss ${s.loss.toFixed(4)}${Number.isNaN(s.evalLoss) ? "" : `, eval_loss ${s.evalLoss.toFixed(4)}`} ` +
      `(${s.seconds.toFixed(0)} s); model in ${s.finalModel}${cfg.adapter === "lora" ? ` (merged), LoRA adapter in ${join(s.finalModel, "adapter")}` : ""}`,
  );
}
