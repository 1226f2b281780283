/** Adapter runs: the validation split is carved from the training stream and never drawn for training; adapter config rules. */
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { carveValidation } = await import("../../src/pipeline/adapter-run.js");
const { openPromptSource } = await import("../../src/data/source.js");
const { resolveTrainConfig } = await import("../../src/train/config.js");

test("the validation split comes from the training stream, disjoint from what training draws and from the held-out set", async () => {
  const opened = await openPromptSource("arithmetic", 32, 0);
  const { source, validation } = carveValidation(opened, 50);
  expect(new Set(validation.map((p) => p.key)).size).toBe(50);
  const held = new Set(source.heldOut.map((p) => p.key));
  const val = new Set(validation.map((p) => p.key));
  for (const p of validation) expect(held.has(p.key)).toBe(false);
  for (let i = 0; i < 2000; i++) expect(val.has(source.next().key)).toBe(false);
});

test("adapter config keys are checked in one line", () => {
  expect(resolveTrainConfig({ adapter: "svf", outputDir: "x" }).svfParameterization).toBe("sigmoid");
  expect(() => resolveTrainConfig({ adapter: "dora" })).toThrow(/adapter \(--adapter\) must be one of none, svf, lora \(got "dora"\)/);
  expect(resolveTrainConfig({ adapter: "lora", loraDropout: 0.1, outputDir: "x" }).loraDropout).toBe(0.1);
  expect(() => resolveTrainConfig({ adapter: "lora", loraDropout: 1 })).toThrow(/loraDropout \(--lora-dropout\) must be in \[0, 1\) \(got 1\)/);
  expect(() => resolveTrainConfig({ expert: "e.safetensors" })).toThrow(/starts an SVF run: pass --adapter svf/);
  expect(() => resolveTrainConfig({ validationProblems: -1 })).toThrow(/validationProblems/);
  expect(resolveTrainConfig({ objective: "reinforce", klDirection: "ref_policy", outputDir: "x" }).klDirection).toBe("ref_policy");
  expect(() => resolveTrainConfig({ klDirection: "ref_policy" })).toThrow(/klDirection \(--kl-direction\) applies to --objective reinforce \(got objective grpo\)/);
  // Greedy single rollouts, as the reference code (an option; sampled rollouts are the default).
  expect(resolveTrainConfig({ objective: "reinforce", temperature: 0, numGenerations: 1, outputDir: "x" })).toMatchObject({ temperature: 0, numGenerations: 1 });
  expect(() => resolveTrainConfig({ temperature: 0 })).toThrow(/temperature \(--temperature\) 0 \(greedy rollouts\) is for --objective reinforce/);
  expect(() => resolveTrainConfig({ numGenerations: 1 })).toThrow(/numGenerations \(--num-generations\) must be an integer ≥ 2/);
  expect(() => resolveTrainConfig({ objective: "reinforce", klDirection: "reverse" })).toThrow(/klDirection \(--kl-direction\) must be one of policy_ref, ref_policy/);
});
