/** `thinkrl web`: serves the in-tab trainer page (`web/server.ts`) until Ctrl-C. */
import { ConfigError } from "../../core/errors.js";

/** The port `thinkrl web` uses unless told otherwise. */
export const DEFAULT_WEB_PORT = 6008;

export async function runWebCommand(o: Record<string, unknown>): Promise<void> {
  const port = o.port === undefined ? DEFAULT_WEB_PORT : Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port expects an integer 0–65535 (got ${String(o.port)})`);
  const { startWebServer } = await import("../../web/server.js");
  const { packageRoot } = await import("../../dashboard/server.js");
  const { join } = await import("node:path");
  // The embedded model's shipped cold-start checkpoint (model/load.ts defaultModelDir, without loading jax-js here).
  const s = await startWebServer({ modelDir: join(packageRoot(import.meta.dirname), "assets", "default-model"), port });
  console.log(`thinkrl web: open ${s.url} in Chromium or another browser with WebAssembly threads (Ctrl-C to stop)`);
  await new Promise<void>((done) => process.once("SIGINT", () => done()));
  await s.close();
}
