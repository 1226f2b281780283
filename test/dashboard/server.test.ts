/**
 * The dashboard server over real HTTP: the API follows a run as it is written (appended rows, a truncated file, a
 * half-written line), and it is safe by default — a foreign `Host` header is refused (DNS rebinding), off loopback a
 * token is required, nothing but the given runs is reachable (no path from a URL reaches the file system).
 */
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openRuns } from "../../src/dashboard/run-reader.js";
import { startDashboard, type DashboardServer } from "../../src/dashboard/server.js";
import { fixtureMetrics, writeFixtureRun } from "../helpers/run-fixture.js";

/** GET with explicit headers (fetch will not send a foreign Host). */
function get(port: number, path: string, headers: Record<string, string> = {}, host = "127.0.0.1"): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((ok, bad) => {
    const req = request({ host, port, path, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => ok({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on("error", bad);
    req.end();
  });
}

const ASSETS = { js: "/* page */", css: "/* css */" };
let dir = "";
let server: DashboardServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "thinkrl-dash-"));
  await writeFixtureRun(join(dir, "a"), { steps: 5, junk: "{broken\n" });
  server = await startDashboard({ runs: await openRuns([join(dir, "a")]), assets: ASSETS, port: 0 });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the API follows a run as it is written", () => {
  test("rows, malformed lines counted, then appended rows and a half-written line", async () => {
    const p = server.port;
    let runs = JSON.parse((await get(p, "/api/runs")).body) as { runs: { name: string; files: Record<string, { rows: number; skipped: number; generation: number }> }[] };
    expect(runs.runs[0]!.name).toBe("a");
    expect(runs.runs[0]!.files["metrics.jsonl"]).toEqual({ rows: 5, skipped: 1, generation: 1 });
    await appendFile(join(dir, "a", "metrics.jsonl"), JSON.stringify(fixtureMetrics(6)) + "\n" + JSON.stringify(fixtureMetrics(7)).slice(0, 30));
    const rows = JSON.parse((await get(p, "/api/runs/0/rows?file=metrics&from=4")).body) as { rows: { step: number }[] };
    expect(rows.rows.map((r) => r.step)).toEqual([5, 6]); // step 7 is still being written
    await appendFile(join(dir, "a", "metrics.jsonl"), JSON.stringify(fixtureMetrics(7)).slice(30) + "\n");
    runs = JSON.parse((await get(p, "/api/runs")).body);
    expect(runs.runs[0]!.files["metrics.jsonl"]).toEqual({ rows: 7, skipped: 1, generation: 1 });
  });

  test("a file replaced by a shorter one (a resumed run) is read again from the start", async () => {
    await writeFile(join(dir, "a", "metrics.jsonl"), JSON.stringify(fixtureMetrics(1)) + "\n");
    const runs = JSON.parse((await get(server.port, "/api/runs")).body) as { runs: { files: Record<string, unknown> }[] };
    expect(runs.runs[0]!.files["metrics.jsonl"]).toEqual({ rows: 1, skipped: 0, generation: 2 });
  });

  test("completions: index, filter and page", async () => {
    const idx = JSON.parse((await get(server.port, "/api/runs/0/completion-index")).body) as { steps: unknown[] };
    expect(idx.steps).toEqual([{ step: 5, rows: 16 }]);
    const page = JSON.parse((await get(server.port, "/api/runs/0/completions?step=5&filter=truncated&limit=1")).body) as { total: number; rows: unknown[] };
    expect([page.total, page.rows.length]).toEqual([2, 1]);
    expect((await get(server.port, "/api/runs/0/completions?filter=<x>")).status).toBe(400);
  });
});

describe("safe by default", () => {
  test("binds loopback; the page and assets carry a strict CSP", async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const r = await get(server.port, "/");
    expect(r.status).toBe(200);
    expect(r.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    expect((await get(server.port, "/app.js")).body).toBe(ASSETS.js);
  });

  test("a foreign Host header is refused (DNS rebinding); loopback names are accepted", async () => {
    expect((await get(server.port, "/api/runs", { Host: `evil.example:${server.port}` })).status).toBe(421);
    expect((await get(server.port, "/api/runs", { Host: "127.0.0.1:1" })).status).toBe(421);
    expect((await get(server.port, "/api/runs", { Host: `localhost:${server.port}` })).status).toBe(200);
  });

  test("only the given runs: unknown runs and paths are 404, other methods 405", async () => {
    for (const path of ["/api/runs/1/rows?file=metrics", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/api/runs/0/../../config.json", "/metrics.jsonl", "/api/runs/0/rows/..%2f..%2fetc%2fpasswd"]) {
      const r = await get(server.port, path);
      expect([r.status, path]).toEqual([404, path]);
    }
    expect((await get(server.port, "/api/runs/0/rows?file=../../etc/passwd")).status).toBe(400);
  });

  test("off loopback every request needs the token (then a cookie)", async () => {
    const s = await startDashboard({ runs: await openRuns([join(dir, "a")]), assets: ASSETS, host: "0.0.0.0", port: 0 });
    try {
      const token = new URL(s.url).searchParams.get("token")!;
      expect(token.length).toBeGreaterThanOrEqual(20);
      expect((await get(s.port, "/api/runs")).status).toBe(401);
      expect((await get(s.port, "/api/runs?token=wrong")).status).toBe(401);
      const ok = await get(s.port, `/?token=${token}`);
      expect(ok.status).toBe(200);
      const cookie = String(ok.headers["set-cookie"]).split(";")[0]!;
      expect((await get(s.port, "/api/runs", { Cookie: cookie })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

test("a directory that is no run is refused with one line", async () => {
  await expect(openRuns([join(dir, "missing")])).rejects.toThrow(/missing: no such directory$/);
  await expect(openRuns([tmpdir()])).rejects.toThrow(/not a run directory/);
  await expect(openRuns([])).rejects.toThrow("no run directory given");
});
