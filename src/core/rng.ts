/**
 * Tiny seeded PRNG (xoshiro128**, Blackman & Vigna 2018) with serializable state, so that the
 * problem stream of a run can be stored in a checkpoint and resumed exactly. thinkrl never uses
 * `Math.random`: every random choice goes through an `Rng` that is passed in explicitly.
 */
import { ConfigError } from "./errors.js";

const TWO_32 = 4294967296;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** splitmix32 step: scrambles a 32-bit counter into a well-mixed 32-bit value (used only for seeding). */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Seeded xoshiro128** generator. State is four uint32 words (never all zero). */
export class Rng {
  private s: Uint32Array = new Uint32Array(4);

  /** @param seed any safe integer (negative values and values ≥ 2^32 are mixed in, not truncated). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new ConfigError(`Rng: seed must be a safe integer (got ${seed})`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_32) >>> 0;
    let x = lo ^ Math.imul(hi, 0x27d4eb2d);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x6d2b79f5) | 0;
      this.s[i] = splitmix32(x ^ (i === 1 ? hi : 0));
    }
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  /** Generator restored from `getState()` output. */
  static fromState(state: readonly number[]): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  /** Next uniform uint32 in [0, 2^32). */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextU32() / TWO_32;
  }

  /** Uniform integer in the inclusive range [lo, hi] (unbiased, by rejection). Range width ≤ 2^32. */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) {
      throw new ConfigError(`Rng.int: need integers lo ≤ hi (got ${lo}, ${hi})`);
    }
    const range = hi - lo + 1;
    if (range > TWO_32) throw new ConfigError(`Rng.int: range ${range} exceeds 2^32`);
    const limit = Math.floor(TWO_32 / range) * range;
    let u = this.nextU32();
    while (u >= limit) u = this.nextU32();
    return lo + (u % range);
  }

  /** Uniformly chosen element of a non-empty array. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new ConfigError("Rng.choice: empty array");
    return items[this.int(0, items.length - 1)]!;
  }

  /** New array with the items in uniformly random order (Fisher–Yates); the input is not modified. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  /** Copy of the internal state: four uint32 words (JSON-serializable). */
  getState(): number[] {
    return Array.from(this.s);
  }

  /** Restore a state produced by `getState()`. Throws ConfigError on a malformed or all-zero state. */
  setState(state: readonly number[]): void {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      !state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_32) ||
      state.every((w) => w === 0)
    ) {
      throw new ConfigError(`Rng.setState: expected 4 uint32 words, not all zero (got ${JSON.stringify(state)})`);
    }
    this.s = Uint32Array.from(state);
  }
}

/** Shorthand for `new Rng(seed)`. */
/** A standard normal draw from two uniforms of `rng` (Box–Muller, cosine branch). */
export function gaussian(rng: Rng): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export function seeded(seed: number): Rng {
  return new Rng(seed);
}
