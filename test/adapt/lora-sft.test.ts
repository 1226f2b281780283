/**
 * LoRA by next-token prediction (`thinkrl sft --adapter lora`, `runSftJob`): a run stopped after a checkpoint and
 * resumed (the base reopened, the checkpoint's adapter, AdamW state and dropout RNG restored) logs the uninterrupted
 * run's metrics, and writes the same adapter.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { runSftJob } = await import("../../src/pipeline/sft-job.js");
const { resolveSftConfig } = await import("../../src/train/sft-config.js");
const { listCheckpoints } = await import("../../src/train/state.js");
const { SILENT_LOG } = await import("../../src/core/log.js");

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-lora-sft-"));
  const rows = Array.from({ length: 16 }, (_, i) => ({ prompt: `${i}+1`, completion: `<think>${i}+1=${i + 1}</think><answer>${i + 1}</answer>` }));
  await writeFile(join(tmp, "data.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const isTiming = (k: string) => k === "tokens_per_second" || k === "step_seconds";
const rows = async (dir: string) =>
  (await readFile(join(dir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, number>).filter(([k]) => !isTiming(k))));

test("sft --adapter lora (with dropout): stopped after a checkpoint and resumed, it logs the uninterrupted run's metrics", async () => {
  const cfg = (out: string) =>
    resolveSftConfig({
      dataset: join(tmp, "data.jsonl"), outputDir: out, epochs: 2, batchSize: 4, microBatchSize: 4, maxLength: 32, // the embedded model
      learningRate: 1e-2, evalSplit: 0, saveSteps: 2, saveTotalLimit: 0, adapter: "lora", adapterTargets: ["q_proj", "v_proj", "down_proj"], loraRank: 4, loraDropout: 0.1,
    });
  const a = join(tmp, "a");
  const b = join(tmp, "b");
  await runSftJob(cfg(a), { log: SILENT_LOG });
  // Stop after step 4 (its live progress line), where checkpoint-4 is written.
  const stop = new AbortController();
  const first = await runSftJob(cfg(b), { log: { info: () => {}, progress: (m) => void (m.startsWith("step 4/") && stop.abort()) }, signal: stop.signal });
  expect(first.interrupted).toBe(true);
  const cks = await listCheckpoints(b);
  expect(cks.at(-1)!.step).toBe(4);
  await runSftJob(cfg(b), { log: SILENT_LOG, resumeFrom: cks.at(-1)! });
  const [ra, rb] = [await rows(a), await rows(b)];
  expect(rb.map((r) => r.step)).toEqual(ra.map((r) => r.step));
  expect(ra.length).toBe(8);
  for (let i = 0; i < ra.length; i++) for (const k of Object.keys(ra[i]!)) expect(Math.abs(ra[i]![k]! - rb[i]![k]!), `step ${i + 1} ${k}`).toBeLessThanOrEqual(1e-6);
  expect(Buffer.compare(await readFile(join(a, "final/adapter/adapter_model.safetensors")), await readFile(join(b, "final/adapter/adapter_model.safetensors")))).toBe(0);
  expect(JSON.parse(await readFile(join(a, "final/adapter/adapter_config.json"), "utf8"))).toMatchObject({ r: 4, lora_dropout: 0.1 });
}, 60_000);
