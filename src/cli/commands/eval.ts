/**
 * `thinkrl eval`: flags → `BenchmarkConfig` (`pipeline/benchmark.ts`), then `runBenchmark`; prints the summary
 * table (or JSON). A local model starts the jax-js engine first; an endpoint evaluation never does.
 */
import { progressBar } from "../progress.js";
import { startEngineFor } from "./shared.js";

export async function runEvalCommand(o: Record<string, unknown>): Promise<void> {
  const { json, ...flags } = o;
  const { benchmarkConfigFromOptions, runBenchmark } = await import("../../pipeline/benchmark.js");
  const cfg = benchmarkConfigFromOptions(flags);
  if (cfg.endpoint === null) await startEngineFor(cfg.model);
  // A bar on a TTY; plain lines (at 10% steps, ≥ 5 s apart) in a log.
  const bar = progressBar(process.stderr, "eval problems");
  const r = await runBenchmark(cfg, { onProgress: (d, n) => bar.update(d, n, d) }).finally(() => bar.end());
  if (json) {
    console.log(JSON.stringify(r.summary, null, 1));
    return;
  }
  const { formatSummaryTable } = await import("../../eval/evaluate.js");
  const title = `eval ${cfg.dataset} (${r.layout})`;
  console.log(formatSummaryTable(title, r.run.metrics, { problems: r.run.numProblems, samples: r.run.samples, seconds: r.run.seconds.toFixed(1) }) + `\nper-problem results: ${r.resultsPath}`);
}
