/**
 * `thinkrl dashboard` as a user runs it: bad input fails in one line, a run is served until Ctrl-C, `--export` writes
 * one self-contained file.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildDashboardAssets } from "../../scripts/build-dashboard.js";
import { DATA_ELEMENT_ID } from "../../src/dashboard/page.js";
import { defaultAssetsDir } from "../../src/dashboard/server.js";
import { spawnTsx, thinkrl } from "../helpers/cli.js";
import { writeFixtureRun } from "../helpers/run-fixture.js";

let dir = "";
beforeAll(async () => {
  // The CLI serves the built page (npm run build; npm ci's prepare builds it too).
  if (!existsSync(join(defaultAssetsDir(), "app.js"))) await buildDashboardAssets(defaultAssetsDir());
  dir = await mkdtemp(join(tmpdir(), "thinkrl-dash-cli-"));
  await writeFixtureRun(join(dir, "run"), { steps: 12, hostile: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test("a missing or non-run directory and a bad port fail with one line", async () => {
  const missing = await thinkrl(["dashboard", join(dir, "nope")]);
  expect([missing.code, missing.stderr.trim()]).toEqual([1, `error: ${join(dir, "nope")}: no such directory`]);
  const notRun = await thinkrl(["dashboard", dir]);
  expect(notRun.stderr.trim()).toBe(`error: ${dir}: not a run directory (no metrics.jsonl, config.json or evals.jsonl)`);
  const port = await thinkrl(["dashboard", join(dir, "run"), "--port", "x"]);
  expect([port.code, port.stderr.trim()]).toEqual([1, "error: --port expects an integer 0–65535 (got x)"]);
});

test("serves the run on loopback until Ctrl-C", async () => {
  const { child, done } = spawnTsx(["src/cli/main.ts", "dashboard", join(dir, "run"), "--port", "0"], { killAfterMs: 60_000 });
  let out = "";
  const url = await new Promise<string>((ok) =>
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) ok(m[1]!);
    }),
  );
  const runs = (await (await fetch(`${url}api/runs`)).json()) as { runs: { name: string; files: Record<string, { rows: number }> }[] };
  expect([runs.runs[0]!.name, runs.runs[0]!.files["metrics.jsonl"]!.rows]).toEqual(["run", 12]);
  child.kill("SIGINT");
  expect((await done).code).toBe(0);
});

test("--export writes one file with the data inlined", async () => {
  const file = join(dir, "report.html");
  const r = await thinkrl(["dashboard", join(dir, "run"), "--export", file]);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  expect(r.stdout).toMatch(new RegExp(`^wrote ${file} \\(0\\.\\d\\d MB\\)\\n$`));
  const html = await readFile(file, "utf8");
  expect(html).toContain(`<script type="application/json" id="${DATA_ELEMENT_ID}">`);
  expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
});
