import { describe, expect, test } from "vitest";
import { mixSchedule, openPromptSource, parseTaskMix } from "../../src/data/source.js";
import { ConfigError } from "../../src/core/errors.js";

describe("task mixes (openPromptSource with a comma-separated list)", () => {
  test("weights parse; unknown tasks, files, duplicates and bad weights are ConfigErrors naming the entry", () => {
    expect(parseTaskMix("arithmetic,countdown")).toEqual([{ task: "arithmetic", weight: 1 }, { task: "countdown", weight: 1 }]);
    expect(parseTaskMix("arithmetic:3, countdown:1")).toEqual([{ task: "arithmetic", weight: 3 }, { task: "countdown", weight: 1 }]);
    expect(() => parseTaskMix("arithmetic,sudoku")).toThrow(/unknown task "sudoku"/);
    expect(() => parseTaskMix("arithmetic,arithmetic")).toThrow(ConfigError);
    expect(() => parseTaskMix("arithmetic:0,countdown")).toThrow(/integer ≥ 1/);
    expect(() => parseTaskMix("arithmetic:1.5,countdown")).toThrow(/integer ≥ 1/);
  });

  test("smooth weighted round-robin: equal weights alternate, 3:1 spreads the heavy task", () => {
    expect(mixSchedule([1, 1])).toEqual([0, 1]);
    expect(mixSchedule([3, 1])).toEqual([0, 0, 1, 0]);
  });

  test("held-out set = each task's own held-out set, concatenated; training draws follow the schedule", async () => {
    const mix = await openPromptSource("arithmetic,countdown", 8, 0);
    const a = await openPromptSource("arithmetic", 8, 0);
    const c = await openPromptSource("countdown", 8, 0);
    expect(mix.heldOut).toEqual([...a.heldOut, ...c.heldOut]);
    const draws = Array.from({ length: 6 }, () => mix.next());
    expect(draws.map((p) => p.columns.task)).toEqual(["arithmetic", "countdown", "arithmetic", "countdown", "arithmetic", "countdown"]);
    expect(draws.filter((_, i) => i % 2 === 0)).toEqual([a.next(), a.next(), a.next()]);
    const held = new Set(mix.heldOut.map((p) => p.key));
    expect(draws.some((p) => held.has(p.key))).toBe(false);
  });

  test("the cursor resumes exactly through JSON", async () => {
    const s = await openPromptSource("arithmetic:2,countdown:1", 4, 3);
    for (let i = 0; i < 5; i++) s.next();
    const saved = JSON.parse(JSON.stringify(s.getState())) as unknown;
    const want = Array.from({ length: 7 }, () => s.next().key);
    const t = await openPromptSource("arithmetic:2,countdown:1", 4, 3);
    t.setState(saved);
    expect(Array.from({ length: 7 }, () => t.next().key)).toEqual(want);
  });
});
