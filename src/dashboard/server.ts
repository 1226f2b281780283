/**
 * The dashboard's HTTP server (Node, `node:http`): the page, its bundled script and stylesheet, and a small JSON API
 * over the run directories it was given — nothing else. Safe by default:
 * - binds 127.0.0.1 unless told otherwise; on any other address every request needs a token (`?token=` once, then a
 *   cookie), generated when none is given;
 * - checks the `Host` header (a DNS-rebinding page on another origin cannot read the API): on loopback only
 *   `localhost`, `127.0.0.1`, `[::1]` (with the port) are accepted;
 * - runs are named by their index in the list given on the command line; no part of a URL becomes a file path;
 * - a strict Content-Security-Policy (scripts from the page's own origin only), `nosniff`, no framing, no caching.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { COMPLETION_FILTERS, completionSteps, queryCompletions, repeatedPrompts, type CompletionFilter } from "./completions.js";
import { pageHtml } from "./page.js";
import type { RunReader } from "./run-reader.js";

/** The page's bundled client code and stylesheet (`scripts/build-dashboard.ts` writes them at build time). */
export interface DashboardAssets {
  js: string;
  css: string;
}

/** The directory above `from` that holds thinkrl's package.json (the repository or the installed package). */
export function packageRoot(from: string): string {
  let d = from;
  while (!existsSync(join(d, "package.json"))) {
    const up = dirname(d);
    if (up === d) return from;
    d = up;
  }
  return d;
}

/** Where `npm run build` puts the page's assets: `<package>/dist/dashboard/`. */
export function defaultAssetsDir(): string {
  return join(packageRoot(import.meta.dirname), "dist", "dashboard");
}

/**
 * Reads the page's script and stylesheet.
 * @throws ConfigError when they are not built
 */
export async function loadAssets(dir = defaultAssetsDir()): Promise<DashboardAssets> {
  try {
    const [js, css] = await Promise.all([readFile(join(dir, "app.js"), "utf8"), readFile(join(dir, "app.css"), "utf8")]);
    return { js, css };
  } catch {
    throw new ConfigError(`the dashboard page is not built (no ${join(dir, "app.js")})`, { hint: "run npm run build in the thinkrl checkout" });
  }
}

export interface DashboardOptions {
  runs: readonly RunReader[];
  assets: DashboardAssets;
  /** Address to bind (default 127.0.0.1). Anything but loopback requires a token. */
  host?: string;
  /** Port (0 = any free port). */
  port?: number;
  /** Access token; generated when the host is not loopback and none is given. Ignored on loopback unless given. */
  token?: string;
  /** Title of the page. */
  title?: string;
}

export interface DashboardServer {
  /** The page's URL (with `?token=` when one is needed). */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Whether `host` is a loopback address or name. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TOKEN_COOKIE = "thinkrl_dashboard_token";

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The host name of a `Host` header value (`[::1]:6007` → `[::1]`, `localhost:6007` → `localhost`). */
export function hostName(header: string): { name: string; port: string | null } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(header.trim().toLowerCase());
  return m ? { name: m[1]!, port: m[2] ?? null } : { name: "", port: null };
}

/**
 * Starts the dashboard server.
 * @throws ConfigError when the port is taken
 */
export async function startDashboard(o: DashboardOptions): Promise<DashboardServer> {
  const host = o.host ?? "127.0.0.1";
  const loopback = isLoopback(host);
  const token = o.token ?? (loopback ? undefined : randomBytes(18).toString("base64url"));
  let port = 0;
  const page = pageHtml({ title: o.title ?? `thinkrl — ${o.runs.map((r) => r.name).join(", ")}`, script: { src: "/app.js" }, css: { href: "/app.css" } });

  const send = (res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      "Content-Type": type,
      "Content-Length": Buffer.byteLength(body),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Content-Security-Policy": CSP,
      ...extra,
    });
    res.end(body);
  };
  const json = (res: ServerResponse, v: unknown) => send(res, 200, "application/json; charset=utf-8", JSON.stringify(v));
  const fail = (res: ServerResponse, status: number, msg: string) => send(res, status, "text/plain; charset=utf-8", `${msg}\n`);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const h = hostName(req.headers.host ?? "");
    if (loopback ? !isLoopback(h.name) || h.port !== String(port) : h.name === "") return fail(res, 421, "unexpected Host header");
    if (req.method !== "GET" && req.method !== "HEAD") return fail(res, 405, "method not allowed");
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    const extra: Record<string, string> = {};
    if (token !== undefined) {
      const given = url.searchParams.get("token") ?? /(?:^|;\s*)thinkrl_dashboard_token=([^;]*)/.exec(req.headers.cookie ?? "")?.[1];
      if (given === undefined || !sameToken(given, token)) return fail(res, 401, "missing or wrong token: open the URL the dashboard printed");
      extra["Set-Cookie"] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    const path = url.pathname;
    if (path === "/") return send(res, 200, "text/html; charset=utf-8", page, extra);
    if (path === "/app.js") return send(res, 200, "text/javascript; charset=utf-8", o.assets.js);
    if (path === "/app.css") return send(res, 200, "text/css; charset=utf-8", o.assets.css);
    if (path === "/api/runs") {
      await Promise.all(o.runs.map((r) => r.refresh()));
      return json(res, { live: true, runs: o.runs.map((r) => r.info()) });
    }
    const m = /^\/api\/runs\/(\d+)\/(rows|completions|completion-index)$/.exec(path);
    const run = m ? o.runs[Number(m[1])] : undefined;
    if (!m || !run) return fail(res, 404, "not found");
    await run.refresh();
    const q = url.searchParams;
    const int = (k: string) => (q.get(k) !== null && /^\d+$/.test(q.get(k)!) ? Number(q.get(k)) : undefined);
    if (m[2] === "rows") {
      const file = q.get("file") === "evals" ? "evals.jsonl" : q.get("file") === "metrics" ? "metrics.jsonl" : null;
      if (file === null) return fail(res, 400, "file must be metrics or evals");
      return json(res, { generation: run.tails[file].generation, rows: run.rows(file, int("from") ?? 0), skipped: run.tails[file].follower.skipped });
    }
    if (m[2] === "completion-index") return json(res, { steps: completionSteps(run.completions), repeated: repeatedPrompts(run.completions) });
    const filter = (q.get("filter") ?? "all") as CompletionFilter;
    if (!COMPLETION_FILTERS.includes(filter)) return fail(res, 400, `filter must be one of ${COMPLETION_FILTERS.join(", ")}`);
    const probe = q.get("probe");
    return json(
      res,
      queryCompletions(run.completions, {
        step: int("step"),
        filter,
        prompt: q.get("prompt") ?? undefined,
        probe: probe === null ? undefined : probe === "true",
        offset: int("offset"),
        limit: int("limit"),
      }),
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) fail(res, 500, `error: ${(e as Error).message}`);
      else res.destroy();
    });
  });
  await new Promise<void>((ok, bad) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      bad(e.code === "EADDRINUSE" ? new ConfigError(`port ${o.port} on ${host} is in use`, { hint: "pass --port 0 for any free port, or another --port" }) : e),
    );
    server.listen(o.port ?? 0, host, () => ok());
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    url: `http://${shown}:${port}/${token !== undefined ? `?token=${token}` : ""}`,
    port,
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
