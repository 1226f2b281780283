import { describe, expect, test } from "vitest";
import { Rng, seeded } from "../../src/core/rng.js";
import { ConfigError } from "../../src/core/errors.js";

describe("Rng", () => {
  test("the same seed gives the same sequence; different seeds differ", () => {
    const a = seeded(42);
    const b = seeded(42);
    const c = seeded(43);
    const xs = Array.from({ length: 20 }, () => a.nextU32());
    expect(Array.from({ length: 20 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.nextU32())).not.toEqual(xs);
  });

  test("seeds that differ only above 2^32 give different sequences", () => {
    expect(seeded(1).nextU32()).not.toBe(seeded(1 + 2 ** 32).nextU32());
  });

  test("getState/setState resumes the stream exactly, through JSON", () => {
    const a = seeded(7);
    for (let i = 0; i < 13; i++) a.next();
    const saved = JSON.parse(JSON.stringify(a.getState())) as number[];
    const rest = Array.from({ length: 10 }, () => a.int(0, 1000));
    const b = Rng.fromState(saved);
    expect(Array.from({ length: 10 }, () => b.int(0, 1000))).toEqual(rest);
  });

  test("malformed states are rejected", () => {
    const r = seeded(1);
    expect(() => r.setState([0, 0, 0, 0])).toThrow(ConfigError);
    expect(() => r.setState([1, 2, 3])).toThrow(ConfigError);
    expect(() => r.setState([1, 2, 3, 2 ** 32])).toThrow(ConfigError);
    expect(() => r.setState([1, 2, 3, 1.5])).toThrow(ConfigError);
  });

  test("int stays in the inclusive range and covers it", () => {
    const r = seeded(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(-2, 4);
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThanOrEqual(4);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
  });

  test("next is in [0, 1) and roughly uniform", () => {
    const r = seeded(5);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const v = r.next();
      expect(v >= 0 && v < 1).toBe(true);
      sum += v;
    }
    expect(sum / 10000).toBeCloseTo(0.5, 1);
  });

  test("choice and shuffle use every element and do not mutate the input", () => {
    const r = seeded(9);
    const items = [1, 2, 3, 4] as const;
    const shuffled = r.shuffle(items);
    expect([...shuffled].sort()).toEqual([1, 2, 3, 4]);
    expect(items).toEqual([1, 2, 3, 4]);
    expect(() => r.choice([])).toThrow(ConfigError);
  });
});
