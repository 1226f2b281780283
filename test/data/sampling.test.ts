/**
 * Kimi k1.5 §2.3.4 sampling on finite pools: prioritized draws ∝ max(1 − s_i, floor), the state a checkpoint keeps
 * (a restored sampler draws what the original would have), the curriculum's switch to the hard share, pools disjoint
 * from the held-out set, and where difficulty comes from.
 */
import { describe, expect, test } from "vitest";
import { drawPool, dataDifficulty, poolSource, priorityWeight, trainingSource } from "../../src/data/sampling.js";
import { openPromptSource, type PromptItem } from "../../src/data/source.js";

const items = (n: number, extra: (i: number) => Partial<PromptItem> = () => ({})): PromptItem[] =>
  Array.from({ length: n }, (_, i) => ({ key: `p${i}`, question: `q${i}`, columns: {}, ...extra(i) }));

describe("prioritized sampling", () => {
  test("draw frequencies follow (1 − s_i), floored, over many draws", () => {
    const src = poolSource("t", items(4), [], { strategy: "prioritized", seed: 1, priorityFloor: 0.05 });
    // s = [0 (never seen), 0.5, 0.75, 1]
    src.observe([{ key: "p1", tries: 8, successes: 4 }, { key: "p2", tries: 4, successes: 3 }, { key: "p3", tries: 8, successes: 8 }]);
    const w = [1, 0.5, 0.25, 0.05];
    const total = w.reduce((a, b) => a + b, 0);
    expect(src.probabilities().map((p) => +p.toFixed(6))).toEqual(w.map((x) => +(x / total).toFixed(6)));
    const counts = [0, 0, 0, 0];
    const N = 40_000;
    for (let i = 0; i < N; i++) counts[Number(src.next().key.slice(1))]!++;
    counts.forEach((c, i) => expect(Math.abs(c / N - w[i]! / total)).toBeLessThan(0.01));
    expect(counts[3]).toBeGreaterThan(0); // a solved problem can still be drawn
    expect(priorityWeight(1, 0.05)).toBe(0.05);
  });

  test("the saved state restores the success rates and the generator: the draws continue identically", () => {
    const mk = () => poolSource("t", items(10), [], { strategy: "prioritized", seed: 3 });
    const a = mk();
    for (let i = 0; i < 5; i++) a.observe([{ key: a.next().key, tries: 4, successes: i % 5 }]);
    const saved = JSON.parse(JSON.stringify(a.getState())) as unknown;
    const b = mk();
    b.setState(saved);
    expect(b.probabilities()).toEqual(a.probabilities());
    expect(Array.from({ length: 50 }, () => b.next().key)).toEqual(Array.from({ length: 50 }, () => a.next().key));
    expect(() => mk().setState({ epoch: 1 })).toThrow(/sampler state/);
  });
});

describe("curriculum", () => {
  test("every problem once per pass before the switch; only the hardest share after it", () => {
    const src = poolSource("t", items(8), [], { strategy: "curriculum", seed: 2, curriculumSwitchStep: 3, curriculumHardFraction: 0.25 });
    src.difficulty = [1, 5, 2, 8, 3, 7, 4, 6];
    src.beginStep(1);
    expect(new Set(Array.from({ length: 8 }, () => src.next().key)).size).toBe(8);
    src.beginStep(3);
    const hard = Array.from({ length: 10 }, () => src.next().key);
    expect(new Set(hard)).toEqual(new Set(["p3", "p5"])); // difficulties 8 and 7
    expect(src.metrics()["sampling/active_problems"]).toBe(2);
    // Resume after the switch keeps drawing the hard share.
    const again = poolSource("t", items(8), [], { strategy: "curriculum", seed: 2, curriculumSwitchStep: 3, curriculumHardFraction: 0.25 });
    again.setState(JSON.parse(JSON.stringify(src.getState())));
    expect(again.difficulty).toEqual([1, 5, 2, 8, 3, 7, 4, 6]);
    expect(Array.from({ length: 6 }, () => again.next().key)).toEqual(Array.from({ length: 6 }, () => src.next().key));
    expect(() => { src.difficulty = [1, 2]; }).toThrow(/one finite number per pool problem/);
  });

  test("difficulty from a column, from the task, or to be measured", () => {
    expect(dataDifficulty(items(2, (i) => ({ columns: { difficulty: i + 3 } })), "auto")).toEqual([3, 4]);
    expect(dataDifficulty(items(2, (i) => ({ difficulty: 10 - i })), "auto")).toEqual([10, 9]);
    expect(dataDifficulty(items(2, (i) => ({ difficulty: 10 - i })), "measured")).toBe("measure");
    expect(dataDifficulty(items(2), "auto")).toBe("measure");
    expect(() => dataDifficulty(items(2, (i) => (i ? { columns: { difficulty: 1 } } : {})), "column")).toThrow(/p0 has no numeric "difficulty" column/);
    expect(() => dataDifficulty(items(1), "task")).toThrow(/not from a built-in task/);
  });
});

describe("pools", () => {
  test("a built-in task's pool is drawn once, distinct, disjoint from the held-out set, with the task's difficulty", async () => {
    const base = await openPromptSource("arithmetic", 64, 0);
    const src = trainingSource(base, { strategy: "uniform", trainPool: 50, seed: 1 }) as ReturnType<typeof poolSource>;
    expect(src.pool.length).toBe(50);
    expect(new Set(src.pool.map((p) => p.key)).size).toBe(50);
    const held = new Set(base.heldOut.map((p) => p.key));
    expect(src.pool.some((p) => held.has(p.key))).toBe(false);
    expect(src.pool.every((p) => typeof p.difficulty === "number" && p.difficulty >= 1)).toBe(true);
    // 60 draws = one full pass over the 50 and 10 of the next.
    expect(new Set(Array.from({ length: 50 }, () => src.next().key)).size).toBe(50);
    // Uniform without a pool leaves the source as it is (the default run is unchanged).
    expect(trainingSource(base, { strategy: "uniform", trainPool: 0, seed: 1 })).toBe(base);
  });

  test("a finite source's pool is one pass over it; too large a pool fails in one line", () => {
    let i = 0;
    const cycle = { name: "five", heldOut: [], size: 5, next: () => items(5)[i++ % 5]!, getState: () => i, setState: () => {} };
    expect(drawPool(cycle, 0).map((p) => p.key)).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    expect(() => drawPool(cycle, 6)).toThrow(/five yields only 5 distinct training problems \(asked for a pool of 6\)/);
  });
});
