/**
 * `thinkrl dashboard [run dir …]`: serves the live dashboard of the given runs (until Ctrl-C), or with `--export`
 * writes one self-contained HTML report and exits. `thinkrl train --dashboard` uses `startRunDashboard`.
 */
import { ConfigError } from "../../core/errors.js";
import type { DashboardServer } from "../../dashboard/server.js";

/** The port `thinkrl dashboard` tries first (TensorBoard's 6006 + 1). */
export const DEFAULT_DASHBOARD_PORT = 6007;

/** Parses `--port`: an integer 0–65535 (0 = any free port). */
function portOf(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`--port expects an integer 0–65535 (got ${String(v)})`);
  return n;
}

/**
 * Starts a server for `dirs`: on `--port` when given (an error when taken), else on 6007 or, when that is taken, any
 * free port.
 */
async function serve(dirs: string[], o: Record<string, unknown>, allowEmpty: boolean): Promise<DashboardServer> {
  const { openRuns } = await import("../../dashboard/run-reader.js");
  const { loadAssets, startDashboard } = await import("../../dashboard/server.js");
  const runs = await openRuns(dirs, { allowEmpty });
  const assets = await loadAssets();
  const port = portOf(o.port);
  const base = { runs, assets, host: o.host as string | undefined, token: o.token as string | undefined };
  if (port !== undefined) return startDashboard({ ...base, port });
  return startDashboard({ ...base, port: DEFAULT_DASHBOARD_PORT }).catch(() => startDashboard({ ...base, port: 0 }));
}

export async function runDashboardCommand(dirs: string[], o: Record<string, unknown>): Promise<void> {
  if (o.export !== undefined) {
    const { openRuns } = await import("../../dashboard/run-reader.js");
    const { loadAssets } = await import("../../dashboard/server.js");
    const { exportReport, EXPORT_COMPLETION_BYTES } = await import("../../dashboard/export.js");
    const runs = await openRuns(dirs);
    const maxMb = o.maxCompletionsMb === undefined ? EXPORT_COMPLETION_BYTES / 1e6 : Number(o.maxCompletionsMb);
    if (!(maxMb >= 0)) throw new ConfigError(`--max-completions-mb expects a number ≥ 0 (got ${String(o.maxCompletionsMb)})`);
    const r = await exportReport(runs, o.export as string, await loadAssets(), { maxCompletionBytes: maxMb * 1e6 });
    console.log(`wrote ${o.export as string} (${(r.bytes / 1e6).toFixed(2)} MB${r.omittedCompletions > 0 ? `; ${r.omittedCompletions} older completion rows left out, --max-completions-mb to keep more` : ""})`);
    return;
  }
  const s = await serve(dirs, o, false);
  console.log(`dashboard: ${s.url}  (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGINT", stop);
      void s.close().then(done);
    };
    process.on("SIGINT", stop);
  });
}

/**
 * The dashboard of a run that is about to start (`thinkrl train --dashboard`): prints its URL; the caller closes it
 * when the run ends.
 */
export async function startRunDashboard(dir: string, o: Record<string, unknown>, print: (m: string) => void): Promise<DashboardServer> {
  const s = await serve([dir], o, true);
  print(`dashboard: ${s.url}`);
  return s;
}

/**
 * When the run ends: on a terminal the dashboard stays up until Ctrl-C (the user is looking at it); otherwise (a
 * script, CI) it closes so the command exits.
 */
export async function endRunDashboard(s: DashboardServer, dir: string, print: (m: string) => void): Promise<void> {
  if (process.stdout.isTTY && process.stdin.isTTY) {
    print(`run finished; dashboard still at ${s.url} (Ctrl-C to stop)`);
    await new Promise<void>((done) => process.once("SIGINT", () => done()));
  } else {
    print(`dashboard closed with the run; thinkrl dashboard ${dir} shows it again`);
  }
  await s.close();
}
