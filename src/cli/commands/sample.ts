/**
 * `thinkrl sample`: flags → a rejection-sampling job (`pipeline/rejection-sampling.ts`), then `runSampleJob`; prints
 * the summary as JSON. A local model starts the jax-js engine first; an endpoint run never does. Ctrl-C stops after
 * the prompt being written (`--resume` continues).
 */
import { ConfigError } from "../../core/errors.js";
import { progressBar } from "../progress.js";
import { startEngineFor } from "./shared.js";

export async function runSampleCommand(o: Record<string, unknown>): Promise<void> {
  const { sampleJobFromOptions, resolveSampleConfig, runSampleJob } = await import("../../pipeline/rejection-sampling.js");
  const job = sampleJobFromOptions(o);
  // Bad settings fail before the engine starts or the model loads.
  const cfg = resolveSampleConfig(job.config, job.source.endpoint ? "endpoint" : "local");
  if (!job.source.endpoint) await startEngineFor(job.source.model ?? null);

  const stop = new AbortController();
  const onSigint = () => stop.abort(new ConfigError(`interrupted; rerun with --resume to continue ${cfg.out}`));
  process.once("SIGINT", onSigint);
  const bar = progressBar(process.stderr, "sample");
  try {
    const { summary, endpoint } = await runSampleJob(job, {
      signal: stop.signal,
      log: { info: (m) => (bar.end(), console.error(m)) },
      onProgress: (p) => bar.update(p.done, p.total, p.doneThisRun, `rows ${p.rows}`),
    });
    bar.end();
    console.log(JSON.stringify(endpoint ? { ...summary, endpoint } : summary, null, 1));
  } finally {
    bar.end();
    process.off("SIGINT", onSigint);
  }
}
