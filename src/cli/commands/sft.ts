/**
 * `thinkrl sft`: supervised fine-tuning on a JSONL / Parquet file (prompt/completion or chat `messages` rows),
 * loss on completion tokens only. `--resume` continues the run in `--out` (or the given directory) from its latest
 * checkpoint with the run's saved `config.json` (flags other than `--epochs` are ignored then).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CheckpointError } from "../../core/errors.js";
import type { SftLog } from "../../train/sft-trainer.js";

/** Flag name → SftConfig key (flags not listed are passed through under their camelCase name). */
const RENAMED: Record<string, string> = { out: "outputDir", format: "promptFormat" };

export async function runSftCommand(flags: Record<string, unknown>, log: SftLog): Promise<void> {
  const { resume, debug: _debug, ...rest } = flags;
  const partial: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) partial[RENAMED[k] ?? k] = v;
  const { initEngine } = await import("../../engine/init.js");
  await initEngine((await import("../device.js")).deviceChoice());
  const { resolveSftConfig } = await import("../../train/sft-config.js");
  const { listCheckpoints } = await import("../../train/state.js");
  const { loadModelFiles, defaultModelDir } = await import("../../model/load.js");
  const { assertNotRunDir } = await import("../../pipeline/samplers.js");
  const { loadSftExamples } = await import("../../data/formats/load.js");
  const { runSft } = await import("../../train/sft-trainer.js");

  let resumeFrom: { step: number; dir: string } | null = null;
  let cfg;
  if (resume !== undefined && resume !== false) {
    const dir = typeof resume === "string" ? resume : (partial.outputDir as string | undefined);
    if (dir === undefined) throw new CheckpointError("--resume needs a run directory (--resume <dir> or --out <dir>)");
    const saved = await readFile(join(dir, "config.json"), "utf8").catch(() => {
      throw new CheckpointError(`${dir} is not a thinkrl sft run directory (config.json missing)`);
    });
    cfg = resolveSftConfig({ ...(JSON.parse(saved) as Record<string, unknown>), outputDir: dir, ...(partial.epochs !== undefined ? { epochs: partial.epochs } : {}) });
    const cks = await listCheckpoints(dir);
    resumeFrom = cks[cks.length - 1] ?? null;
    if (resumeFrom === null) log.info(`no checkpoint in ${dir}: starting it from the beginning`);
  } else {
    cfg = resolveSftConfig(partial);
  }
  if (resumeFrom === null && cfg.model !== null) await assertNotRunDir(cfg.model);
  const examples = await loadSftExamples(cfg.dataset, { prompt: cfg.promptField, completion: cfg.completionField, messages: cfg.messagesField });
  const { model, generationConfigJson } = await loadModelFiles(resumeFrom?.dir ?? cfg.model ?? defaultModelDir());
  const format = cfg.promptFormat ?? (await import("../../rollout/prompt.js")).defaultPromptFormat(model);
  // Ctrl-C: finish the current step, then stop (the run continues with --resume from its last checkpoint).
  const stop = new AbortController();
  const onInt = () => stop.abort();
  process.once("SIGINT", onInt);
  const s = await runSft({ model, examples, format, config: cfg, log, resumeFrom, signal: stop.signal, generationConfig: generationConfigJson }).finally(() => process.off("SIGINT", onInt));
  if (s.interrupted) return;
  log.info(
    `SFT done: ${s.steps} steps, loss ${s.loss.toFixed(4)}${Number.isNaN(s.evalLoss) ? "" : `, eval_loss ${s.evalLoss.toFixed(4)}`} ` +
      `(${s.seconds.toFixed(0)} s); model in ${s.finalModel}`,
  );
}
