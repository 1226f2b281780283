/**
 * `thinkrl eval` with an OpenAI-compatible endpoint as the solver: the real local test server answers with
 * completions chosen per (question, sample index), on a hand-checked GSM8K-layout file; pass@1, cons@4 and pass@k
 * must equal the hand-computed values, through the library (`evaluate` with the `EndpointClient` as its sampler) and
 * through the CLI run as a child process.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { r1ZeroPrompt } from "../../src/data/template.js";
import { evaluate } from "../../src/eval/evaluate.js";
import { mathJudge } from "../../src/eval/judge.js";
import type { ProblemResult } from "../../src/eval/metrics.js";
import { loadBenchmark } from "../../src/eval/problems.js";
import { EndpointClient } from "../../src/rollout/endpoint.js";
import { startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";

const run = promisify(execFile);

const Q1 = "Tom has 3 apples and buys 4 more. How many apples does he have?";
const Q2 = "A bike costs $1,000 and a helmet $200. What do both cost?";
const Q3 = "What is 10 divided by 4?";

/** GSM8K layout: the gold answer follows `####`. */
const ROWS = [
  { question: Q1, answer: "He has 3 + 4 = <<3+4=7>>7 apples.\n#### 7" },
  { question: Q2, answer: "1,000 + 200 = <<1000+200=1200>>1,200\n#### 1,200" },
  { question: Q3, answer: "10 / 4 = <<10/4=2.5>>2.5\n#### 2.5" },
];

/**
 * What the server answers: sample i of a question (seed 0 → sample index i). Checked by hand:
 * | problem | answers                       | correct | c | majority vote                    | cons |
 * | Q1 = 7  | 7 (tags), 7, 8, 7             | T T F T | 3 | 7 ×3                             | ✓    |
 * | Q2 = 1200 | 1100, 1200, 1100, 1,200     | F T F T | 2 | 1100 ×2 vs 1200 ×2: tie → 1100   | ✗    |
 * | Q3 = 2.5 | none, 3, 3, 2                | F F F F | 0 | 3 ×2                             | ✗    |
 * pass@1 = (3/4 + 2/4 + 0)/3 = 5/12; cons@4 = 1/3;
 * pass@2 = (1 + (1 − C(2,2)/C(4,2)) + 0)/3 = (1 + 5/6)/3 = 11/18; pass@3 = pass@4 = (1 + 1 + 0)/3 = 2/3;
 * answer_rate = (1 + 1 + 3/4)/3 = 11/12; format_rate = (1/4 + 0 + 0)/3 = 1/12; mean_length from the server's
 * `usage` (one sample per request), not checked here.
 */
const ANSWERS: Record<string, string[]> = {
  [Q1]: ["<think>3 + 4 = 7</think><answer>7</answer>", "So he has \\boxed{7} apples.", "The answer is 8", "\\boxed{7}"],
  [Q2]: ["\\boxed{1100}", "Together: \\boxed{1200}", "\\boxed{1100}", "\\boxed{1,200}"],
  [Q3]: ["I cannot tell.", "\\boxed{3}", "\\boxed{3}", "It is $2$"],
};
const EXPECTED_CORRECT = [
  [true, true, false, true],
  [false, true, false, true],
  [false, false, false, false],
];

/** Which question a prompt is: the chat user message is the question; a completions prompt embeds it. */
function questionOf(prompt: string): string {
  const q = Object.keys(ANSWERS).find((k) => prompt === k || prompt === r1ZeroPrompt(k));
  if (q === undefined) throw new Error(`test server: unexpected prompt ${JSON.stringify(prompt.slice(0, 80))}`);
  return q;
}

let tmp: string;
let data: string;
let server: OpenAIServer;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-endpoint-eval-"));
  data = join(tmp, "gsm8k-mini.jsonl");
  await writeFile(data, ROWS.map((r) => JSON.stringify(r)).join("\n") + "\n");
  server = await startOpenAIServer({ respond: ({ prompt, sampleIndex }) => ({ content: ANSWERS[questionOf(prompt)]![sampleIndex]! }), latencyMs: 5 });
});
afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

/**
 * `x` is the rational num/den: equal to the double nearest num/den up to floating-point rounding of the sums and
 * products that computed it (a few ulp; 1e-15 is ~9 ulp at 0.6 and far below 1/den for any den here).
 */
function expectRational(x: number | undefined, num: number, den: number): void {
  expect(x).toBeTypeOf("number");
  expect(Math.abs(x! - num / den)).toBeLessThanOrEqual(1e-15);
}

function expectHandValues(summary: Record<string, number>): void {
  expect(Object.keys(summary)).toEqual(["pass@1", "cons@4", "pass@2", "pass@3", "pass@4", "answer_rate", "format_rate", "mean_length"]);
  expect(summary.mean_length).toBeGreaterThan(0);
  expectRational(summary["pass@1"], 5, 12);
  expectRational(summary["cons@4"], 1, 3);
  expectRational(summary["pass@2"], 11, 18);
  expectRational(summary["pass@3"], 2, 3);
  expectRational(summary["pass@4"], 2, 3);
  expectRational(summary.answer_rate, 11, 12);
  expectRational(summary.format_rate, 1, 12);
}

