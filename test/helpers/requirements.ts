/**
 * Suites that need a system package (bubblewrap for the code sandbox, SymPy for the verifier cross-check): skipped
 * when it is missing (`describeNeeding`), with one counted line in the output, e.g.
 *   `12 sandbox tests skipped: install bubblewrap (apt install bubblewrap) to run them`.
 * CI sets the requirement's environment variable (`THINKRL_REQUIRE_SANDBOX=1`, `THINKRL_REQUIRE_SYMPY=1`, see
 * .ci/run), which turns the skip into a failure: a CI machine must run them.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeEach, describe } from "vitest";
import { DEFAULT_SANDBOX } from "../../src/reward/code/sandbox.js";

export interface Requirement {
  /** What the skipped tests are, e.g. "sandbox". */
  what: string;
  /** Whether this machine has it. */
  available: boolean;
  /** How to get it, e.g. "install bubblewrap (apt install bubblewrap)". */
  install: string;
  /** Environment variable that, set to 1, makes a missing requirement an error instead of a skip. */
  requireEnv: string;
}

type Task = { type: string; mode: string; result?: { state?: string }; tasks?: Task[] };

/** Tests (not suites) of a task tree that were skipped. */
function skippedTests(task: Task): number {
  if (task.type === "test") return task.mode === "skip" || task.result?.state === "skip" ? 1 : 0;
  return (task.tasks ?? []).reduce((n, t) => n + skippedTests(t), 0);
}

const noted = new Set<string>();

/**
 * `describe(name, fn)` whose tests need `r`. Without it every test is skipped at run time (so the file's hooks still
 * run, even when nothing else in it does) and the file prints one line: how many tests it skipped and how to run
 * them.
 * @throws Error when `r` is missing and `r.requireEnv` is set to 1 (the test file then fails)
 */
export function describeNeeding(r: Requirement, name: string, fn: () => void): void {
  if (!r.available && process.env[r.requireEnv] === "1") throw new Error(`${r.requireEnv}=1 but the ${r.what} tests cannot run: ${r.install}`);
  if (!r.available && !noted.has(r.what)) {
    noted.add(r.what);
    afterAll((file) => console.warn(`${skippedTests(file as unknown as Task)} ${r.what} tests skipped: ${r.install} to run them`));
  }
  describe(name, () => {
    if (!r.available) beforeEach((ctx) => ctx.skip());
    fn();
  });
}

/** bubblewrap at the sandbox's path (`DEFAULT_SANDBOX.bwrap`, Debian's /usr/bin/bwrap). */
export const SANDBOX: Requirement = {
  what: "sandbox",
  available: existsSync(DEFAULT_SANDBOX.bwrap),
  install: "install bubblewrap (apt install bubblewrap)",
  requireEnv: "THINKRL_REQUIRE_SANDBOX",
};

/** Interpreter the SymPy cross-check runs (Debian's python3-sympy). */
export const SYMPY_PYTHON = "/usr/bin/python3";

export const SYMPY: Requirement = {
  what: "SymPy cross-check",
  available: spawnSync(SYMPY_PYTHON, ["-c", "import sympy"], { stdio: "ignore" }).status === 0,
  install: `install SymPy for ${SYMPY_PYTHON} (apt install python3-sympy)`,
  requireEnv: "THINKRL_REQUIRE_SYMPY",
};

/** Debian's Chromium, driven by playwright-core in the dashboard's browser tests. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM: Requirement = {
  what: "browser",
  available: existsSync(CHROMIUM_PATH),
  install: "install Chromium (apt install chromium)",
  requireEnv: "THINKRL_REQUIRE_BROWSER",
};
