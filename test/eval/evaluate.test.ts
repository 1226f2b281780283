/**
 * The one evaluation function (`evaluate`) and its metrics: R1-protocol numbers (pass@1, cons@n, unbiased pass@k,
 * answer and format rates, mean length) on hand-checked problems with a scripted sampler, tie-breaking of the
 * majority vote, the judges, and the dataset readers for the GSM8K, MATH and AIME layouts (JSONL and Parquet).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DatasetError } from "../../src/core/errors.js";
import { evaluate, formatSummaryTable } from "../../src/eval/evaluate.js";
import { accuracyJudge, mathJudge } from "../../src/eval/judge.js";
import { majorityVote, passAtK, summarize } from "../../src/eval/metrics.js";
import { detectLayout, fromPromptItems, loadBenchmark, type EvalProblem } from "../../src/eval/problems.js";
import type { SampleCallOptions, SampleOutput, SampleParams, SamplePrompt, Sampler } from "../../src/rollout/sampler.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-bench-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const jsonl = async (name: string, rows: unknown[]) => {
  const path = join(tmp, name);
  await writeFile(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return path;
};

/**
 * A `Sampler` whose answers are known: for each question it returns the listed completions, in order (token count =
 * the text's length in characters), and records each call's parameters.
 */
class ScriptedSampler implements Sampler {
  readonly provenance = { sampler: "scripted" };
  readonly calls: { questions: string[]; n: number; params: SampleParams }[] = [];
  constructor(private readonly table: Record<string, string[]>) {}
  async sample(prompts: readonly SamplePrompt[], n: number, params: SampleParams, opts: SampleCallOptions = {}): Promise<SampleOutput[][]> {
    this.calls.push({ questions: prompts.map((p) => p.question), n, params });
    const out: SampleOutput[][] = [];
    for (const [i, p] of prompts.entries()) {
      const texts = this.table[p.question];
      if (!texts || texts.length < n) throw new Error(`scripted sampler: no ${n} samples for ${p.question}`);
      const row = texts.slice(0, n).map((text): SampleOutput => ({ text, finishReason: "eos", tokens: text.length }));
      out.push(row);
      await opts.onPrompt?.(i, row);
    }
    return out;
  }
}

const PARAMS: SampleParams = { temperature: 0.6, topP: 0.95, maxTokens: 64 };

/**
 * Four problems × 4 samples, checked by hand:
 * | problem | correct flags | c | vote (normalised)                  | cons |
 * | q1 = 12 | T T F T       | 3 | 12 ×2, 13, 12.0 → 12               | ✓    |
 * | q2 = ½  | T F F T       | 2 | 1/3 ×2, 0.5, \frac{1}{2} → 1/3     | ✗    |
 * | q3 = 7  | T F F T       | 2 | 7 ×2 vs 5 ×2: tie → first seen, 7  | ✓    |
 * | q4 = 3  | F F F F       | 0 | 4 ×2 (two samples have no answer)  | ✗    |
 * pass@1 = (3 + 2 + 2 + 0)/16 = 7/16; cons@4 = 2/4;
 * pass@2 = (1 + (1 − C(2,2)/C(4,2)) × 2 + 0)/4 = (1 + 5/6 + 5/6)/4 = 2/3; pass@3 = pass@4 = 3/4;
 * answer_rate = (4 + 4 + 4 + 2)/16 = 7/8; format_rate = 0 (no `<think>…<answer>` sample).
 */
const HAND: Record<string, string[]> = {
  q1: ["so \\boxed{12}", "the answer is 12", "\\boxed{13}", "\\boxed{12.0}"],
  q2: ["\\boxed{0.5}", "\\boxed{1/3}", "it is $\\boxed{1/3}$", "\\boxed{\\frac12}"],
  q3: ["\\boxed{7}", "\\boxed{5}", "\\boxed{5}", "\\boxed{7}"],
  q4: ["nothing", "\\boxed{4}", "\\boxed{4}", ""],
};
const GOLD: Record<string, string> = { q1: "12", q2: "\\frac{1}{2}", q3: "7", q4: "3" };
const problems: EvalProblem[] = Object.keys(HAND).map((q) => ({ id: q, question: q, gold: GOLD[q]!, columns: { answer: GOLD[q] } }));

