/**
 * Symbolic checks in a `node:worker_threads` worker with a hard time limit (Node only; loaded lazily by
 * `MathVerifier` through `importNodeOnly`). A check past its limit terminates the worker, which then counts as
 * false; a fresh worker starts for the next check.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { SymbolicChecker } from "./verify.js";
import type { VerifyJob } from "./symbolic-check.js";

/** Worker start-up (module load) limit, ms; separate from the per-check limit. */
const STARTUP_MS = 30_000;
/** Heap cap of the worker: a pathological answer (huge bigint) fails it instead of the host. */
const WORKER_HEAP_MB = 256;

interface Job {
  msg: VerifyJob;
  timeoutMs: number;
  resolve: (ok: boolean) => void;
}

/**
 * The worker: the compiled worker.js next to this file, or, when running from the .ts sources (vitest, tsx), a
 * tiny bootstrap that registers tsx's loader in the worker and then imports worker.ts (Node 20 workers ignore
 * `--import` in execArgv for their entry module).
 */
function spawnWorker(): Worker {
  // No inherited execArgv: the parent's flags (`--input-type`, loaders) can break or slow the worker.
  const limits = { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } };
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./worker.js", import.meta.url), limits);
  const tsxApi = createRequire(import.meta.url).resolve("tsx/package.json").replace(/package\.json$/, "dist/esm/api/index.mjs");
  const entry = new URL("./worker.ts", import.meta.url).href;
  const code = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, ...limits });
}

/**
 * Owns one verifier worker and runs checks through it one at a time, each under its own time limit. A check
 * past its limit terminates the worker (a fresh one starts for the next check) and resolves false. The worker is
 * unref'd while idle, so it never keeps the process alive. `close()` terminates it.
 */
export class WorkerSymbolicChecker implements SymbolicChecker {
  private worker: Worker | null = null;
  private ready = false;
  private queue: Job[] = [];
  private current: Job | null = null;
  private timer: NodeJS.Timeout | null = null;

  check(job: VerifyJob, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.queue.push({ msg: job, timeoutMs, resolve });
      this.pump();
    });
  }

  /** Terminate the worker; pending checks resolve false. */
  async close(): Promise<void> {
    const pending = [...(this.current ? [this.current] : []), ...this.queue];
    this.queue = [];
    this.current = null;
    await this.kill();
    for (const j of pending) j.resolve(false);
  }

  private spawn(): Worker {
    const w = spawnWorker();
    this.ready = false;
    this.timer = setTimeout(() => void this.fail(), STARTUP_MS);
    w.on("message", (m: { ready?: boolean; id?: number; ok?: boolean }) => {
      if (w !== this.worker) return;
      if (m.ready) {
        this.ready = true;
        this.clearTimer();
        this.dispatch();
        return;
      }
      if (this.current && m.id === this.current.msg.id) {
        this.clearTimer();
        const job = this.current;
        this.current = null;
        job.resolve(m.ok === true);
        this.pump();
      }
    });
    w.on("error", () => w === this.worker && void this.fail());
    w.on("exit", () => w === this.worker && void this.fail());
    return w;
  }

  private pump(): void {
    if (this.current || this.queue.length === 0) {
      if (!this.current && this.queue.length === 0) this.worker?.unref();
      return;
    }
    this.current = this.queue.shift()!;
    if (!this.worker) this.worker = this.spawn();
    this.worker.ref();
    if (this.ready) this.dispatch();
  }

  private dispatch(): void {
    if (!this.current || !this.worker || !this.ready || this.timer) return;
    this.timer = setTimeout(() => void this.fail(), this.current.timeoutMs);
    this.worker.postMessage(this.current.msg);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Time-out, crash or start-up failure: the current check is false, the worker is replaced on demand. */
  private async fail(): Promise<void> {
    const job = this.current;
    this.current = null;
    await this.kill();
    job?.resolve(false);
    this.pump();
  }

  private async kill(): Promise<void> {
    this.clearTimer();
    const w = this.worker;
    this.worker = null;
    this.ready = false;
    if (w) await w.terminate().catch(() => undefined);
  }
}
