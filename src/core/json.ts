/** JSON value helpers (no jax-js, no `node:`). */

/** The value with every object's keys sorted (arrays keep their order), so equal data stringifies equally. */
export function canonicalJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalJson);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([k, x]) => [k, canonicalJson(x)]));
  }
  return v;
}

/** Deep equality of JSON data, independent of key order (`undefined` members are ignored, as JSON does). */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonicalJson(a)) === JSON.stringify(canonicalJson(b));
}
