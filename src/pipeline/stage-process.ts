/**
 * Runs one recipe stage in a child process (`stage-worker.ts`): every stage gets a fresh jax-js engine, and the
 * Wasm memory its compiled programs and buffers took (the 4 GiB memory32 heap only grows) is returned when it ends.
 *
 * - The child's log lines come back over IPC to the caller's `RunLog`; what it prints itself goes to this process's
 *   stdout / stderr.
 * - The caller's `signal` is relayed as `abort`: the stage stops at its next safe point and fails with
 *   `PipelineInterrupted`, as in-process. When this process exits (a second Ctrl-C), the child is killed; the
 *   stage's checkpoints are written atomically, so a rerun continues from the last one.
 * - A failure in the child comes back as the same error class (`ThinkrlError` and its subclasses by name, others as
 *   `Error`), message, hint and stack; a child that dies without a reply (killed, out of memory) fails with a
 *   one-line `ThinkrlError` naming its exit code or signal.
 * - From the compiled `dist/` the child is `stage-worker.js`; from the sources (tests, `node --import tsx`) it is
 *   `stage-worker.ts` under tsx.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CheckpointError, ConfigError, DatasetError, EndpointError, EngineError, ThinkrlError } from "../core/errors.js";
import type { DeviceChoice } from "../engine/start.js";
import type { StageType } from "./recipe.js";
import { PipelineInterrupted, type StageContext, type StageResult, type StageRun } from "./stage-run.js";

/** Parent → child. */
export type StageRequest =
  | { kind: "run"; type: StageType; dir: string; opts: Record<string, unknown>; earlier: StageResult[]; device: DeviceChoice; threads?: number }
  | { kind: "abort" };

/** An error as it crosses the process boundary. */
export interface StageWorkerError {
  name: string;
  message: string;
  stack?: string;
  hint?: string;
  /** Whether it was a `ThinkrlError` (a one-line user-facing error). */
  thinkrl: boolean;
}

/** Child → parent. */
export type StageReply =
  | { kind: "log"; level: "info" | "progress"; msg: string }
  | { kind: "done"; run: StageRun }
  | { kind: "error"; error: StageWorkerError };

/** The engine a stage's child process starts. */
export interface StageEngine {
  device: DeviceChoice;
  /** Wasm worker threads (default: all cores). */
  threads?: number;
}

const ERROR_CLASSES: Record<string, new (message: string, opts?: { hint?: string }) => ThinkrlError> = {
  ThinkrlError,
  ConfigError,
  CheckpointError,
  DatasetError,
  EngineError,
  EndpointError,
  PipelineInterrupted,
};

/** The child's error as this process's: the same class where it is one of thinkrl's, the child's stack kept. */
export function reviveError(e: StageWorkerError): Error {
  let err: Error;
  if (e.thinkrl) {
    const Cls = ERROR_CLASSES[e.name] ?? ThinkrlError;
    err = new Cls(e.message, e.hint === undefined ? {} : { hint: e.hint });
    if (err.name !== e.name) Object.defineProperty(err, "name", { value: e.name });
  } else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

function workerEntry(): { path: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith(".ts");
  const path = fileURLToPath(new URL(`./stage-worker.${fromSource ? "ts" : "js"}`, import.meta.url));
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--inspect"));
  const hasTsx = execArgv.some((a, i) => a === "tsx" && execArgv[i - 1] === "--import") || execArgv.includes("--import=tsx");
  return { path, execArgv: fromSource && !hasTsx ? [...execArgv, "--import", "tsx"] : execArgv };
}

/**
 * Runs stage `type` in `dir` with `opts` in a fresh child process.
 * @returns the stage's `StageRun`
 * @throws the stage's own error (same class and message), `PipelineInterrupted` when `ctx.signal` stopped it, or a
 *   `ThinkrlError` when the child ended without a reply
 */
export function runStageInChild(type: StageType, dir: string, opts: Record<string, unknown>, ctx: StageContext, earlier: readonly StageResult[], engine: StageEngine): Promise<StageRun> {
  const { path, execArgv } = workerEntry();
  const child = fork(path, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
  let reply: { run: StageRun } | { error: Error } | null = null;
  const onAbort = () => {
    if (child.connected) child.send({ kind: "abort" } satisfies StageRequest);
  };
  const onExit = () => child.kill("SIGKILL");
  process.on("exit", onExit);
  return new Promise<StageRun>((resolve, reject) => {
    child.on("message", (m: StageReply) => {
      if (m.kind === "log") (m.level === "info" ? ctx.log.info : ctx.log.progress).call(ctx.log, m.msg);
      else if (m.kind === "done") reply = { run: m.run };
      else if (m.kind === "error") reply = { error: reviveError(m.error) };
    });
    child.on("error", (e) => reply ?? (reply = { error: new ThinkrlError(`stage ${dir}: cannot start its process (${e.message})`) }));
    // `close` comes after the exit and after the IPC channel has delivered every message.
    child.on("close", (code, signal) => {
      process.off("exit", onExit);
      ctx.signal?.removeEventListener("abort", onAbort);
      const r = reply as { run: StageRun } | { error: Error } | null;
      if (r !== null && "run" in r) resolve(r.run);
      else if (r !== null) reject(r.error);
      else reject(new ThinkrlError(`stage ${dir}: its process ended without a result (${signal !== null ? `signal ${signal}` : `exit code ${code}`})`, { hint: "rerun the recipe to continue from the stage's last checkpoint" }));
    });
    child.send({ kind: "run", type, dir, opts, earlier: [...earlier], device: engine.device, threads: engine.threads } satisfies StageRequest);
    if (ctx.signal?.aborted) onAbort();
    else ctx.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
