/**
 * Kimi k1.5's easy-to-hack filter (§2.1) with the embedded model: answers forced without a chain of thought by the
 * prefilled `<think></think><answer>`; a row whose gold the model hits within N tries is dropped, the others kept, each
 * with its count; both files are valid datasets. The embedded model, trained to work digit by digit, answers
 * "7*3" with "333" when it may not reason — so a row whose gold is "333" is easy to hack, "46" for 12+34 is not.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { loadModelFiles, defaultModelDir } = await import("../../src/model/load.js");
const { runHackFilter } = await import("../../src/pipeline/hack-filter.js");
const { noCotPrefill } = await import("../../src/eval/no-cot.js");
const { loadJsonlDataset } = await import("../../src/data/dataset.js");

test("drops the rows answered right without a chain of thought, keeps the rest, counts each", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hack-"));
  const data = join(dir, "rows.jsonl");
  await writeFile(data, ['{"prompt":"7*3","answer":"333","id":1}', '{"prompt":"12+34","answer":"46","id":2}', '{"question":"99-9","answer":"90","id":3}'].join("\n") + "\n");
  const { model } = await loadModelFiles(defaultModelDir());
  const s = await runHackFilter(model, { dataset: data, out: join(dir, "out"), tries: 8, seed: 0 });
  expect([s.kept, s.dropped]).toEqual([2, 1]);
  expect(s.histogram.reduce((a, b) => a + b, 0)).toBe(3);
  const dropped = (await readFile(s.droppedFile, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
  expect(dropped.map((r) => r.id)).toEqual([1]);
  expect(dropped[0].no_cot_correct).toBeGreaterThan(0);
  const kept = await loadJsonlDataset(s.keptFile);
  expect(kept.map((r) => [r.prompt, r.columns.id, r.columns.no_cot_correct, r.columns.no_cot_tries])).toEqual([["12+34", 2, 0, 8], ["99-9", 3, 0, 8]]);
  expect(JSON.parse(await readFile(join(dir, "out", "filter_summary.json"), "utf8")).dropped).toBe(1);
  await expect(runHackFilter(model, { dataset: data, out: join(dir, "x"), tries: 0 })).rejects.toThrow(/--tries must be an integer ≥ 1/);
  await expect(runHackFilter(model, { dataset: data, out: join(dir, "out"), tries: 1 })).rejects.toThrow(/already holds a filter result \(kept.jsonl, dropped.jsonl, filter_summary.json\)/);
  expect((await runHackFilter(model, { dataset: data, out: join(dir, "out"), tries: 1, overwrite: true })).tries).toBe(1);
  expect([noCotPrefill("compact"), noCotPrefill("r1-zero"), noCotPrefill("chat"), noCotPrefill("chat", "<think>\n")]).toEqual([
    "<think></think><answer>", " <think> </think> <answer>", "<answer>", "\n</think>\n\n<answer>",
  ]);
});
