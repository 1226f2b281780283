/**
 * Web Worker shim for Node.js, so that jax-js's Wasm backend can run its kernels on a thread pool.
 *
 * jax-js creates workers with `new Worker(blobURL, { type: "module" })` and talks to them with the Web Worker
 * message API (`onmessage`, `postMessage`). Node has `worker_threads` but no global `Worker`, and blob URLs are not
 * visible from other threads, so each shim worker starts a small bootstrap that waits for the worker source
 * (read from the blob on the main thread) and queues messages until it arrives. A worker keeps the process alive
 * only while it has outstanding requests, so a finished CLI command exits on its own.
 *
 * Must run before `@jax-js/jax` initialises its Wasm backend (see `initEngine`).
 */
import { Worker as NodeWorker } from "node:worker_threads";
import { resolveObjectURL } from "node:buffer";
import { availableParallelism } from "node:os";

const BOOT = `
const { parentPort } = require("node:worker_threads");
globalThis.self = globalThis;
globalThis.postMessage = (m) => parentPort.postMessage(m);
const queue = [];
let ready = false;
parentPort.on("message", (m) => {
  if (m && m.__thinkrlWorkerSource !== undefined) {
    (0, eval)(m.__thinkrlWorkerSource);
    ready = true;
    for (const q of queue.splice(0)) self.onmessage({ data: q });
  } else if (ready) self.onmessage({ data: m });
  else queue.push(m);
});
`;

class NodeWebWorker {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: Error) => void) | null = null;
  readonly #w: NodeWorker;
  #pending = 0;

  constructor(url: string | URL) {
    this.#w = new NodeWorker(BOOT, { eval: true });
    this.#w.unref();
    this.#w.on("message", (m) => {
      // Every request gets exactly one reply ("ready" or "done").
      if (--this.#pending <= 0) {
        this.#pending = 0;
        this.#w.unref();
      }
      this.onmessage?.({ data: m });
    });
    this.#w.on("error", (e) => this.onerror?.(e));
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`worker-shim: cannot resolve worker source ${String(url)}`);
    void blob.text().then((src) => this.#w.postMessage({ __thinkrlWorkerSource: src }));
  }

  postMessage(m: unknown): void {
    if (this.#pending++ === 0) this.#w.ref();
    this.#w.postMessage(m);
  }

  terminate(): void {
    void this.#w.terminate();
  }
}

/** Installs `globalThis.Worker` (and a minimal `navigator`) when missing. Idempotent. */
export function installWorkerShim(threads?: number): void {
  const g = globalThis as Record<string, unknown>;
  if (g.navigator === undefined) {
    g.navigator = { hardwareConcurrency: threads ?? availableParallelism(), userAgent: "node" };
  } else if (threads !== undefined) {
    try {
      Object.defineProperty(g.navigator as object, "hardwareConcurrency", { value: threads, configurable: true });
    } catch {
      /* read-only navigator: keep its value */
    }
  }
  if (g.Worker === undefined) g.Worker = NodeWebWorker;
}
