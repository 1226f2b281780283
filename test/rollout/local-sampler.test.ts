/** The local `Sampler` on the embedded model, and `runSample` driving it (one Wasm thread: a light test). */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm", { threads: 1 });
const { Rng } = await import("../../src/core/rng.js");
const { defaultModelDir, loadModel } = await import("../../src/model/load.js");
const { LocalSampler } = await import("../../src/rollout/local-sampler.js");
const { resolveSampleConfig, runSample } = await import("../../src/pipeline/rejection-sampling.js");

const model = await loadModel(defaultModelDir());
const sampler = () => new LocalSampler({ model, format: "compact", rng: new Rng(1), modelName: "embedded" });
const params = { temperature: 0.6, topP: 0.95, maxTokens: 48, seed: 5 };

test("local sampler: n samples per prompt, reproducible for a seed, reported per prompt", async () => {
  const prompts = [{ question: "47+85" }, { question: "12+30" }];
  const seen: number[] = [];
  const a = await sampler().sample(prompts, 3, params, { onPrompt: (i) => void seen.push(i) });
  expect(a.map((s) => s.length)).toEqual([3, 3]);
  expect(seen).toEqual([0, 1]);
  for (const s of a.flat()) {
    expect(["eos", "stop", "length"]).toContain(s.finishReason);
    expect(s.tokens).toBeGreaterThan(0);
  }
  expect(a.flat().some((s) => /^<think>.*<\/think><answer>\d+<\/answer>$/.test(s.text))).toBe(true); // cold-start format
  expect(await sampler().sample(prompts, 3, params)).toEqual(a);
});

test("runSample with the local model writes rows with local provenance", async () => {
  const dir = await mkdtemp(join(tmpdir(), "thinkrl-local-sample-"));
  try {
    const cfg = resolveSampleConfig({ dataset: "arithmetic", out: join(dir, "o.jsonl"), numPrompts: 4, numSamples: 2 }, "local");
    const summary = await runSample(cfg, { sampler: sampler() });
    expect(summary.samples).toBe(8);
    const rows = (await readFile(cfg.out, "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
    expect(rows.length).toBe(summary.rows);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.rewards.accuracy).toBe(1);
      expect(r.task).toBe("arithmetic");
      expect(r.provenance).toMatchObject({ sampler: "local", model: "embedded", prompt_format: "compact", keep: "all-correct" });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