describe("evaluate on hand-checked problems (scripted sampler)", () => {
  test("maths judge: pass@1, cons@4 and pass@k equal the hand-computed values", async () => {
    const sampler = new ScriptedSampler(HAND);
    const run = await evaluate(problems, sampler, mathJudge(), { samples: 4, params: PARAMS });
    expect(run.results.map((r) => r.correct)).toEqual([
      [true, true, false, true],
      [true, false, false, true],
      [true, false, false, true],
      [false, false, false, false],
    ]);
    expect(run.results.map((r) => r.cons_answer)).toEqual(["12", "1/3", "7", "4"]);
    expect(run.results.map((r) => r.cons_correct)).toEqual([true, false, true, false]);
    expect(run.results[3]!.answers).toEqual([null, "4", "4", null]);
    const s = run.metrics;
    expect(Object.keys(s)).toEqual(["pass@1", "cons@4", "pass@2", "pass@3", "pass@4", "answer_rate", "format_rate", "mean_length"]);
    expect(s["pass@1"]).toBe(7 / 16);
    expect(s["cons@4"]).toBe(0.5);
    expect(s["pass@2"]).toBeCloseTo(2 / 3, 14);
    expect(s["pass@3"]).toBe(0.75);
    expect(s["pass@4"]).toBe(0.75);
    expect(s.answer_rate).toBe(7 / 8);
    expect(s.format_rate).toBe(0);
    expect([run.numProblems, run.samples]).toEqual([4, 4]);
    // One sampler call for all problems, with the given parameters.
    expect(sampler.calls).toEqual([{ questions: ["q1", "q2", "q3", "q4"], n: 4, params: PARAMS }]);
  });

  /**
   * Built-in arithmetic problems judged by the accuracy reward (R1 format required), 3 problems × 3 samples:
   * | problem    | samples (answer; well-formed?)              | correct | c | vote            | cons |
   * | 2+3 = 5    | 5 ✓; 5 ✓; "5" without tags ✗ (no answer)   | T T F   | 2 | 5 ×2            | ✓    |
   * | 4+4 = 8    | 9 ✓; 8 ✓; 9 ✓                               | F T F   | 1 | 9 ×2            | ✗    |
   * | 10+1 = 11  | 11 but text after </answer> ✗; 12 ✓; 11 ✓   | F F T   | 1 | 12, 11: tie → 12 | ✗    |
   * pass@1 = (2 + 1 + 1)/9 = 4/9; cons@3 = 1/3;
   * pass@2 = (1 + (1 − C(2,2)/C(3,2)) + (1 − 1/3))/3 = (1 + 2/3 + 2/3)/3 = 7/9; pass@3 = 1;
   * format_rate = answer_rate = 7/9 (the two malformed samples); mean_length = total characters / 9.
   */
  test("accuracy judge: format rate is the format reward's, pass@k unbiased", async () => {
    const f = (a: string) => `<think>sum</think><answer>${a}</answer>`;
    const table = {
      "2+3": [f("5"), f("5"), "5"],
      "4+4": [f("9"), f("8"), f("9")],
      "10+1": [f("11") + " more", f("12"), f("11")],
    };
    const items = [
      { key: "a", question: "2+3", columns: { task: "arithmetic", target: 5 } },
      { key: "b", question: "4+4", columns: { task: "arithmetic", target: 8 } },
      { key: "c", question: "10+1", columns: { task: "arithmetic", target: 11 } },
    ];
    const seen: string[] = [];
    const run = await evaluate(fromPromptItems(items), new ScriptedSampler(table), accuracyJudge, { samples: 3, params: PARAMS, onProgress: (d, n) => seen.push(`${d}/${n}`) });
    expect(seen).toEqual(["1/3", "2/3", "3/3"]);
    expect(run.results.map((r) => r.correct)).toEqual([
      [true, true, false],
      [false, true, false],
      [false, false, true],
    ]);
    expect(run.results.map((r) => r.gold)).toEqual(["5", "8", "11"]);
    // A classification row's gold is its category (t2-classify has no target/answer column).
    const cls = fromPromptItems([{ key: "k", question: "q", columns: { task: "t2-classify", category: "search", categories: ["arithmetic", "search"] } }]);
    expect(cls[0]!.gold).toBe("search");
    const m = run.metrics;
    expect(m["pass@1"]).toBe(4 / 9);
    expect(m["cons@3"]).toBe(1 / 3);
    expect(m["pass@2"]).toBeCloseTo(7 / 9, 14);
    expect(m["pass@3"]).toBe(1);
    expect(m.format_rate).toBe(7 / 9);
    expect(m.answer_rate).toBe(7 / 9);
    const chars = Object.values(table).flat().reduce((a, t) => a + t.length, 0);
    expect(m.mean_length).toBe(chars / 9);
  });

  test("a sampler returning the wrong number of samples is an error", async () => {
    const bad = new ScriptedSampler(HAND);
    bad.sample = async (ps) => ps.map(() => [{ text: "\\boxed{1}", finishReason: "eos" as const }]);
    await expect(evaluate(problems, bad, mathJudge(), { samples: 4, params: PARAMS })).rejects.toThrow(/returned 1,1,1,1 samples for 4 problems × 4/);
  });

  test("the table shows rates as percentages and the mean length as a number", () => {
    const t = formatSummaryTable("eval x", { "pass@1": 0.4375, mean_length: 29.63 }, { problems: 4 });
    expect(t).toBe("eval x\n  problems           4\n  pass@1         43.8%\n  mean_length     29.6");
  });
});

