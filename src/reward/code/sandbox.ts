/**
 * Sandbox for running model-written programs (DeepSeek-R1 §2.2.2: code rewards compile the program and run
 * test cases). Model output is hostile, so every run stacks these layers:
 *
 *   setpriv   --reuid/--regid (default nobody, 65534) --clear-groups, no capabilities, no_new_privs
 *   bwrap     --unshare-all (user, pid, net, ipc, uts, cgroup namespaces) --disable-userns --cap-drop ALL
 *             --die-with-parent --new-session; a fresh root holding only read-only binds of `readOnlyPaths`
 *             (/usr and its merged-usr links: no /etc, /home, /root, /work, /var), a size-capped tmpfs as /tmp
 *             (the working dir), a private /proc and a minimal /dev; the program's files read-only in /tmp/src
 *   prlimit   --nproc --as --cpu --fsize --nofile --core=0
 *   host      wall-time limit (SIGKILL to the process group; pid-namespace teardown kills every descendant),
 *             output cap (killed when stdout+stderr exceed it), empty environment
 *
 * Root is not a sandbox (RLIMIT_NPROC does not bind root), so `assertSandbox` proves the isolation works on
 * this machine before any reward is computed. Requires Linux, Debian's `bubblewrap` package
 * (`apt-get install -y bubblewrap`) and unprivileged user namespaces for the sandbox uid.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError } from "../../core/errors.js";
import { CODE_LANGUAGES, type CodeLanguage } from "./tests.js";

export { CODE_LANGUAGES, type CodeLanguage } from "./tests.js";

export interface SandboxConfig {
  /** Absolute paths of the tools. Defaults: Debian's /usr/bin/{bwrap,setpriv,prlimit}. */
  bwrap: string;
  setpriv: string;
  prlimit: string;
  /** Interpreter per language; must live under `readOnlyPaths`. Defaults: /usr/bin/python3, /usr/bin/node. */
  interpreters: Readonly<Record<CodeLanguage, string>>;
  /** Uid/gid the program runs as when the host process is root. Default 65534 (nobody/nogroup). */
  uid: number;
  gid: number;
  /** Host paths visible (read-only) inside the sandbox. Default /usr, /bin, /sbin, /lib, /lib64 (symlinks kept). */
  readOnlyPaths: readonly string[];
  /** Wall-clock limit per run, ms. Default 5000. */
  wallTimeMs: number;
  /** RLIMIT_CPU, seconds. Default 4. */
  cpuSeconds: number;
  /** RLIMIT_AS (address space), bytes. Default 1 GiB (enough for CPython and Node). */
  memoryBytes: number;
  /** RLIMIT_NPROC (processes + threads of the sandbox uid). Default 32 (Node starts ~11 threads). */
  maxProcesses: number;
  /** RLIMIT_FSIZE, bytes per written file. Default 16 MiB. */
  maxFileBytes: number;
  /** Size of the /tmp tmpfs (all files written together), bytes. Default 64 MiB. */
  tmpBytes: number;
  /** stdout + stderr captured per run before the run is killed, bytes. Default 1 MiB. */
  maxOutputBytes: number;
}

export const DEFAULT_SANDBOX: Readonly<SandboxConfig> = Object.freeze({
  bwrap: "/usr/bin/bwrap",
  setpriv: "/usr/bin/setpriv",
  prlimit: "/usr/bin/prlimit",
  interpreters: Object.freeze({ python: "/usr/bin/python3", javascript: "/usr/bin/node" }),
  uid: 65534,
  gid: 65534,
  readOnlyPaths: Object.freeze(["/usr", "/bin", "/sbin", "/lib", "/lib64"]),
  wallTimeMs: 5000,
  cpuSeconds: 4,
  memoryBytes: 1024 ** 3,
  maxProcesses: 32,
  maxFileBytes: 16 * 1024 ** 2,
  tmpBytes: 64 * 1024 ** 2,
  maxOutputBytes: 1024 ** 2,
});