function expectHandResults(results: ProblemResult[]): void {
  expect(results.map((r) => r.id)).toEqual(["row-1", "row-2", "row-3"]);
  expect(results.map((r) => r.question)).toEqual([Q1, Q2, Q3]);
  expect(results.map((r) => r.gold)).toEqual(["7", "1,200", "2.5"]);
  expect(results.map((r) => r.samples)).toEqual([ANSWERS[Q1], ANSWERS[Q2], ANSWERS[Q3]]);
  expect(results.map((r) => r.answers)).toEqual([
    ["7", "7", "8", "7"],
    ["1100", "1200", "1100", "1,200"],
    [null, "3", "3", "2"],
  ]);
  expect(results.map((r) => r.correct)).toEqual(EXPECTED_CORRECT);
  expect(results.map((r) => r.num_correct)).toEqual([3, 2, 0]);
  expect(results.map((r) => r.cons_answer)).toEqual(["7", "1100", "3"]);
  expect(results.map((r) => r.cons_correct)).toEqual([true, false, false]);
}

describe("an endpoint as the eval sampler (library)", () => {
  test("chat API: pass@1, cons@4 and pass@k equal the hand-computed values", async () => {
    const before = server.stats.requests;
    const { problems, layout } = await loadBenchmark(data);
    expect(layout).toBe("gsm8k");
    const client = new EndpointClient({ baseUrl: server.url, model: "teacher", concurrency: 3 });
    const out = await evaluate(problems, client, mathJudge(), { samples: 4, params: { temperature: 0.6, topP: 0.95, maxTokens: 1024, seed: 0 } });
    expectHandResults(out.results);
    expectHandValues(out.metrics);
    // One request per sample, the question as the only (user) message, the R1 sampling settings.
    expect(server.stats.requests - before).toBe(12);
    const bodies = server.stats.bodies.slice(-12);
    expect(bodies.every((b) => b.model === "teacher" && b.temperature === 0.6 && b.top_p === 0.95 && b.max_tokens === 1024)).toBe(true);
    expect(bodies.map((b) => b.messages)).toContainEqual([{ role: "user", content: Q2 }]);
    expect(bodies.map((b) => b.seed).sort()).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
  });

  test("progress is reported once per problem", async () => {
    const { problems } = await loadBenchmark(data);
    const seen: string[] = [];
    const client = new EndpointClient({ baseUrl: server.url, model: "teacher", api: "completions" });
    const params = { temperature: 0.6, topP: 0.95, maxTokens: 64, seed: 0 };
    const out = await evaluate(problems, client, mathJudge(), { samples: 4, params, onProgress: (d, n) => seen.push(`${d}/${n}`) });
    expect(seen).toEqual(["1/3", "2/3", "3/3"]);
    expectHandValues(out.metrics);
  });
});

describe("thinkrl eval --endpoint (CLI, child process)", () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "eval", ...args], { cwd: process.cwd(), env: { ...process.env, ...env }, timeout: 60_000 });

  test("completions API with the R1-Zero template, an API key and a concurrency limit: same numbers, results file by hand", async () => {
    server.set({ apiKey: "sk-test-123" });
    const before = server.stats.requests;
    server.stats.maxInFlight = 0;
    const out = join(tmp, "cli-run");
    try {
      const { stdout } = await cli(
        ["--dataset", data, "--endpoint", server.url, "--endpoint-model", "teacher", "--endpoint-api", "completions", "--api-key-env", "THINKRL_TEST_KEY", "--concurrency", "2", "--max-tokens", "256", "--eval-samples", "4", "--out", out, "--json"],
        { THINKRL_TEST_KEY: "sk-test-123" },
      );
      const printed = JSON.parse(stdout) as Record<string, unknown>;
      expect(printed).toMatchObject({ dataset: data, layout: "gsm8k", model: "teacher", endpoint: `${server.url}/completions`, api: "completions", max_tokens: 256, problems: 3, samples: 4, requests: 12, retries: 0 });
      const summary = JSON.parse(await readFile(join(out, "summary.json"), "utf8")) as Record<string, number>;
      expect(summary).toEqual(printed);
      const { dataset: _d, layout: _l, model: _m, endpoint: _e, api: _a, max_tokens: _t, problems: _p, samples: _s, temperature, top_p, seconds: _sec, requests: _r, retries: _rt, ...metrics } = summary;
      expect([temperature, top_p]).toEqual([0.6, 0.95]);
      expectHandValues(metrics);
      const lines = (await readFile(join(out, "results.jsonl"), "utf8")).trim().split("\n");
      expectHandResults(lines.map((l) => JSON.parse(l) as ProblemResult));
    } finally {
      server.set({ apiKey: null });
    }
    expect(server.stats.requests - before).toBe(12);
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(2);
    const bodies = server.stats.bodies.slice(-12);
    expect(new Set(bodies.map((b) => b.prompt))).toEqual(new Set([Q1, Q2, Q3].map(r1ZeroPrompt)));
    expect(bodies.every((b) => b.max_tokens === 256 && b.temperature === 0.6 && b.top_p === 0.95)).toBe(true);
    expect(server.stats.authHeaders.slice(-12).every((h) => h === "Bearer sk-test-123")).toBe(true);
  }, 60_000);

  test("--endpoint without --endpoint-model, or with --model, fails with one line", async () => {
    const e1 = await cli(["--dataset", data, "--endpoint", server.url]).catch((e: { code: number; stderr: string }) => e);
    expect(e1).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: eval: --endpoint needs --endpoint-model <name>/) });
    const e2 = await cli(["--dataset", data, "--endpoint", server.url, "--endpoint-model", "m", "--model", "x"]).catch((e: { code: number; stderr: string }) => e);
    expect(e2).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: eval: pass --model or --endpoint, not both/) });
  }, 60_000);
});