describe("majorityVote", () => {
  test("ties go to the answer seen first; answerless samples do not vote", () => {
    expect(majorityVote(["5", null, "7", "7", "5"])).toEqual({ index: 0, key: "5", votes: 2 });
    expect(majorityVote([null, "7", "5", "5"])).toEqual({ index: 2, key: "5", votes: 2 });
    expect(majorityVote([null, null])).toBeNull();
  });
  test("answers vote together after normalisation", () => {
    expect(majorityVote(["\\frac12", "\\dfrac{1}{2}", "0.5"])).toMatchObject({ index: 0, votes: 2 });
    expect(majorityVote(["$1{,}000$", "1000", "999"])).toMatchObject({ index: 0, votes: 2 });
  });
});

describe("summarize", () => {
  test("passAtK is the unbiased estimator 1 − C(n−c, k)/C(n, k)", () => {
    expect(passAtK(4, 0, 2)).toBe(0);
    expect(passAtK(4, 3, 2)).toBe(1); // n − c < k: every pair holds a correct sample
    expect(passAtK(4, 2, 2)).toBeCloseTo(1 - 1 / 6, 14); // C(2,2)/C(4,2) = 1/6
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 14); // k = 1: c/n
  });

  test("pass@k uses the unbiased estimator per problem (n = 5, c = 2: pass@2 = 1 − C(3,2)/C(5,2) = 0.7)", () => {
    const r = { id: "a", question: "a", gold: "1", samples: ["", "", "", "", ""], answers: ["1", "1", "2", "2", "2"], correct: [true, true, false, false, false], num_correct: 2, cons_answer: "2", cons_correct: false };
    const s = summarize([r]);
    expect(s["pass@1"]).toBe(0.4);
    expect(s["pass@2"]).toBeCloseTo(0.7, 14);
    expect(s["pass@3"]).toBeCloseTo(1 - 1 / 10, 14);
    expect(s["pass@4"]).toBe(1);
    expect(s["cons@5"]).toBe(0);
  });
});

describe("accuracyJudge (built-in tasks, training datasets)", () => {
  test("scores with the task's accuracy reward and reads the <answer> tag", async () => {
    const p: EvalProblem = { id: "t", question: "47+85", gold: "132", columns: { task: "arithmetic", target: 132 } };
    const j = await accuracyJudge([p], [["<think>7+5=12</think><answer>132</answer>", "<think>x</think><answer>131</answer>", "132"]]);
    expect(j.correct).toEqual([[true, false, false]]);
    expect(j.answers).toEqual([["132", "131", null]]);
  });
});

