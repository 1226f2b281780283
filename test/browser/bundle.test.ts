/**
 * The browser entry (`src/browser.ts`, published as `thinkrl/browser`) bundles for the browser with nothing left
 * out (every dependency bundled, nothing external) and no Node built-in reaching the bundle, statically or
 * transitively: an esbuild plugin records every import of a `node:` module or a bare built-in name (`fs`, `path`,
 * `worker_threads`, …) with the module that imports it. The second group shows the check catches such imports.
 */
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type BuildOptions, type Plugin } from "esbuild";
import { describe, expect, test } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const SRC = join(ROOT, "src");

const BUILTIN = new RegExp(`^(node:|(${builtinModules.map((m) => m.replace(/[/]/g, "\\/")).join("|")})(/|$))`);

/** The Node-only modules of the browser-safe folders: file-system I/O, subprocesses, worker threads. */
const NODE_ONLY = [
  "model/checkpoint.ts",
  "model/load.ts",
  "reward/code/reward.ts",
  "reward/code/sandbox.ts",
  "reward/judge.ts",
  "reward/math/worker.ts",
  "reward/math/worker-checker.ts",
  "train/dpo.ts",
  "train/run-dir.ts",
  "train/sft.ts",
  "train/state.ts",
];

/** Bundles for the browser; returns the Node built-in imports found (`importer → module`) and the bundle text. */
async function bundle(entry: Pick<BuildOptions, "entryPoints" | "stdin">): Promise<{ nodeImports: string[]; code: string }> {
  const nodeImports: string[] = [];
  const recorder: Plugin = {
    name: "record-node-builtins",
    setup(b) {
      b.onResolve({ filter: BUILTIN }, (args) => {
        nodeImports.push(`${args.importer === "<stdin>" ? "<stdin>" : relative(ROOT, args.importer)} → ${args.path}`);
        return { path: args.path, external: true }; // keep going: report every one, not just the first
      });
    },
  };
  const r = await build({ ...entry, bundle: true, write: false, outdir: "out", platform: "browser", format: "esm", target: "es2022", logLevel: "silent", plugins: [recorder] });
  expect(r.errors).toEqual([]);
  return { nodeImports, code: r.outputFiles![0]!.text };
}

describe("src/browser.ts", () => {
  let code = "";

  test("bundles for the browser with no Node built-in import (importer → module)", async () => {
    const r = await bundle({ entryPoints: [join(SRC, "browser.ts")] });
    code = r.code;
    expect(r.nodeImports.join("\n")).toBe("");
    expect(code).not.toMatch(/(from|import\(|require\()\s*["']node:/);
  });

  test("the bundle runs: rewards resolve and score, the Node-only ones stay out of it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "thinkrl-browser-"));
    try {
      const file = join(dir, "thinkrl-browser.mjs");
      await writeFile(file, code);
      const m = (await import(pathToFileURL(file).href)) as typeof import("../../src/browser.js");
      const rewards = m.resolveRewards(["accuracy", "format"], [1, 0.1]);
      const batch = { prompts: ["47+85"], completions: ["<think>7+5=12</think><answer>132</answer>"], completionIds: [[1, 2]], task: ["arithmetic"], target: [132] };
      const combined = await m.combineRewards(rewards, batch, { step: 0, groupSize: 1, maxCompletionLength: 64 });
      expect(combined.total).toEqual([1.1]);
      // The sandbox module is not in the bundle: its lazy import has nothing to load next to the bundle file.
      await expect(m.getReward("code")(batch, { step: 0, groupSize: 1, maxCompletionLength: 64 })).rejects.toThrow(/code\/reward\.js/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test("every other module of core/, model/, rollout/, rl/, reward/, train/ and engine/ is browser-safe on its own", async () => {
  const files: string[] = [];
  for (const dir of ["core", "model", "rollout", "rl", "reward", "train", "engine"]) {
    for (const f of await readdir(join(SRC, dir), { recursive: true })) if (f.endsWith(".ts")) files.push(`${dir}/${f}`);
  }
  for (const f of NODE_ONLY) expect(files, `${f} is listed as Node-only but does not exist`).toContain(f);
  const engineNode = ["engine/init.ts", "engine/setup.ts", "engine/worker-shim.ts"]; // Node start-up (the CLI, the Node entry)
  const entries = files.filter((f) => !NODE_ONLY.includes(f) && !engineNode.includes(f));
  expect(entries.length).toBeGreaterThan(40);
  const r = await bundle({ entryPoints: entries.map((f) => join(SRC, f)) });
  expect(r.nodeImports.join("\n")).toBe("");
});

describe("the check catches Node built-ins", () => {
  test("a direct node: import and a bare built-in name", async () => {
    const r = await bundle({ stdin: { contents: 'import { readFileSync } from "node:fs";\nimport { join } from "path";\nexport const f = [readFileSync, join];', resolveDir: SRC, loader: "ts" } });
    expect(r.nodeImports).toEqual(["<stdin> → node:fs", "<stdin> → path"]);
  });

  test("a transitive import, reported with the module that imports it", async () => {
    const r = await bundle({ stdin: { contents: 'export { loadModelFiles } from "./model/load.js";', resolveDir: SRC, loader: "ts" } });
    expect(r.nodeImports).toContain("src/model/load.ts → node:fs");
    expect(r.nodeImports).toContain("src/model/checkpoint.ts → node:fs/promises");
  });
});
