import { mkdtemp, rm, writeFile, chmod, readdir, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConfigError } from "../../../src/core/errors.js";
import { createCodeReward } from "../../../src/reward/code/reward.js";
import { assertSandbox, DEFAULT_SANDBOX, resolveSandboxConfig, runInSandbox } from "../../../src/reward/code/sandbox.js";
import type { RewardBatch, RewardFn } from "../../../src/reward/types.js";
import { describeNeeding, SANDBOX } from "../../helpers/requirements.js";

/** Without bubblewrap only the refusal tests run (a counted skip; an error under THINKRL_REQUIRE_SANDBOX=1, as in CI). */
const hasSandbox = SANDBOX.available;

// Tight limits so that every hostile program is stopped within a few seconds.
const sandbox = { wallTimeMs: 2000, cpuSeconds: 2, maxOutputBytes: 64 * 1024 };
const cfg = resolveSandboxConfig(sandbox);
const ctx = { step: 0, groupSize: 1, maxCompletionLength: 1024 };
/** A completion holding one fenced program. */
const fenced = (lang: string, code: string): string => `<think>ok</think><answer>\n\`\`\`${lang}\n${code}\n\`\`\`\n</answer>`;
const batchOf = (completion: string, tests: unknown): RewardBatch => ({
  prompts: [""],
  completions: [completion],
  completionIds: [[]],
  tests: [tests],
});