describe("benchmark readers", () => {
  test("GSM8K layout: the gold answer is what follows ####", async () => {
    const path = await jsonl("gsm8k.jsonl", [
      { question: "Natalia sold 48 clips in April and half as many in May. How many in all?", answer: "48/2 = <<48/2=24>>24\n48+24 = 72\n#### 72" },
      { question: "How much is 1,000 + 234?", answer: "#### 1,234" },
    ]);
    const { layout, problems: ps } = await loadBenchmark(path);
    expect(layout).toBe("gsm8k");
    expect(ps.map((p) => p.gold)).toEqual(["72", "1,234"]);
    expect(ps[0]!.id).toBe("row-1");
  });

  test("MATH layout: the gold answer is the last \\boxed{} of the solution", async () => {
    const path = await jsonl("math.jsonl", [
      { problem: "Compute $\\sin 30^\\circ$.", solution: "We know $\\sin 30^\\circ = \\boxed{\\frac{1}{2}}$.", unique_id: "test/precalc/1.json" },
      { problem: "Solve.", solution: "First \\boxed{1}, finally $\\boxed{x^{2}+1}$" },
    ]);
    const { layout, problems: ps } = await loadBenchmark(path);
    expect(layout).toBe("math");
    expect(ps.map((p) => p.gold)).toEqual(["\\frac{1}{2}", "x^{2}+1"]);
    expect(ps[0]!.id).toBe("test/precalc/1.json");
  });

  test("AIME layout: integer answers, numbers or digit strings", async () => {
    const path = await jsonl("aime.jsonl", [
      { id: 60, problem: "Find the remainder …", answer: 204 },
      { id: 61, problem: "Find m + n …", answer: "033" },
    ]);
    const { layout, problems: ps } = await loadBenchmark(path);
    expect(layout).toBe("aime");
    expect(ps.map((p) => [p.id, p.gold])).toEqual([["60", "204"], ["61", "33"]]);
  });

  test("AIME layout from Parquet (INT32 answers)", async () => {
    const buf = parquetWriteBuffer({
      columnData: [
        { name: "problem", data: ["Find x.", "Find y."], type: "STRING" },
        { name: "answer", data: [7, 450], type: "INT32" },
      ],
    });
    const path = join(tmp, "aime.parquet");
    await writeFile(path, new Uint8Array(buf));
    const { layout, problems: ps } = await loadBenchmark(path, { layout: "aime" });
    expect(layout).toBe("aime");
    expect(ps.map((p) => [p.question, p.gold])).toEqual([["Find x.", "7"], ["Find y.", "450"]]);
  });

  test("field mapping overrides the layout's names; limit reads the first rows", async () => {
    const path = await jsonl("custom.jsonl", [{ q: "2+2?", final: 4 }, { q: "3+3?", final: "6" }, { q: "x", final: "y" }]);
    const { layout, problems: ps } = await loadBenchmark(path, { questionField: "q", answerField: "final", limit: 2 });
    expect(layout).toBe("fields");
    expect(ps.map((p) => [p.question, p.gold])).toEqual([["2+2?", "4"], ["3+3?", "6"]]);
  });

  test("thinkrl train's layout (prompt + answer) reads as the fields layout", async () => {
    const path = await jsonl("train-layout.jsonl", [{ prompt: "What is 2+2?", answer: "4" }, { prompt: "Half of 3?", answer: 1.5, task: "x" }]);
    const { layout, problems: ps } = await loadBenchmark(path);
    expect(layout).toBe("fields");
    expect(ps.map((p) => [p.question, p.gold])).toEqual([["What is 2+2?", "4"], ["Half of 3?", "1.5"]]);
  });

  test("auto-detection picks the layout from the first row", () => {
    expect(detectLayout({ question: "q", answer: "x #### 3" })).toBe("gsm8k");
    expect(detectLayout({ problem: "p", solution: "\\boxed{1}" })).toBe("math");
    expect(detectLayout({ problem: "p", answer: 12 })).toBe("aime");
    expect(detectLayout({ problem: "p", answer: "\\frac{1}{2}" })).toBe("fields");
  });

  test("a bad row is a DatasetError naming file:line and the field", async () => {
    const path = await jsonl("bad-gsm8k.jsonl", [{ question: "a", answer: "#### 1" }, { question: "b", answer: "no marker" }]);
    const err = await loadBenchmark(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toBe(`${path}:2: answer field 'answer' has no '####' final answer (layout gsm8k)`);
    const aime = await jsonl("bad-aime.jsonl", [{ problem: "a", answer: 3 }, { problem: "b", answer: "3.5" }]);
    await expect(loadBenchmark(aime, { layout: "aime" })).rejects.toThrow(`${aime}:2: answer field 'answer' is not an integer (got "3.5")`);
    const noQ = await jsonl("noq.jsonl", [{ answer: 3 }]);
    await expect(loadBenchmark(noQ)).rejects.toThrow(`${noQ}:1: question field 'question' must be a non-empty string`);
  });
});