/** Defaults filled in and every field checked. @throws ConfigError quoting the offending value. */
export function resolveSandboxConfig(partial: Partial<SandboxConfig> = {}): Readonly<SandboxConfig> {
  const c: SandboxConfig = {
    ...DEFAULT_SANDBOX,
    ...partial,
    interpreters: { ...DEFAULT_SANDBOX.interpreters, ...partial.interpreters },
  };
  const posInt = ["uid", "gid", "wallTimeMs", "cpuSeconds", "memoryBytes", "maxProcesses", "maxFileBytes", "tmpBytes", "maxOutputBytes"] as const;
  for (const k of posInt)
    if (!Number.isSafeInteger(c[k]) || c[k] < 1)
      throw new ConfigError(`sandbox: ${k} must be a positive integer (got ${c[k]})`, {
        hint: k === "uid" || k === "gid" ? "uid/gid 0 is root, which is not a sandbox" : undefined,
      });
  for (const k of ["bwrap", "setpriv", "prlimit"] as const)
    if (!path.isAbsolute(c[k])) throw new ConfigError(`sandbox: ${k} must be an absolute path (got '${c[k]}')`);
  for (const lang of CODE_LANGUAGES)
    if (!path.isAbsolute(c.interpreters[lang]))
      throw new ConfigError(`sandbox: interpreter for ${lang} must be an absolute path (got '${c.interpreters[lang]}')`);
  for (const p of c.readOnlyPaths)
    if (!path.isAbsolute(p) || p === "/" || p.startsWith("/tmp"))
      throw new ConfigError(`sandbox: readOnlyPaths entries must be absolute, not / and not under /tmp (got '${p}')`);
  return Object.freeze(c);
}

/** How a run ended. `spawn_error`: the sandbox could not be started (infrastructure, not the program). */
export type RunStatus = "exited" | "timeout" | "output_limit" | "spawn_error";

export interface RunResult {
  status: RunStatus;
  /** Exit code when status is `exited` (bwrap passes the program's code through; killed by a signal → 128+n or null). */
  exitCode: number | null;
  stdout: string;
  /** First 4 KiB of stderr (diagnostics). */
  stderr: string;
  wallMs: number;
}

export interface RunRequest {
  language: CodeLanguage;
  /** Files written read-only into /tmp/src (name → content); names are plain file names. */
  files: Readonly<Record<string, string>>;
  /** File of `files` to run. */
  main: string;
  /** Sent on stdin, then stdin is closed. */
  stdin?: string;
}

/** Working directory of the program inside the sandbox (tmpfs) and where its files are. */
export const SANDBOX_TMP = "/tmp";
export const SANDBOX_SRC = "/tmp/src";
const STDERR_KEEP = 4096;
/** Grace after SIGKILL for the pipes to close before the run is given up on. */
const KILL_GRACE_MS = 2000;

function roBindArgs(paths: readonly string[]): string[] {
  const args: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue; // absent on this system (e.g. /lib64 on some arches)
    }
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(p), p);
    else args.push("--ro-bind", p, p);
  }
  return args;
}

