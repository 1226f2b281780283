/**
 * Verifier worker thread: symbolic comparison of answers the sync fast path could not decide. Started and,
 * at the time limit, terminated by `MathVerifier` (verify.ts). Protocol: `{ id, gold, pred, percentAsDecimal,
 * relTol }` in, `{ id, ok }` out; `{ ready: true }` once loaded.
 */
import { parentPort } from "node:worker_threads";
import { decideAnswer } from "./compare.js";
import { symbolicLeaf, symbolicProportional } from "./symbolic.js";

export interface VerifyJob {
  id: number;
  gold: string;
  pred: string;
  percentAsDecimal: boolean;
  relTol: number;
}

const port = parentPort;
if (port) {
  port.on("message", (job: VerifyJob) => {
    let ok = false;
    try {
      const hooks = {
        leaf: (a: string, b: string) => symbolicLeaf(a, b, job.relTol),
        proportional: (a1: string, b1: string, a2: string, b2: string, pos: boolean) => symbolicProportional(a1, b1, a2, b2, pos, job.relTol),
      };
      ok = decideAnswer(job.gold, job.pred, hooks, { percentAsDecimal: job.percentAsDecimal }) === true;
    } catch {
      ok = false;
    }
    port.postMessage({ id: job.id, ok });
  });
  port.postMessage({ ready: true });
}
