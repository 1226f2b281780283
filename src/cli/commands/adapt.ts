/**
 * `thinkrl adapt`: flags → `AdaptConfig`, then `runAdapt` (`pipeline/adapt-job.ts`, Transformer² §3.2 two-pass
 * self-adaptation); prints the per-task table and where the per-query results are.
 */
import type { RunLog } from "../../core/log.js";
import { startEngineFor } from "./shared.js";

export async function runAdaptCommand(flags: Record<string, unknown>, log: RunLog): Promise<void> {
  const { json, ...rest } = flags;
  const { resolveAdaptConfig } = await import("../../pipeline/adapt-config.js");
  const { runAdapt, formatAdaptSummary } = await import("../../pipeline/adapt-job.js");
  const cfg = resolveAdaptConfig(rest);
  await startEngineFor(cfg.model);
  const s = await runAdapt(cfg, { log });
  if (json) console.log(JSON.stringify(s, null, 1));
  else console.log(`${formatAdaptSummary(s)}\nper-query results: ${cfg.out}/results.jsonl`);
}
