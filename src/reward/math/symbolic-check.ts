/**
 * One symbolic verification job (the slow path of `verifyAnswer`): `decideAnswer` with the Compute Engine leaf
 * comparisons of `symbolic.ts`. Runs in the Node verifier worker (`worker.ts`) or inline in a browser
 * (`inlineSymbolicChecker`). Browser-safe.
 */
import { decideAnswer } from "./compare.js";
import { symbolicLeaf, symbolicProportional } from "./symbolic.js";

/** A symbolic check as sent to a checker: the two answers and the resolved verifier options. */
export interface VerifyJob {
  id: number;
  gold: string;
  pred: string;
  percentAsDecimal: boolean;
  relTol: number;
  floatRounding: number;
  strict: boolean;
}

/** The verdict of one job; false on any error. Never throws. */
export function symbolicVerdict(job: VerifyJob): boolean {
  try {
    const hooks = {
      leaf: (a: string, b: string) => symbolicLeaf(a, b, job),
      proportional: (a1: string, b1: string, a2: string, b2: string, pos: boolean) => symbolicProportional(a1, b1, a2, b2, pos, job.relTol),
    };
    return decideAnswer(job.gold, job.pred, hooks, job) === true;
  } catch {
    return false;
  }
}
