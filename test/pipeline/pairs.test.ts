/**
 * long2short preference pairs (Kimi k1.5 §2.4) on a hand-made `sample --keep all` file: chosen = the shortest correct
 * answer; rejected = the longer wrong answers and the correct ones at least 1.5× its length; unscorable and
 * unreadable samples never take part.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { buildPairs, type SampleRow } from "../../src/pipeline/pairs.js";
import { thinkrl } from "../helpers/cli.js";

/** A sample of prompt `key`: index, accuracy (null = unscorable), tokens, readability verdict. */
const s = (key: string, index: number, accuracy: number | null, tokens: number, readability: string | null = null, prompt = key): SampleRow => ({
  prompt,
  completion: `${key}-${index}`,
  messages: [{ role: "user", content: prompt }, { role: "assistant", content: `${key}-${index}` }],
  rewards: { accuracy, format: 1 },
  provenance: { prompt_key: key, sample_index: index, tokens, correct_reward: "accuracy", readability },
});

const A = [s("A", 0, 1, 30), s("A", 1, 0, 40), s("A", 2, 1, 10), s("A", 3, 0, 5), s("A", 4, 1, 15), s("A", 5, 1, 14), s("A", 6, null, 50), s("A", 7, 0, 12, "code_block")];
const B = [s("B", 0, 0, 10), s("B", 1, 0, 20)];
const C = [s("C", 0, 1, 10), s("C", 1, 0, 8), s("C", 2, 1, 14)];

test("the paper's rules: shortest correct vs longer wrong and ≥ 1.5× correct, longest first", () => {
  const { pairs, stats } = buildPairs([...A, ...B, ...C]);
  expect(pairs.map((p) => [p.prompt_key, p.chosen, p.rejected, p.rejected_kind, p.chosen_length, p.rejected_length])).toEqual([
    ["A", "A-2", "A-1", "wrong", 10, 40],
    ["A", "A-2", "A-0", "long-correct", 10, 30],
    ["A", "A-2", "A-4", "long-correct", 10, 15], // exactly 1.5×; 14 tokens is not enough
  ]);
  expect(stats).toEqual({ prompts: 3, noCorrect: 1, noRejected: 1, pairs: 3, wrong: 1, longCorrect: 2 });
  expect(buildPairs(A, { maxPairsPerPrompt: 2 }).pairs.map((p) => p.rejected)).toEqual(["A-1", "A-0"]);
  expect(buildPairs(A, { longRatio: 3 }).pairs.map((p) => p.rejected)).toEqual(["A-1", "A-0"]);
  expect(() => buildPairs(A, { longRatio: 0.5 })).toThrow(/ratio must be ≥ 1/);
  expect(() => buildPairs(A, { correctReward: "bogus" })).toThrow(/no sample has the reward "bogus" \(they have accuracy, format\)/);
  const kept = A.map((r) => ({ ...r, provenance: { ...r.provenance, keep: "all-correct" } }));
  expect(() => buildPairs(kept)).toThrow(/kept with --keep all-correct; pairs needs every sample/);
});

test("a chat history gives TRL's conversational layout; text prompts the text layout", () => {
  const chat = [s("D", 0, 1, 5), s("D", 1, 0, 9)].map((r) => ({ ...r, messages: [{ role: "system", content: "be brief" }, { role: "user", content: "D" }, r.messages![1]!] }));
  expect(buildPairs(chat).pairs[0]).toMatchObject({
    prompt: [{ role: "system", content: "be brief" }, { role: "user", content: "D" }],
    chosen: [{ role: "assistant", content: "D-0" }],
    rejected: [{ role: "assistant", content: "D-1" }],
  });
  expect(buildPairs([s("E", 0, 1, 5), s("E", 1, 0, 9)]).pairs[0]).toMatchObject({ prompt: "E", chosen: "E-0", rejected: "E-1" });
});

test("thinkrl pairs writes JSONL; a bad row is one line naming file:line", async () => {
  const dir = await mkdtemp(join(tmpdir(), "pairs-"));
  const input = join(dir, "samples.jsonl");
  await writeFile(input, [...A, ...B, ...C].map((r) => JSON.stringify(r)).join("\n") + "\n");
  const out = join(dir, "pairs.jsonl");
  const r = await thinkrl(["pairs", "--samples", input, "--out", out]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^3 pairs \(1 longer wrong, 2 long correct\) from 3 prompts; 1 had no correct answer, 1 nothing longer to reject/);
  expect((await readFile(out, "utf8")).trim().split("\n").map((l) => JSON.parse(l).rejected)).toEqual(["A-1", "A-0", "A-4"]);
  await writeFile(input, '{"prompt":"x","completion":"y","rewards":{}}\n');
  const bad = await thinkrl(["pairs", "--samples", input, "--out", join(dir, "p2.jsonl")]);
  expect([bad.code, bad.stderr.trim()]).toEqual([1, `error: ${input}:1: provenance.prompt_key and provenance.sample_index are missing (write it with thinkrl sample --keep all)`]);
});
