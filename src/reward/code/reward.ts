/**
 * Code-execution reward (DeepSeek-R1 §2.2.2 "Accuracy rewards": for code problems "a compiler can be used to
 * evaluate the responses against a suite of predefined test cases"). The program is the last fenced code block
 * of the answer; each test runs in its own sandboxed process (see `sandbox.ts`); reward = fraction passed.
 * Node only (subprocesses); the registry loads it lazily. Parsing completions and tests is browser-safe (`tests.ts`).
 */
import { randomBytes } from "node:crypto";
import { ConfigError } from "../../core/errors.js";
import type { RewardBatch, RewardFn } from "../types.js";
import { assertSandbox, resolveSandboxConfig, runInSandbox, SANDBOX_SRC, type SandboxConfig } from "./sandbox.js";
import { CODE_LANGUAGES, extractCode, normalizeOutput, parseTests, type CodeLanguage, type CodeTest } from "./tests.js";

export { extractCode, normalizeOutput, parseTests, type CodeTest } from "./tests.js";

/** Longest program we run, in characters (longer → 0). */
const MAX_CODE_CHARS = 100_000;

/*
 * Assert-style harnesses. The solution and the test code run in one program, so a solution that simply exits
 * early (`sys.exit(0)`, `process.exit(0)`) would pass on exit code alone. The harness first reads a random
 * nonce from stdin (nothing else holds it), runs solution + tests, and prints the nonce last; a test passes only
 * with exit code 0 and the nonce as the last stdout line. The nonce lives in a function local that the program
 * cannot name (a deliberate frame-introspection attack could still find it; so could an `__eq__` that always
 * returns True — reward hacks of that kind need monitoring, not a sandbox).
 */
const HARNESS_PY = `def _thinkrl_harness():
    import os, sys
    nonce = sys.stdin.readline().strip()
    with open("${SANDBOX_SRC}/prog.py", encoding="utf-8") as f:
        code = compile(f.read(), "solution.py", "exec")
    exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
    sys.stdout.flush()
    os.write(1, ("\\n" + nonce + "\\n").encode())
_thinkrl_harness()
`;
const HARNESS_JS = `"use strict";
(() => {
  const fs = require("fs");
  const nonce = fs.readFileSync(0, "utf8").split("\\n")[0].trim();
  require("${SANDBOX_SRC}/prog.js");
  fs.writeSync(1, "\\n" + nonce + "\\n");
})();
`;

/** Run one test; true when it passed. `timeout` is reported so the caller can stop early. */
async function runTest(cfg: Readonly<SandboxConfig>, language: CodeLanguage, code: string, test: CodeTest): Promise<{ pass: boolean; timeout: boolean; infra: boolean }> {
  const ext = language === "python" ? "py" : "js";
  if (test.kind === "io") {
    const r = await runInSandbox(cfg, { language, files: { [`prog.${ext}`]: code }, main: `prog.${ext}`, stdin: test.input });
    const pass = r.status === "exited" && r.exitCode === 0 && normalizeOutput(r.stdout) === normalizeOutput(test.output);
    return { pass, timeout: r.status === "timeout", infra: r.status === "spawn_error" };
  }
  const nonce = randomBytes(16).toString("hex");
  const r = await runInSandbox(cfg, {
    language,
    files: { [`prog.${ext}`]: `${code}\n\n${test.code}\n`, [`main.${ext}`]: language === "python" ? HARNESS_PY : HARNESS_JS },
    main: `main.${ext}`,
    stdin: `${nonce}\n`,
  });
  const lines = r.stdout.replace(/\s+$/, "").split("\n");
  const pass = r.status === "exited" && r.exitCode === 0 && lines.at(-1) === nonce;
  return { pass, timeout: r.status === "timeout", infra: r.status === "spawn_error" };
}

export interface CodeRewardOptions {
  /** Sandbox settings (limits, uid, paths); see `SandboxConfig`. */
  sandbox?: Partial<SandboxConfig>;
  /** Language of every program. Default: the row's `code_language` column, else the fence tag, else python. */
  language?: CodeLanguage;
  /** After a test times out, count the remaining tests of that completion as failed without running them. Default true. */
  stopOnTimeout?: boolean;
  /** Programs run at once across the batch. Default 2 (each run is one process; set to the free cores). */
  concurrency?: number;
}

/** Small promise pool: runs `jobs` with at most `limit` in flight, results in order. */
async function pool<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const k = next++;
      out[k] = await jobs[k]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

function rowLanguage(batch: RewardBatch, i: number, fixed: CodeLanguage | undefined, fence: CodeLanguage | null): CodeLanguage {
  if (fixed) return fixed;
  const col = Array.isArray(batch.code_language) ? batch.code_language[i] : undefined;
  if (typeof col === "string" && (CODE_LANGUAGES as readonly string[]).includes(col)) return col as CodeLanguage;
  return fence ?? "python";
}

/**
 * Code-execution reward (DeepSeek-R1 §2.2.2):
 *   r_i = #(tests passed) / #(tests)
 * A stdin/stdout test passes when the program exits 0 and its normalized stdout equals the expected output; an
 * assert test when solution + test code exits 0 and prints the harness nonce (see above). A timeout, crash,
 * resource-limit kill or output flood fails the test. No code block → 0. No/malformed `tests` column → null;
 * a sandbox that could not be spawned (infrastructure) → null.
 *
 * Resolves only after `assertSandbox` has proved the isolation on this machine.
 * @throws ConfigError (rejects) when the options are invalid or the sandbox does not isolate. The returned
 * RewardFn never throws.
 */
export async function createCodeReward(opts: CodeRewardOptions = {}): Promise<RewardFn> {
  const score = scoreCode(opts);
  const cfg = resolveSandboxConfig(opts.sandbox);
  await assertSandbox(cfg, opts.language ? [opts.language] : CODE_LANGUAGES);
  return score;
}

/** The scoring RewardFn without the isolation check (used after `assertSandbox`). @throws ConfigError on bad options. */
function scoreCode(opts: CodeRewardOptions): RewardFn {
  const { language, stopOnTimeout = true, concurrency = 2 } = opts;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new ConfigError(`codeReward: concurrency must be an integer ≥ 1 (got ${concurrency})`);
  if (language !== undefined && !CODE_LANGUAGES.includes(language))
    throw new ConfigError(`codeReward: language must be one of ${CODE_LANGUAGES.join(", ")} (got ${String(language)})`);
  const cfg = resolveSandboxConfig(opts.sandbox);
  return async (batch: RewardBatch) => {
    const jobs = batch.completions.map((c, i) => async (): Promise<number | null> => {
      try {
        const tests = parseTests(Array.isArray(batch.tests) ? batch.tests[i] : undefined);
        if (tests === null) return null;
        const found = typeof c === "string" ? extractCode(c) : null;
        if (found === null || found.code.length > MAX_CODE_CHARS) return 0;
        const lang = rowLanguage(batch, i, language, found.fence);
        let passed = 0;
        for (const t of tests) {
          const r = await runTest(cfg, lang, found.code, t);
          if (r.infra) return null;
          if (r.pass) passed++;
          if (r.timeout && stopOnTimeout) break;
        }
        return passed / tests.length;
      } catch {
        return null;
      }
    });
    return pool(jobs, concurrency);
  };
}
