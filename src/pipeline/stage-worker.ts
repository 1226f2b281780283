/**
 * The child process of one recipe stage (`stage-process.ts` forks it): it starts a fresh jax-js engine, runs the
 * stage function (`stages.ts`) and sends its `StageRun` back over the IPC channel, then exits, so the memory the
 * stage's compiled programs and buffers took goes back to the system with the process.
 *
 * Messages in: `run` (once), `abort` (the parent's Ctrl-C / signal: stop at the stage's next safe point).
 * Messages out: `log` (each `info` / `progress` line), then `done` or `error` (the error's class name, message,
 * hint and stack). Ctrl-C in a terminal reaches this process too; it is left to the parent, which relays it as
 * `abort`. When the parent goes away (its IPC channel closes) the child exits at once with 130.
 */
import { ThinkrlError } from "../core/errors.js";
import type { RunLog } from "../core/log.js";
import { initEngine } from "../engine/init.js";
import type { StageRequest, StageReply, StageWorkerError } from "./stage-process.js";

const stop = new AbortController();

function send(m: StageReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(m, undefined, {}, () => resolve());
  });
}

function describeError(e: unknown): StageWorkerError {
  if (!(e instanceof Error)) return { name: "Error", message: String(e), thinkrl: false };
  return { name: e.name, message: e.message, stack: e.stack, hint: e instanceof ThinkrlError ? e.hint : undefined, thinkrl: e instanceof ThinkrlError };
}

async function run(m: Extract<StageRequest, { kind: "run" }>): Promise<void> {
  let code = 0;
  try {
    await initEngine(m.device, m.threads === undefined ? {} : { threads: m.threads });
    const { STAGES } = await import("./stages.js");
    const log: RunLog = {
      info: (msg) => void send({ kind: "log", level: "info", msg }),
      progress: (msg) => void send({ kind: "log", level: "progress", msg }),
    };
    const r = await STAGES[m.type](m.dir, m.opts, { log, signal: stop.signal }, m.earlier);
    await send({ kind: "done", run: r });
  } catch (e) {
    await send({ kind: "error", error: describeError(e) });
    code = 1;
  }
  // The engine's worker threads would keep the process alive.
  process.exit(code);
}

if (process.send === undefined) {
  console.error("error: stage-worker is the child process of a recipe stage (run-recipe.ts forks it); run `thinkrl pipeline` instead");
  process.exit(2);
}
process.on("SIGINT", () => {}); // the parent relays Ctrl-C as `abort`
process.on("disconnect", () => process.exit(130));
process.on("message", (m: StageRequest) => {
  if (m.kind === "abort") stop.abort();
  else if (m.kind === "run") void run(m);
});
