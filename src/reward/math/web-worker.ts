/**
 * The maths verifier's Web Worker script (browser): symbolic comparison of answers the sync fast path could not
 * decide, off the page's thread. Started and, at the time limit, terminated by `WebWorkerSymbolicChecker`.
 * Protocol as the Node worker (`worker.ts`): a `VerifyJob` in, `{ id, ok }` out; `{ ready: true }` once loaded.
 */
import { symbolicVerdict, type VerifyJob } from "./symbolic-check.js";

const scope = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: { data: VerifyJob }) => void) | null };
scope.onmessage = (e) => scope.postMessage({ id: e.data.id, ok: symbolicVerdict(e.data) });
scope.postMessage({ ready: true });
