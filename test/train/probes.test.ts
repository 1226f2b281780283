/**
 * The probe set: every `every` steps the same held-out prompts are sampled and appended to completions.jsonl with
 * `probe: true`; the sampling is a function of (seed, step) only, so probing draws nothing from training's generator.
 */
import { beforeAll, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";
import { tinyModel } from "../helpers/tiny-model.js";

beforeAll(() => initEngine("wasm", { threads: 1 }));

test("probe rows: fixed prompts, every N steps and the last, reproducible per step, scored", async () => {
  const { openPromptSource } = await import("../../src/data/source.js");
  const { resolveRewards } = await import("../../src/reward/registry.js");
  const { probeCallback, probeRows, PROBE_PROMPTS } = await import("../../src/train/probes.js");
  const source = await openPromptSource("arithmetic", 16, 0);
  const written: string[] = [];
  const o = {
    model: await tinyModel(0),
    problems: source.heldOut.slice(0, PROBE_PROMPTS),
    rewards: resolveRewards(["accuracy", "format"], [1, 0.1], {}),
    format: "compact" as const,
    samples: 2,
    sampling: { maxNewTokens: 8, temperature: 1, topP: 1, topK: 0 },
    seed: 0,
    every: 2,
    files: { append: async (_n: string, t: string) => void written.push(t), write: async () => {} },
  };
  const cb = probeCallback(o);
  for (const step of [1, 2, 3, 4]) await cb.onStepEnd!({ step, maxSteps: 4, metrics: {}, samples: [] });
  const rows = written.join("").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(rows.map((r) => r.step)).toEqual([...Array(16).fill(2), ...Array(16).fill(4)]);
  const prompts = (s: number) => rows.filter((r) => r.step === s).map((r) => r.prompt);
  expect(prompts(4)).toEqual(prompts(2));
  expect(new Set(prompts(2)).size).toBe(PROBE_PROMPTS);
  expect(rows.every((r) => r.probe === true && typeof r.reward === "number" && typeof r.gold === "string" && typeof (r.rewards as Record<string, unknown>).accuracy === "number")).toBe(true);
  // A step's probe is the same whenever it is drawn (a resumed run writes the same rows).
  expect((await probeRows(o, 4)).map((r) => r.completion)).toEqual(rows.filter((r) => r.step === 4).map((r) => r.completion));
  // A run shorter than `every` steps still probes at its last step.
  written.length = 0;
  const short = probeCallback({ ...o, every: 10 });
  for (const step of [1, 2, 3]) await short.onStepEnd!({ step, maxSteps: 3, metrics: {}, samples: [] });
  expect(written.join("").trim().split("\n").map((l) => (JSON.parse(l) as { step: number }).step)).toEqual(Array(16).fill(3));
});
