/**
 * `thinkrl dashboard … --export report.html`: one self-contained HTML file — the page's script, stylesheet and the
 * runs' data inlined, a Content-Security-Policy that allows no network at all — that opens from `file://` and shows
 * the same charts, alerts and completions browser as the live page. Completions are capped (`maxCompletionBytes`,
 * newest steps kept whole) so a long run's report stays shareable.
 */
import { writeFile } from "node:fs/promises";
import { capCompletions, type CompletionRow } from "./completions.js";
import { pageHtml } from "./page.js";
import type { RunInfo, RunReader } from "./run-reader.js";
import type { DashboardAssets } from "./server.js";

/** Default cap on the completions inlined into a report (bytes of JSON, all runs together). */
export const EXPORT_COMPLETION_BYTES = 5_000_000;

/** The data an exported report carries (read by the page in place of the HTTP API). */
export interface ReportData {
  /** When the report was written (ISO 8601). */
  exportedAt: string;
  runs: {
    info: RunInfo;
    metrics: Record<string, unknown>[];
    evals: Record<string, unknown>[];
    completions: CompletionRow[];
    /** Completion rows left out by the size cap. */
    omittedCompletions: number;
  }[];
}

/** The report's data from the runs as they are now (each is refreshed first). */
export async function reportData(runs: readonly RunReader[], maxCompletionBytes = EXPORT_COMPLETION_BYTES): Promise<ReportData> {
  await Promise.all(runs.map((r) => r.refresh()));
  const per = Math.floor(maxCompletionBytes / Math.max(1, runs.length));
  return {
    exportedAt: new Date().toISOString(),
    runs: runs.map((r) => {
      const c = capCompletions(r.completions, per);
      return { info: r.info(), metrics: r.rows("metrics.jsonl"), evals: r.rows("evals.jsonl"), completions: c.rows, omittedCompletions: c.omitted };
    }),
  };
}

/** No network: inline script and styles only, images from data: URLs. */
const EXPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The report's HTML. */
export function reportHtml(data: ReportData, assets: DashboardAssets): string {
  return pageHtml({
    title: `thinkrl report — ${data.runs.map((r) => r.info.name).join(", ")}`,
    script: { inline: assets.js },
    css: { inline: assets.css },
    data,
    csp: EXPORT_CSP,
  });
}

/**
 * Writes the report of `runs` to `file`.
 * @returns the file's size in bytes and the completions left out by the cap
 */
export async function exportReport(runs: readonly RunReader[], file: string, assets: DashboardAssets, o: { maxCompletionBytes?: number } = {}): Promise<{ bytes: number; omittedCompletions: number }> {
  const data = await reportData(runs, o.maxCompletionBytes);
  const html = reportHtml(data, assets);
  await writeFile(file, html);
  return { bytes: Buffer.byteLength(html), omittedCompletions: data.runs.reduce((n, r) => n + r.omittedCompletions, 0) };
}
