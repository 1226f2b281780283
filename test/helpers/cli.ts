/**
 * Test helper: runs thinkrl's CLI (or another TypeScript entry point) as a user would — a real child process under
 * tsx from the repository root — and collects what it printed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "../..");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as it arrived, chunk by chunk (streaming checks). */
  chunks: string[];
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
}

/**
 * Spawns `node --import tsx <argv…>` in the repository root.
 * @param opts.killAfterMs SIGKILL the child after this long (a hung command then fails its test instead of the run)
 * @returns the child (to signal it) and a promise of its result
 */
export function spawnTsx(argv: string[], opts: { killAfterMs?: number } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", ...argv], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const chunks: string[] = [];
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => chunks.push(d));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = opts.killAfterMs === undefined ? null : setTimeout(() => child.kill("SIGKILL"), opts.killAfterMs);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout: chunks.join(""), stderr, chunks, ms: performance.now() - t0 });
    });
  });
  return { child, done };
}

/** `thinkrl <args…>` (from `src/cli/main.ts`); see `spawnTsx`. */
export function thinkrl(args: string[], opts: { killAfterMs?: number } = {}): Promise<CliResult> {
  return spawnTsx(["src/cli/main.ts", ...args], opts).done;
}
