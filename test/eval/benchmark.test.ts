/**
 * The benchmark harness: R1-protocol numbers (pass@1, cons@n, unbiased pass@k) on a hand-checked dataset with a
 * deterministic fake solver, tie-breaking of the majority vote, the built-in task judge, and the dataset readers
 * for the GSM8K, MATH and AIME layouts (JSONL and Parquet).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DatasetError } from "../../src/core/errors.js";
import { majorityVote, mathJudge, runBenchmark, summarize, taskJudge } from "../../src/eval/benchmark.js";
import { detectLayout, loadBenchmark, type BenchmarkProblem } from "../../src/eval/problems.js";
import type { EvalSampler } from "../../src/eval/solver.js";

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

/** A solver whose answers are known: it returns the listed completions for each question, in order. */
function fakeSampler(table: Record<string, string[]>): EvalSampler & { calls: number } {
  const f = (async (questions: string[], n: number) => {
    f.calls++;
    return questions.map((q) => {
      const s = table[q];
      if (!s || s.length !== n) throw new Error(`fake sampler: no ${n} samples for ${q}`);
      return s;
    });
  }) as EvalSampler & { calls: number };
  f.calls = 0;
  return f;
}

/**
 * Four problems × 4 samples, checked by hand:
 * | problem | correct flags | c | vote (normalised)                  | cons |
 * | q1 = 12 | T T F T       | 3 | 12 ×2, 13, 12.0 → 12               | ✓    |
 * | q2 = ½  | T F F T       | 2 | 1/3 ×2, 0.5, \frac{1}{2} → 1/3     | ✗    |
 * | q3 = 7  | T F F T       | 2 | 7 ×2 vs 5 ×2: tie → first seen, 7  | ✓    |
 * | q4 = 3  | F F F F       | 0 | 4 ×2 (two samples have no answer)  | ✗    |
 * pass@1 = (3/4 + 2/4 + 2/4 + 0)/4 = 7/16; cons@4 = 2/4;
 * pass@2 = (1 + (1 − C(2,2)/C(4,2)) × 2 + 0)/4 = (1 + 5/6 + 5/6)/4 = 2/3; pass@3 = pass@4 = 3/4;
 * answer_rate = (1 + 1 + 1 + 2/4)/4 = 7/8.
 */
const HAND: Record<string, string[]> = {
  q1: ["so \\boxed{12}", "the answer is 12", "\\boxed{13}", "\\boxed{12.0}"],
  q2: ["\\boxed{0.5}", "\\boxed{1/3}", "it is $\\boxed{1/3}$", "\\boxed{\\frac12}"],
  q3: ["\\boxed{7}", "\\boxed{5}", "\\boxed{5}", "\\boxed{7}"],
  q4: ["nothing", "\\boxed{4}", "\\boxed{4}", ""],
};
const GOLD: Record<string, string> = { q1: "12", q2: "\\frac{1}{2}", q3: "7", q4: "3" };
const problems: BenchmarkProblem[] = Object.keys(HAND).map((q) => ({ id: q, question: q, gold: GOLD[q]!, columns: { answer: GOLD[q] } }));

describe("runBenchmark on a hand-checked dataset", () => {
  test("pass@1, cons@4 and pass@k equal the hand-computed values", async () => {
    const run = await runBenchmark(problems, fakeSampler(HAND), mathJudge(), { samples: 4, chunk: 3 });
    expect(run.results.map((r) => r.correct)).toEqual([
      [true, true, false, true],
      [true, false, false, true],
      [true, false, false, true],
      [false, false, false, false],
    ]);
    expect(run.results.map((r) => r.cons_answer)).toEqual(["12", "1/3", "7", "4"]);
    expect(run.results.map((r) => r.cons_correct)).toEqual([true, false, true, false]);
    const s = run.summary;
    expect(Object.keys(s)).toEqual(["pass@1", "cons@4", "pass@2", "pass@3", "pass@4", "answer_rate", "format_rate"]);
    expect(s["pass@1"]).toBe(7 / 16);
    expect(s["cons@4"]).toBe(0.5);
    expect(s["pass@2"]).toBeCloseTo(2 / 3, 14);
    expect(s["pass@3"]).toBe(0.75);
    expect(s["pass@4"]).toBe(0.75);
    expect(s.answer_rate).toBe(7 / 8);
    expect(s.format_rate).toBe(0);
  });

  test("problems are sent to the solver in chunks and results keep the problem order", async () => {
    const sampler = fakeSampler(HAND);
    const run = await runBenchmark(problems, sampler, mathJudge(), { samples: 4, chunk: 3 });
    expect(sampler.calls).toBe(2);
    expect(run.results.map((r) => r.id)).toEqual(["q1", "q2", "q3", "q4"]);
    expect(run.results[3]!.answers).toEqual([null, "4", "4", null]);
  });

  test("a solver returning the wrong number of samples is an error", async () => {
    const bad: EvalSampler = async (qs) => qs.map(() => ["\\boxed{1}"]);
    await expect(runBenchmark(problems, bad, mathJudge(), { samples: 4 })).rejects.toThrow(/returned 1,1,1,1 samples for 4 problems × 4/);
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

describe("taskJudge (built-in tasks)", () => {
  test("scores with the task's accuracy reward and reads the <answer> tag", async () => {
    const p: BenchmarkProblem = { id: "t", question: "47+85", gold: "132", columns: { task: "arithmetic", target: 132 } };
    const j = await taskJudge([p], [["<think>7+5=12</think><answer>132</answer>", "<think>x</think><answer>131</answer>", "132"]]);
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
