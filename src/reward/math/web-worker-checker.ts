/**
 * Symbolic checks in a browser Web Worker with a hard time limit — the browser's counterpart of the Node checker
 * (`worker-checker.ts`). The page stays responsive however long a check takes (the Compute Engine runs on the
 * worker's thread), and a check past its limit terminates the worker and counts as false, as on Node; a fresh
 * worker starts for the next check. The worker script is `web-worker.ts`, bundled on its own (`thinkrl web`
 * serves it as `/verify-worker.js`). Browser-only (uses the global `Worker`); install it with
 * `setDefaultMathVerifier(new MathVerifier(new WebWorkerSymbolicChecker(url)))`.
 */
import type { VerifyJob } from "./symbolic-check.js";
import type { SymbolicChecker } from "./verify.js";

/** Worker start-up (script load) limit, ms; separate from the per-check limit. */
const STARTUP_MS = 30_000;

interface Job {
  msg: VerifyJob;
  timeoutMs: number;
  resolve: (ok: boolean) => void;
}

/**
 * Owns one verifier Web Worker and runs checks through it one at a time, each under its own time limit (see the
 * module comment). `close()` terminates it; pending checks resolve false.
 */
export class WebWorkerSymbolicChecker implements SymbolicChecker {
  #worker: Worker | null = null;
  #ready = false;
  #queue: Job[] = [];
  #current: Job | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #started = 0;

  /** @param url the bundled worker script (`web-worker.ts`), same origin as the page */
  constructor(readonly url: string | URL) {}

  /** Workers started so far (each time-out or crash replaces the worker). */
  get workersStarted(): number {
    return this.#started;
  }

  check(job: VerifyJob, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.#queue.push({ msg: job, timeoutMs, resolve });
      this.#pump();
    });
  }

  async close(): Promise<void> {
    const pending = [...(this.#current ? [this.#current] : []), ...this.#queue];
    this.#queue = [];
    this.#current = null;
    this.#kill();
    for (const j of pending) j.resolve(false);
  }

  #spawn(): Worker {
    const w = new Worker(this.url, { name: "thinkrl-verifier" });
    this.#started++;
    this.#ready = false;
    this.#timer = setTimeout(() => this.#fail(), STARTUP_MS);
    w.onmessage = (e: MessageEvent<{ ready?: boolean; id?: number; ok?: boolean }>) => {
      if (w !== this.#worker) return;
      const m = e.data;
      if (m.ready) {
        this.#ready = true;
        this.#clearTimer();
        this.#dispatch();
        return;
      }
      if (this.#current && m.id === this.#current.msg.id) {
        this.#clearTimer();
        const job = this.#current;
        this.#current = null;
        job.resolve(m.ok === true);
        this.#pump();
      }
    };
    w.onerror = (e) => {
      e.preventDefault();
      if (w === this.#worker) this.#fail();
    };
    return w;
  }

  #pump(): void {
    if (this.#current || this.#queue.length === 0) return;
    this.#current = this.#queue.shift()!;
    this.#worker ??= this.#spawn();
    if (this.#ready) this.#dispatch();
  }

  #dispatch(): void {
    if (!this.#current || !this.#worker || !this.#ready || this.#timer) return;
    this.#timer = setTimeout(() => this.#fail(), this.#current.timeoutMs);
    this.#worker.postMessage(this.#current.msg);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Time-out, crash or start-up failure: the current check is false, the worker is replaced on demand. */
  #fail(): void {
    const job = this.#current;
    this.#current = null;
    this.#kill();
    job?.resolve(false);
    this.#pump();
  }

  #kill(): void {
    this.#clearTimer();
    this.#worker?.terminate();
    this.#worker = null;
    this.#ready = false;
  }
}
