/**
 * The layering of `docs/architecture.md`, enforced: which folder of `src/` may import which (`LAYERS`), and in
 * particular that the library never imports the CLI: `src/cli/` parses flags, registers commands and prints, and calls library
 * functions; nothing outside `src/cli/` may import a module inside it (statically, dynamically or by re-export).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT } from "./helpers/cli.js";

/** Every module specifier in TypeScript source: `import … from "x"`, `import "x"`, `export … from "x"`, `import("x")`. */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const re of [/\b(?:import|export)\s[^;"'`]*?\bfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g]) {
    for (const m of code.matchAll(re)) out.push(m[1]!);
  }
  return out;
}

/**
 * `file → specifier` for each relative import that lands in `src/cli/` from a file outside it.
 * @param files paths relative to the repository root (`src/…`) with their text
 */
export function cliImportViolations(files: readonly { path: string; text: string }[]): string[] {
  const cli = join("src", "cli") + sep;
  const bad: string[] = [];
  for (const f of files) {
    if (f.path.startsWith(cli)) continue;
    for (const spec of importSpecifiers(f.text)) {
      if (!spec.startsWith(".")) continue;
      const target = relative(".", join(dirname(f.path), spec));
      if (target.startsWith(cli) || target === join("src", "cli")) bad.push(`${f.path} → ${spec}`);
    }
  }
  return bad;
}

function sourceFiles(dir: string): { path: string; text: string }[] {
  return readdirSync(resolve(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|js)$/.test(e.name) ? [{ path: p, text: readFileSync(resolve(ROOT, p), "utf8") }] : [];
  });
}

describe("the library never imports the CLI", () => {
  test("the scanner finds static, dynamic, side-effect and re-export imports of src/cli/", () => {
    const files = [
      { path: join("src", "pipeline", "a.ts"), text: 'import { x } from "../cli/commands/eval.js";\nconst y = 1;' },
      { path: join("src", "pipeline", "b.ts"), text: 'async function f() {\n  const { runEval } = await import("../cli/commands/eval.js");\n}' },
      { path: join("src", "eval", "c.ts"), text: 'import type {\n  Foo,\n} from "../cli/device.js";' },
      { path: join("src", "d.ts"), text: 'export { main } from "./cli/main.js";\nimport "./cli/progress.js";' },
      // Allowed: the CLI importing itself and the library, comments, look-alike names, packages.
      { path: join("src", "cli", "main.ts"), text: 'import { a } from "./commands/eval.js";\nimport { b } from "../eval/evaluate.js";' },
      { path: join("src", "eval", "e.ts"), text: '// import { x } from "../cli/main.js";\n/* import("../cli/x.js") */\nimport { c } from "../client/x.js";\nimport { Command } from "commander";' },
    ];
    expect(cliImportViolations(files)).toEqual([
      `${join("src", "pipeline", "a.ts")} → ../cli/commands/eval.js`,
      `${join("src", "pipeline", "b.ts")} → ../cli/commands/eval.js`,
      `${join("src", "eval", "c.ts")} → ../cli/device.js`,
      `${join("src", "d.ts")} → ./cli/main.js`,
      `${join("src", "d.ts")} → ./cli/progress.js`,
    ]);
  });

  test("no module outside src/cli/ imports src/cli/", () => {
    const files = sourceFiles("src");
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.path.startsWith(join("src", "cli") + sep))).toBe(true);
    expect(cliImportViolations(files)).toEqual([]);
  });
});

/**
 * The folders each folder of `src/` may import (besides itself), as `docs/architecture.md` states them. The entry
 * files (`src/index.ts`, `src/browser.ts`) and `src/cli/` may import anything.
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  core: [],
  engine: ["core"],
  data: ["core"],
  rl: ["core"],
  model: ["core", "engine"],
  rollout: ["core", "data", "engine", "model"],
  reward: ["core", "data", "rollout"],
  eval: ["core", "data", "model", "reward", "rollout"],
  train: ["core", "data", "model", "reward", "rl", "rollout"],
  adapt: ["core", "data", "engine", "model"],
  pipeline: ["adapt", "core", "data", "engine", "eval", "model", "reward", "rollout", "train"],
  dashboard: ["core"],
  // The in-tab trainer: its session is library code; its page imports the browser entry itself (`browser.js`).
  web: ["core", "dashboard", "data", "model", "reward", "rollout", "train", "browser.js"],
};

/** `file → target folder` for each relative import from one `src/` folder into a folder `LAYERS` does not allow. */
export function layerViolations(files: readonly { path: string; text: string }[]): string[] {
  const bad: string[] = [];
  for (const f of files) {
    const parts = f.path.split(sep);
    if (parts[0] !== "src" || parts.length < 3) continue; // entry files at src/ top level
    const from = parts[1]!;
    const allowed = LAYERS[from];
    if (allowed === undefined) continue; // cli
    for (const spec of importSpecifiers(f.text)) {
      if (!spec.startsWith(".")) continue;
      const to = relative("src", join(dirname(f.path), spec)).split(sep)[0]!;
      if (to !== from && !allowed.includes(to)) bad.push(`${f.path} → ${to}/ (${spec})`);
    }
  }
  return bad;
}

describe("folders import only the layers below them (docs/architecture.md)", () => {
  test("the check finds an import of a higher layer", () => {
    const files = [
      { path: join("src", "model", "x.ts"), text: 'import { a } from "../train/loop.js";\nimport { b } from "../core/errors.js";\nimport { c } from "./llama.js";' },
      { path: join("src", "rl", "y.ts"), text: 'export { d } from "../model/llama.js";' },
    ];
    expect(layerViolations(files)).toEqual([`${join("src", "model", "x.ts")} → train/ (../train/loop.js)`, `${join("src", "rl", "y.ts")} → model/ (../model/llama.js)`]);
  });

  test("every folder of src/ is in the table, and src/ keeps to it", () => {
    const files = sourceFiles("src");
    const folders = new Set(files.map((f) => f.path.split(sep)).filter((p) => p.length > 2).map((p) => p[1]!));
    expect([...folders].filter((d) => d !== "cli" && !(d in LAYERS))).toEqual([]);
    expect(layerViolations(files)).toEqual([]);
  });
});
