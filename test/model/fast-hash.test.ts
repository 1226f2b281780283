/**
 * jax-js patch 211 (`docs/jax-patch.md`): the expression hash jax-js uses to deduplicate expressions, jaxprs and
 * kernels while it compiles is computed with 32-bit integer arithmetic instead of BigInt. The hash must stay a hash:
 * a value per input sequence that never collides on the inputs jax-js gives it (numbers, strings, booleans, null,
 * nested hashes) — and `JAXJS_FAST_HASH=0` must restore jax-js's own BigInt hash.
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, test } from "vitest";

const DIST = join(import.meta.dirname, "..", "..", "node_modules", "@jax-js", "jax", "dist");
/** jax-js's backend chunk (the file that defines FpHash; its name carries a build hash). */
const BACKEND = join(DIST, readdirSync(DIST).find((f) => /^backend-.*\.js$/.test(f))!);

type Hasher = { hash(...values: unknown[]): number | bigint };
/** The chunk exports FpHash under a minified name: the class with a static `hash`. */
async function fpHash(): Promise<Hasher> {
  const mod = (await import(pathToFileURL(BACKEND).href)) as Record<string, unknown>;
  const found = Object.values(mod).filter((v): v is Hasher => typeof v === "function" && /FpHash/.test(String(v.name)) && typeof (v as { hash?: unknown }).hash === "function");
  expect(found).toHaveLength(1);
  return found[0]!;
}

test("the hash is a Number below 2^53, the same for the same inputs, different for inputs jax-js tells apart", async () => {
  const H = await fpHash();
  const v = H.hash("Add", "float32", 3, 2.5, true, null, undefined);
  expect(typeof v).toBe("number"); // jax-js's own FpHash returns a bigint
  expect(Number.isSafeInteger(v) && (v as number) >= 0).toBe(true);
  expect(H.hash("Add", "float32", 3, 2.5, true, null, undefined)).toBe(v);
  // Values of different types or order and nested hashes (an object hashes as its hash value, as in jax-js) differ.
  const nested = { hash: (s: { update(x: unknown): void }) => s.update(H.hash("child", 1)) };
  const inputs: unknown[][] = [["1"], [1], [1.5], [true], [null], [undefined], [-1], [2 ** 40], [-(2 ** 40)], [1e300], [NaN], [3n], [-3n], [2n ** 70n], ["ab", "c"], ["a", "bc"], ["abc"], [1, 2], [2, 1], [nested], [H.hash("child", 2)], [false], [0], [-0.5], [""], []];
  const seen = new Map<number | bigint, string>();
  for (const xs of inputs) {
    const h = H.hash(...xs);
    const label = xs.map(String).join(",");
    expect(seen.get(h), `${label} collides`).toBeUndefined();
    seen.set(h, label);
  }
});

test("no collision over 300,000 expression-like inputs (strings, integers, floats, shapes)", async () => {
  const H = await fpHash();
  const seen = new Set<number | bigint>();
  let n = 0;
  const add = (...xs: unknown[]) => {
    seen.add(H.hash(...xs));
    n++;
  };
  for (let i = 0; i < 100_000; i++) add(i);
  for (let i = 0; i < 100_000; i++) add("Mul", "float32", i * 0.001);
  for (let i = 0; i < 100_000; i++) add(JSON.stringify({ axis: [i % 7], shape: [i >> 3, 64] }), i % 13);
  expect(seen.size).toBe(n);
});

test("JAXJS_FAST_HASH=0 restores jax-js's BigInt FpHash (env read when jax-js loads)", () => {
  const probe = `const m = await import(${JSON.stringify(pathToFileURL(BACKEND).href)}); const H = Object.values(m).find((v) => typeof v === "function" && /FpHash/.test(v.name) && typeof v.hash === "function"); console.log(typeof H.hash("Add", 3, 2.5));`;
  const run = (env: string) => execFileSync(process.execPath, ["--input-type=module", "-e", probe], { env: { ...process.env, JAXJS_FAST_HASH: env }, encoding: "utf8" }).trim();
  expect([run("0"), run("1")]).toEqual(["bigint", "number"]);
});