/** Pids of live (non-zombie) processes owned by the sandbox uid. */
async function sandboxProcesses(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = await readFile(`/proc/${name}/status`, "utf8");
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      const state = /^State:\s+(\w)/m.exec(status)?.[1];
      if (uid === String(cfg.uid) && state !== "Z") pids.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

let reward: RewardFn;
let secretDir: string;
let secretFile: string;
let server: Server;
let port: number;
const SECRET = "thinkrl-secret-7f3a";

beforeAll(async () => {
  if (!hasSandbox) return;
  // Isolation first: refuses to proceed unless non-root uid, no network, no outside files, limits in force.
  reward = await createCodeReward({ sandbox });
  secretDir = await mkdtemp(path.join(tmpdir(), "thinkrl-secret-"));
  await chmod(secretDir, 0o700);
  secretFile = path.join(secretDir, "secret.txt");
  await writeFile(secretFile, SECRET, { mode: 0o600 });
  server = createServer((_, res) => res.end(SECRET));
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server?.close();
  if (secretDir) await rm(secretDir, { recursive: true, force: true });
});

describe("sandbox refusals (no bubblewrap needed)", () => {
  test("a sandbox running as uid 0 is refused with a ConfigError", async () => {
    await expect(assertSandbox({ ...DEFAULT_SANDBOX, uid: 0, gid: 0 })).rejects.toThrow(ConfigError);
    expect(() => resolveSandboxConfig({ uid: 0 })).toThrow(/uid must be a positive integer/);
  });

  test("a missing bwrap is refused with a ConfigError that says how to install it", async () => {
    const err = await assertSandbox({ ...DEFAULT_SANDBOX, bwrap: "/nonexistent/bwrap" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).hint).toMatch(/apt-get install -y bubblewrap/);
  });
});

describeNeeding(SANDBOX, "sandbox isolation", () => {
  test("assertSandbox reports a non-root uid, no network, no outside files, RLIMIT_NPROC in force", async () => {
    const reports = await assertSandbox(cfg);
    expect(reports.map((r) => r.language)).toEqual(["python", "javascript"]);
    for (const r of reports) {
      expect(r.uid).not.toBe(0);
      expect(r.markerReadable).toBe(false);
      expect(r.networkReachable).toBe(false);
      expect(r.maxProcesses).toBe(String(cfg.maxProcesses));
    }
  });

  test("the environment of the host does not leak in", async () => {
    const r = await runInSandbox(cfg, { language: "python", files: { "e.py": "import os; print(sorted(os.environ))" }, main: "e.py" });
    expect(r.stdout.trim()).toBe("['HOME', 'LANG', 'PATH', 'PWD', 'PYTHONHASHSEED']"); // PWD: set by bwrap --chdir
  });
});

describeNeeding(SANDBOX, "code reward: controls", () => {
  test("a correct stdin/stdout program scores 1 and a half-correct one 0.5", async () => {
    const tests = [
      { input: "2\n", output: "4\n" },
      { input: "21", output: "42" },
    ];
    expect(await reward(batchOf(fenced("python", "print(int(input()) * 2)"), tests), ctx)).toEqual([1]);
    expect(await reward(batchOf(fenced("python", "n = int(input())\nprint(4 if n == 2 else 0)"), tests), ctx)).toEqual([0.5]);
  });

  test("assert tests in JavaScript pass, and exiting before the asserts scores 0", async () => {
    const tests = ["if (f(2) !== 4) throw new Error('f(2)')", "if (f(5) !== 10) throw new Error('f(5)')"];
    expect(await reward(batchOf(fenced("javascript", "function f(x) { return 2 * x; }"), tests), ctx)).toEqual([1]);
    expect(await reward(batchOf(fenced("javascript", "function f(x) { return 0; }\nprocess.exit(0);"), tests), ctx)).toEqual([0]);
    expect(await reward(batchOf(fenced("python", "def f(x): return 0\nimport sys; sys.exit(0)"), ["assert f(2) == 4"]), ctx)).toEqual([0]);
  });
});

describeNeeding(SANDBOX, "code reward: hostile programs are contained and score 0", () => {
  const expectFastZero = async (completion: string, tests: unknown, maxMs = 5000): Promise<void> => {
    const t0 = Date.now();
    expect(await reward(batchOf(completion, tests), ctx)).toEqual([0]);
    expect(Date.now() - t0).toBeLessThan(maxMs);
  };

  test("an infinite loop is killed at the wall-time limit", async () => {
    await expectFastZero(fenced("python", "while True:\n    pass"), [{ input: "", output: "done" }]);
    await expectFastZero(fenced("js", "for (;;) {}"), [{ input: "", output: "done" }]);
  });

  test("a fork bomb is stopped by RLIMIT_NPROC and leaves no process behind", async () => {
    const bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass";
    await expectFastZero(fenced("python", bomb), [{ input: "", output: "done" }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await sandboxProcesses()).toEqual([]);
  });

  test("files outside the temp dir (a 0600 secret) cannot be read", async () => {
    const code = `for p in [${JSON.stringify(secretFile)}, "/etc/hostname", "/root", "/work"]:\n    try:\n        print(open(p).read())\n    except Exception as e:\n        print(type(e).__name__)`;
    await expectFastZero(fenced("python", code), [{ input: "", output: SECRET }]);
    const r = await runInSandbox(cfg, { language: "python", files: { "r.py": code }, main: "r.py" });
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout.trim().split("\n")).toEqual(["FileNotFoundError", "FileNotFoundError", "FileNotFoundError", "FileNotFoundError"]);
  });

  test("the network is unreachable (an HTTP server on the host's 127.0.0.1)", async () => {
    const py = `import urllib.request\nprint(urllib.request.urlopen("http://127.0.0.1:${port}/", timeout=2).read().decode())`;
    await expectFastZero(fenced("python", py), [{ input: "", output: SECRET }]);
    const js = `require("http").get("http://127.0.0.1:${port}/", (res) => res.pipe(process.stdout)).on("error", (e) => console.log(e.code));`;
    await expectFastZero(fenced("js", js), [{ input: "", output: SECRET }]);
    const r = await runInSandbox(cfg, { language: "javascript", files: { "n.js": js }, main: "n.js" });
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout.trim()).toMatch(/^E[A-Z]+$/); // ECONNREFUSED / ENETUNREACH
  });

  test("huge output is cut at the output cap", async () => {
    await expectFastZero(fenced("python", "while True:\n    print('x' * 65536)"), [{ input: "", output: "x" }]);
    const r = await runInSandbox(cfg, { language: "python", files: { "o.py": "while True:\n    print('x' * 65536)" }, main: "o.py" });
    expect(r.status).toBe("output_limit");
    expect(r.stdout.length).toBeLessThanOrEqual(cfg.maxOutputBytes + 65537);
  });

  test("a memory bomb and a disk bomb hit RLIMIT_AS and RLIMIT_FSIZE", async () => {
    await expectFastZero(fenced("python", "x = bytearray(8 * 1024**3)\nprint('allocated')"), [{ input: "", output: "allocated" }]);
    const disk = "f = open('big', 'wb')\nwhile True:\n    f.write(b'0' * 1048576)";
    const r = await runInSandbox(cfg, { language: "python", files: { "d.py": disk }, main: "d.py" });
    expect(r.status).toBe("exited");
    expect(r.exitCode).not.toBe(0);
  });
});
