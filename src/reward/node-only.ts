/**
 * Lazy loading of the Node-only reward modules (code sandbox, endpoint judge, the maths verifier's worker thread),
 * so that the reward registry and everything a browser bundle imports pull in no `node:` module.
 *
 * The module specifier reaches `import()` as a runtime value, not a literal, so bundlers (esbuild, Vite, webpack)
 * leave it alone instead of bundling the Node module and its `node:` imports; on Node it resolves relative to this
 * file (`src/reward/` or `dist/src/reward/`) like any relative import.
 */
import { ConfigError } from "../core/errors.js";

/** True on Node.js (also Bun and Deno, which implement the Node APIs these modules use). */
export function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string";
}

/**
 * Imports a Node-only module of `src/reward/` (`specifier` relative to this directory, e.g. `"./code/reward.js"`).
 * @param what names the feature in the error, e.g. `"reward 'code'"`
 * @throws ConfigError (rejects) outside Node
 */
export async function importNodeOnly<T>(specifier: string, what: string): Promise<T> {
  if (!isNode()) throw new ConfigError(`${what} needs Node.js; it is not available in a browser`);
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}
