/**
 * `thinkrl pipeline <recipe.yaml>`: runs a multi-stage recipe (`pipeline/recipe.ts`, `pipeline/run-recipe.ts`).
 * The recipe is checked completely before any stage starts; each stage runs in its own child process with a fresh
 * engine (`pipeline/stage-process.ts`). Ctrl-C stops at the next safe point and a rerun continues where it stopped.
 */
import { readFile } from "node:fs/promises";
import { ConfigError } from "../../core/errors.js";
import type { RunLog } from "../../pipeline/r1-zero.js";

export async function runPipelineCommand(path: string, o: Record<string, unknown>, log: RunLog): Promise<void> {
  const text = await readFile(path, "utf8").catch(() => {
    throw new ConfigError(`cannot read recipe ${path}`);
  });
  const { parseRecipe, STAGE_EXPORTS } = await import("../../pipeline/recipe.js");
  const recipe = parseRecipe(text, { source: path });
  if (typeof o.out === "string") recipe.out = o.out;
  if (o.dryRun === true) {
    log.info(`recipe ${recipe.name}: ${recipe.stages.length} stages in ${recipe.out}/`);
    for (const s of recipe.stages) log.info(`  ${s.name} (${s.type}) → ${STAGE_EXPORTS[s.type].join(", ")}: ${JSON.stringify(s.with)}`);
    return;
  }
  const { deviceChoice } = await import("../device.js");
  const { runRecipe } = await import("../../pipeline/run-recipe.js");
  // Ctrl-C: stop at the next safe point (an SFT step, a sampled prompt, the end of a stage); GRPO stages have none
  // before they end, so a second Ctrl-C exits at once, killing the stage's process (the rerun resumes from the
  // last checkpoint).
  const stop = new AbortController();
  const onInt = () => {
    if (stop.signal.aborted) process.exit(130);
    log.info("stopping at the next safe point (Ctrl-C again to exit now); rerun the recipe to continue");
    stop.abort();
  };
  process.on("SIGINT", onInt);
  try {
    await runRecipe(recipe, { log, signal: stop.signal, device: deviceChoice() });
  } finally {
    process.off("SIGINT", onInt);
  }
}
