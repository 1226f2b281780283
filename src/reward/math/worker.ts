/**
 * Verifier worker thread (Node only): symbolic comparison of answers the sync fast path could not decide. Started
 * and, at the time limit, terminated by the worker checker (`worker-checker.ts`). Protocol: a `VerifyJob`
 * `{ id, gold, pred, percentAsDecimal, relTol }` in, `{ id, ok }` out; `{ ready: true }` once loaded.
 */
import { parentPort } from "node:worker_threads";
import { symbolicVerdict, type VerifyJob } from "./symbolic-check.js";

export type { VerifyJob } from "./symbolic-check.js";

const port = parentPort;
if (port) {
  port.on("message", (job: VerifyJob) => port.postMessage({ id: job.id, ok: symbolicVerdict(job) }));
  port.postMessage({ ready: true });
}
