/**
 * `thinkrl web`'s server (Node): the in-tab trainer page, its bundle (`dist/dashboard/web.js`, the browser entry and
 * the dashboard's charts), the maths verifier's worker script (`verify-worker.js`) and the embedded model's files —
 * nothing else. Cross-origin isolated (COOP `same-origin`,
 * COEP `require-corp`), which the browser requires before it gives a page SharedArrayBuffer, and so jax-js its Wasm
 * thread pool. Binds 127.0.0.1 and checks the Host header as the dashboard does; it serves no user data.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { escapeHtml } from "../dashboard/page.js";
import { defaultAssetsDir, hostName, isLoopback, type DashboardServer } from "../dashboard/server.js";

/** The model files the page may fetch (from the model directory; anything else is 404). */
const MODEL_FILES = new Set(["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "chat_template.jinja"]);

/** Scripts from this origin, Wasm compilation (jax-js generates its kernels), the thread pool's blob: workers. */
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface WebServerOptions {
  /** Directory of the model the page trains (the embedded model's: `assets/default-model`). */
  modelDir: string;
  /** Directory holding `web.js` and `app.css` (default: the dashboard's built assets). */
  assetsDir?: string;
  port?: number;
}

/** The page. */
function webPage(): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml("thinkrl web — GRPO in this tab")}</title>`,
    '<link rel="icon" href="data:,"><link rel="stylesheet" href="/app.css">',
    '</head><body><div id="app"><p class="loading">Loading…</p></div><script type="module" src="/web.js"></script></body></html>',
    "",
  ].join("\n");
}

/**
 * Starts the server on 127.0.0.1.
 * @throws ConfigError when the page is not built or the port is taken
 */
export async function startWebServer(o: WebServerOptions): Promise<DashboardServer> {
  const dir = o.assetsDir ?? defaultAssetsDir();
  const [js, css, verifier] = await Promise.all(["web.js", "app.css", "verify-worker.js"].map((f) => readFile(join(dir, f), "utf8"))).catch(() => {
    throw new ConfigError(`the web trainer page is not built (no ${join(dir, "web.js")})`, { hint: "run npm run build in the thinkrl checkout" });
  });
  const page = webPage();
  let port = 0;
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, {
      "Content-Type": type,
      "Content-Length": Buffer.byteLength(body),
      "Cache-Control": "no-store",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": CSP,
    });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const h = hostName(req.headers.host ?? "");
    if (!isLoopback(h.name) || h.port !== String(port)) return send(res, 421, "text/plain", "unexpected Host header\n");
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed\n");
    const path = new URL(req.url ?? "/", "http://web.invalid").pathname;
    if (path === "/") return send(res, 200, "text/html; charset=utf-8", page);
    if (path === "/web.js") return send(res, 200, "text/javascript; charset=utf-8", js!);
    if (path === "/app.css") return send(res, 200, "text/css; charset=utf-8", css!);
    if (path === "/verify-worker.js") return send(res, 200, "text/javascript; charset=utf-8", verifier!);
    const m = /^\/model\/([^/]+)$/.exec(path);
    if (m && MODEL_FILES.has(m[1]!)) {
      const bytes = await readFile(join(o.modelDir, m[1]!)).catch(() => null);
      if (bytes) return send(res, 200, m[1]!.endsWith(".json") ? "application/json" : "application/octet-stream", bytes);
    }
    return send(res, 404, "text/plain", "not found\n");
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => (res.headersSent ? res.destroy() : send(res, 500, "text/plain", `error: ${(e as Error).message}\n`)));
  });
  await new Promise<void>((ok, bad) => {
    server.once("error", (e: NodeJS.ErrnoException) => bad(e.code === "EADDRINUSE" ? new ConfigError(`port ${o.port} is in use`, { hint: "pass --port 0 for any free port" }) : e));
    server.listen(o.port ?? 0, "127.0.0.1", () => ok());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