/** argv (program first) that runs `interpreter args…` inside the sandbox, with `hostSrc` visible at /tmp/src. */
export function sandboxArgv(cfg: Readonly<SandboxConfig>, hostSrc: string, command: readonly string[]): string[] {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const drop = isRoot
    ? [cfg.setpriv, `--reuid=${cfg.uid}`, `--regid=${cfg.gid}`, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    : [cfg.setpriv, "--no-new-privs"]; // already unprivileged: keep the uid (assertSandbox checks it is not 0)
  return [
    ...drop,
    cfg.bwrap,
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--cap-drop", "ALL",
    "--die-with-parent",
    "--new-session",
    ...roBindArgs(cfg.readOnlyPaths),
    "--size", String(cfg.tmpBytes),
    "--tmpfs", SANDBOX_TMP,
    "--proc", "/proc",
    "--dev", "/dev",
    "--ro-bind", hostSrc, SANDBOX_SRC,
    "--chdir", SANDBOX_TMP,
    "--",
    cfg.prlimit,
    `--nproc=${cfg.maxProcesses}`,
    `--as=${cfg.memoryBytes}`,
    `--cpu=${cfg.cpuSeconds}`,
    `--fsize=${cfg.maxFileBytes}`,
    "--nofile=256", // plenty for a test program; bounds descriptor exhaustion
    "--core=0",
    ...command,
  ];
}

function interpreterArgs(cfg: Readonly<SandboxConfig>, language: CodeLanguage, file: string): string[] {
  const f = `${SANDBOX_SRC}/${file}`;
  // python -I: ignore PYTHON* env and user site; -B: no .pyc writes (src is read-only anyway)
  return language === "python" ? [cfg.interpreters.python, "-I", "-B", f] : [cfg.interpreters.javascript, f];
}

/** Environment of the sandboxed program: nothing of the host's (tokens, proxies) leaks in. */
const SANDBOX_ENV = Object.freeze({ PATH: "/usr/bin:/bin", HOME: SANDBOX_TMP, LANG: "C.UTF-8", PYTHONHASHSEED: "0" });

/**
 * Run one program in the sandbox. Never throws: an infrastructure failure (temp dir, spawn) is
 * `status: "spawn_error"`. The temp dir is removed afterwards.
 */
export async function runInSandbox(cfg: Readonly<SandboxConfig>, req: RunRequest): Promise<RunResult> {
  const t0 = Date.now();
  let dir: string | undefined;
  try {
    dir = await mkdtemp(path.join(tmpdir(), "thinkrl-code-"));
    await chmod(dir, 0o755); // the sandbox uid must be able to read the bind source
    for (const [name, content] of Object.entries(req.files)) {
      if (!/^[\w.-]+$/.test(name)) throw new Error(`bad file name ${name}`);
      await writeFile(path.join(dir, name), content, { mode: 0o644 });
    }
    const argv = sandboxArgv(cfg, dir, interpreterArgs(cfg, req.language, req.main));
    return await spawnCapped(argv, req.stdin ?? "", cfg.wallTimeMs, cfg.maxOutputBytes, t0);
  } catch (e) {
    return { status: "spawn_error", exitCode: null, stdout: "", stderr: e instanceof Error ? e.message : String(e), wallMs: Date.now() - t0 };
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function spawnCapped(argv: string[], stdin: string, wallMs: number, maxOutput: number, t0: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ["pipe", "pipe", "pipe"], env: { ...SANDBOX_ENV } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let status: RunStatus = "exited";
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const kill = (why: RunStatus): void => {
      if (status === "exited") status = why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL"); // whole group; pid-ns teardown does the rest
      } catch {
        /* already gone */
      }
      graceTimer ??= setTimeout(() => finish(null), KILL_GRACE_MS);
    };
    const wallTimer = setTimeout(() => kill("timeout"), wallMs);
    const finish = (code: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(wallTimer);
      if (graceTimer) clearTimeout(graceTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({
        status,
        exitCode: status === "exited" ? code : null,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8").slice(0, STDERR_KEEP),
        wallMs: Date.now() - t0,
      });
    };
    const onData = (chunk: Buffer, into: Buffer[], isErr: boolean): void => {
      if (isErr) errBytes += chunk.length;
      else outBytes += chunk.length;
      if (outBytes + errBytes > maxOutput) return kill("output_limit");
      if (!isErr || errBytes <= STDERR_KEEP) into.push(chunk);
    };
    child.stdout!.on("data", (c: Buffer) => onData(c, out, false));
    child.stderr!.on("data", (c: Buffer) => onData(c, err, true));
    child.stdin!.on("error", () => undefined); // EPIPE when the program exits without reading
    child.on("error", (e) => {
      status = "spawn_error";
      err.push(Buffer.from(String(e.message)));
      finish(null);
    });
    child.on("close", (code) => finish(code));
    child.stdin!.end(stdin);
  });
}

const PROBE_PY = `import json, os, socket, sys
port = int(open("${SANDBOX_SRC}/port").read())
marker = open("${SANDBOX_SRC}/marker_path").read()
r = {"uid": os.getuid(), "euid": os.geteuid()}
try:
    open(marker).read(); r["marker"] = True
except Exception:
    r["marker"] = False
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=1); s.close(); r["net"] = True
except Exception:
    r["net"] = False
lim = open("/proc/self/limits").read()
r["nproc"] = [l.split()[2] for l in lim.splitlines() if l.startswith("Max processes")][0]
print(json.dumps(r))
`;

const PROBE_JS = `const fs = require("fs"), net = require("net");
const port = Number(fs.readFileSync("${SANDBOX_SRC}/port", "utf8"));
const marker = fs.readFileSync("${SANDBOX_SRC}/marker_path", "utf8");
const r = { uid: process.getuid(), euid: process.geteuid() };
try { fs.readFileSync(marker); r.marker = true; } catch { r.marker = false; }
const lim = fs.readFileSync("/proc/self/limits", "utf8").split("\\n").find((l) => l.startsWith("Max processes"));
r.nproc = lim.split(/\\s+/)[2];
const s = net.connect({ host: "127.0.0.1", port, timeout: 1000 });
const done = (ok) => { r.net = ok; s.destroy(); console.log(JSON.stringify(r)); };
s.on("connect", () => done(true)); s.on("error", () => done(false)); s.on("timeout", () => done(false));
`;

export interface SandboxReport {
  language: CodeLanguage;
  uid: number;
  markerReadable: boolean;
  networkReachable: boolean;
  maxProcesses: string;
}

/**
 * Prove, on this machine, that the sandbox isolates: for each language in `languages` a probe program runs in
 * the sandbox and must (1) run as a non-root uid, (2) fail to read a world-readable marker file written outside
 * its directory, (3) fail to connect to an HTTP server listening on the host's 127.0.0.1, and (4) see the
 * configured RLIMIT_NPROC. Takes ~0.1–0.5 s.
 * @throws ConfigError naming the failed check, with a hint (install bubblewrap, enable user namespaces).
 */
export async function assertSandbox(
  cfg: Readonly<SandboxConfig> = DEFAULT_SANDBOX,
  languages: readonly CodeLanguage[] = CODE_LANGUAGES,
): Promise<SandboxReport[]> {
  if (process.platform !== "linux") throw new ConfigError(`code sandbox: needs Linux namespaces (platform is ${process.platform})`);
  for (const k of ["bwrap", "setpriv", "prlimit"] as const)
    if (!existsSync(cfg[k]))
      throw new ConfigError(`code sandbox: ${k} not found at ${cfg[k]}`, {
        hint: k === "bwrap" ? "apt-get install -y bubblewrap" : "apt-get install -y util-linux",
      });
  for (const lang of languages)
    if (!existsSync(cfg.interpreters[lang]))
      throw new ConfigError(`code sandbox: ${lang} interpreter not found at ${cfg.interpreters[lang]}`);
  const markerDir = await mkdtemp(path.join(tmpdir(), "thinkrl-marker-"));
  let server: Server | undefined;
  try {
    await chmod(markerDir, 0o755);
    const marker = path.join(markerDir, "marker");
    await writeFile(marker, "outside", { mode: 0o644 }); // world-readable: only the filesystem view hides it
    server = createServer((_, res) => res.end("reached"));
    await new Promise<void>((ok, fail) => {
      server!.once("error", fail);
      server!.listen(0, "127.0.0.1", ok);
    });
    const port = (server.address() as AddressInfo).port;
    const reports: SandboxReport[] = [];
    for (const language of languages) {
      const main = language === "python" ? "probe.py" : "probe.js";
      const res = await runInSandbox(cfg, {
        language,
        files: { [main]: language === "python" ? PROBE_PY : PROBE_JS, port: String(port), marker_path: marker },
        main,
      });
      let r: { uid?: unknown; euid?: unknown; marker?: unknown; net?: unknown; nproc?: unknown } | undefined;
      try {
        r = JSON.parse(res.stdout.trim().split("\n").pop() ?? "");
      } catch {
        r = undefined;
      }
      if (res.status !== "exited" || res.exitCode !== 0 || r === undefined)
        throw new ConfigError(`code sandbox: the ${language} probe did not run (${res.status}, exit ${res.exitCode}): ${res.stderr.trim().slice(0, 300)}`, {
          hint: "bwrap needs unprivileged user namespaces (sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1)",
        });
      if (r.uid === 0 || r.euid === 0 || typeof r.uid !== "number")
        throw new ConfigError(`code sandbox: the child runs as uid ${String(r.uid)}; root is not a sandbox`, {
          hint: "run the trainer as root (setpriv drops to the sandbox uid) or as an unprivileged user",
        });
      if (r.marker !== false) throw new ConfigError(`code sandbox: the child can read ${marker}, a file outside its directory`);
      if (r.net !== false) throw new ConfigError(`code sandbox: the child reached 127.0.0.1:${port}; the network is not isolated`);
      if (r.nproc !== String(cfg.maxProcesses))
        throw new ConfigError(`code sandbox: RLIMIT_NPROC is ${String(r.nproc)} in the child, expected ${cfg.maxProcesses}`);
      reports.push({ language, uid: r.uid, markerReadable: false, networkReachable: false, maxProcesses: r.nproc });
    }
    return reports;
  } finally {
    server?.close();
    await rm(markerDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
