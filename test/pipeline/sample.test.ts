import { mkdtemp, readFile, appendFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ConfigError, EndpointError } from "../../src/core/errors.js";
import { keepSamples, type Candidate } from "../../src/pipeline/keep.js";
import { longestParagraph, readabilityReject, type ReadabilityFilters } from "../../src/pipeline/readability.js";
import { indexPath, resolveSampleConfig, runSample, runSampleJob, sampleJobFromOptions, type SampleConfig } from "../../src/pipeline/rejection-sampling.js";
import { EndpointClient } from "../../src/rollout/endpoint.js";
import { startOpenAIServer, type OpenAIServer, type RespondInput } from "../helpers/openai-server.js";

// ── hand-made cases ─────────────────────────────────────────────────────────────────────────────────────

const cand = (index: number, correct: number | null, total: number | null, len: number, rejected = false): Candidate => ({
  index,
  text: "x".repeat(len),
  correct,
  total,
  rejected,
});

describe("keep policies", () => {
  const cs = [cand(0, 1, 1.1, 30), cand(1, 0, 0.1, 5), cand(2, 1, 1.1, 10), cand(3, 1, 1.0, 8), cand(4, null, null, 2), cand(5, 1, 1.1, 10)];
  test("all-correct keeps every sample whose correctness is 1, in sample order", () => {
    expect(keepSamples("all-correct", cs).map((c) => c.index)).toEqual([0, 2, 3, 5]);
  });
  test("best-of-n keeps the highest total; ties go to the shorter, then the earlier sample", () => {
    expect(keepSamples("best-of-n", cs).map((c) => c.index)).toEqual([2]);
    expect(keepSamples("best-of-n", [cand(0, 0, 0.2, 9), cand(1, 0, 0.1, 1)]).map((c) => c.index)).toEqual([0]);
  });
  test("shortest-correct keeps the shortest correct sample (Kimi k1.5 §2.4)", () => {
    expect(keepSamples("shortest-correct", cs).map((c) => c.index)).toEqual([3]);
  });
  test("token counts beat characters when every sample has them", () => {
    const withTokens = [{ ...cand(0, 1, 1, 5), tokens: 50 }, { ...cand(1, 1, 1, 50), tokens: 5 }];
    expect(keepSamples("shortest-correct", withTokens).map((c) => c.index)).toEqual([1]);
  });
  test("readability-rejected and unscorable samples are never kept; no survivor keeps nothing", () => {
    const bad = [cand(0, 1, 2, 3, true), cand(1, null, null, 1), cand(2, 0, 0, 1, true)];
    for (const p of ["all-correct", "best-of-n", "shortest-correct"] as const) expect(keepSamples(p, bad)).toEqual([]);
  });
});

describe("readability filters (R1 stage 3)", () => {
  const on: ReadabilityFilters = { mixedLanguage: true, mixedLanguageMinShare: 0.95, longParagraphs: 40, codeBlocks: true };
  const latin = ["Latin"] as const;
  test("mixed language: a CoT switching to Chinese is dropped, one without words passes", () => {
    expect(readabilityReject("<think>First add the units, 然后 我们 进位 to the tens</think><answer>5</answer>", on, latin)).toBe("mixed_language");
    expect(readabilityReject("<think>7+5=12,4+8+1=13</think><answer>132</answer>", on, latin)).toBeNull();
    expect(readabilityReject("<think>first add units</think><answer>然后</answer>", on, latin)).toBeNull(); // only the CoT counts
  });
  test("long paragraphs: any paragraph over N characters", () => {
    expect(longestParagraph("ab\n\nabcd\n \nabc")).toBe(4);
    expect(readabilityReject(`<think>${"word ".repeat(10)}\n\nshort</think>`, on, latin)).toBe("long_paragraph");
    expect(readabilityReject(`<think>${"word ".repeat(5)}\n\n${"more ".repeat(5)}</think>`, on, latin)).toBeNull();
  });
  test("code blocks: a fenced block in the CoT", () => {
    expect(readabilityReject("<think>try\n```py\nprint(1)\n```\n</think><answer>1</answer>", on, latin)).toBe("code_block");
    expect(readabilityReject("<think>try\n~~~\nx\n~~~</think>", on, latin)).toBe("code_block");
    expect(readabilityReject("<think>use `x` inline</think>", on, latin)).toBeNull();
  });
  test("each filter is a switch", () => {
    const off: ReadabilityFilters = { mixedLanguage: false, mixedLanguageMinShare: 0.95, longParagraphs: null, codeBlocks: false };
    expect(readabilityReject(`<think>然后 ${"x".repeat(99)}\n\`\`\`\ncode\n\`\`\`</think>`, off, latin)).toBeNull();
  });
});

describe("resolveSampleConfig", () => {
  test("defaults depend on the sampler kind; bad values quote themselves", () => {
    expect(resolveSampleConfig({ dataset: "arithmetic", out: "x.jsonl" }, "local").maxCompletionLength).toBe(48);
    expect(resolveSampleConfig({ dataset: "arithmetic", out: "x.jsonl" }, "endpoint").maxCompletionLength).toBe(4096);
    expect(() => resolveSampleConfig({ dataset: "a.jsonl", out: "o", keep: "best" as never }, "local")).toThrow(/keep must be one of all-correct, best-of-n, shortest-correct, all \(got "best"\)/);
    expect(() => resolveSampleConfig({ dataset: "a.jsonl", out: "o", rewardFuncs: ["format"] }, "local")).toThrow(/needs the correctness reward 'accuracy'/);
    expect(() => resolveSampleConfig({ dataset: "a.jsonl", out: "o", numSamples: 0 }, "local")).toThrow(/numSamples must be an integer ≥ 1 \(got 0\)/);
  });
});

// ── against the local OpenAI-compatible server ──────────────────────────────────────────────────────────

/**
 * Answers "a+b" by sample index k = i mod 4: 0 correct (long CoT), 1 wrong, 2 correct (shortest CoT),
 * 3 correct with a code block in the CoT.
 */
function arithmetic({ prompt, sampleIndex }: RespondInput) {
  const [a, b] = prompt.split("+").map(Number) as [number, number];
  const k = sampleIndex % 4;
  const cot = ["add the units then the tens then carry", "guess", "sum", "compute\n```\nprint(a+b)\n```"][k]!;
  return { content: `<think>${cot}</think><answer>${k === 1 ? a + b + 1 : a + b}</answer>` };
}

const NUM_PROMPTS = 10;
let dir: string;
let dataset: string;
let server: OpenAIServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "thinkrl-sample-"));
  dataset = join(dir, "data.jsonl");
  const rows = Array.from({ length: NUM_PROMPTS }, (_, i) => ({ prompt: `${10 + i}+${3 * i}`, task: "arithmetic", target: 10 + 4 * i, id: `p${i}` }));
  await writeFile(dataset, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
});

let outCount = 0;
const cfgFor = (over: Partial<SampleConfig> = {}) =>
  resolveSampleConfig({ dataset, out: join(dir, `out-${outCount++}.jsonl`), numSamples: 4, maxCompletionLength: 256, promptsPerCall: 4, ...over }, "endpoint");
const clientFor = (s: OpenAIServer, over: Record<string, unknown> = {}) =>
  new EndpointClient({ baseUrl: s.url, model: "teacher", concurrency: 4, retryBaseMs: 2, retryMaxMs: 20, ...over }, { env: {} });
const lines = async (path: string) => (await readFile(path, "utf8")).split("\n").filter(Boolean);
/** Rows sorted, with the server's random port masked (each test starts its own server). */
const sorted = async (path: string) => (await lines(path)).map((l) => l.replace(/127\.0\.0\.1:\d+/g, "HOST")).sort();

describe("runSample against a local OpenAI-compatible server", () => {
  let reference: string[] = [];

  test("all-correct writes SFT-ready rows with rewards, dataset columns and provenance", async () => {
    server = await startOpenAIServer({ respond: arithmetic });
    const cfg = cfgFor();
    const summary = await runSample(cfg, { sampler: clientFor(server) });
    expect(summary).toMatchObject({ prompts: 10, samples: 40, rows: 30, rowsThisRun: 30, promptsWithoutRows: 0, correctRate: 0.75, resumedPrompts: 0 });
    const rows = (await lines(cfg.out)).map((l) => JSON.parse(l) as Record<string, any>);
    expect(rows).toHaveLength(30);
    const r = rows.find((x) => x.id === "p2" && x.provenance.sample_index === 2)!;
    expect(r).toMatchObject({
      id: "p2",
      task: "arithmetic",
      target: 18,
      prompt: "12+6",
      completion: "<think>sum</think><answer>18</answer>",
      messages: [{ role: "user", content: "12+6" }, { role: "assistant", content: "<think>sum</think><answer>18</answer>" }],
      reward: 2,
      rewards: { accuracy: 1, format: 1 },
    });
    expect(r.provenance).toMatchObject({
      sampler: "endpoint",
      endpoint: `${server.url}/chat/completions`,
      model: "teacher",
      sampling: { temperature: 0.6, top_p: 0.95, max_tokens: 256, seed: 0, n: 4 },
      reward_funcs: ["accuracy", "format"],
      reward_weights: [1, 1],
      keep: "all-correct",
      prompt_key: "row:2",
      sample_index: 2,
      finish_reason: "stop",
      tokens: 1, // the test server counts whitespace-separated words
    });
    expect(rows.every((x) => x.provenance.sample_index !== 1)).toBe(true);
    reference = await sorted(cfg.out);
  });

  test("shortest-correct and best-of-n keep one row per prompt; the code-block filter drops its samples", async () => {
    server = await startOpenAIServer({ respond: arithmetic });
    for (const keep of ["shortest-correct", "best-of-n"] as const) {
      const cfg = cfgFor({ keep });
      await runSample(cfg, { sampler: clientFor(server) });
      const rows = (await lines(cfg.out)).map((l) => JSON.parse(l) as { provenance: { sample_index: number } });
      expect(rows.map((x) => x.provenance.sample_index)).toEqual(new Array(10).fill(2));
    }
    const cfg = cfgFor({ filters: { mixedLanguage: false, mixedLanguageMinShare: 0.95, longParagraphs: null, codeBlocks: true } });
    const summary = await runSample(cfg, { sampler: clientFor(server) });
    expect(summary.filtered).toEqual({ mixed_language: 0, long_paragraph: 0, code_block: 10 });
    expect(summary.rows).toBe(20);
  });

  test("all keeps every sample with its rewards, length, correctness reward and readability verdict", async () => {
    server = await startOpenAIServer({ respond: arithmetic });
    const cfg = cfgFor({ keep: "all", filters: { mixedLanguage: false, mixedLanguageMinShare: 0.95, longParagraphs: null, codeBlocks: true } });
    const summary = await runSample(cfg, { sampler: clientFor(server) });
    expect(summary).toMatchObject({ samples: 40, rows: 40, correctRate: 0.75 });
    const rows = (await lines(cfg.out)).map((l) => JSON.parse(l) as { rewards: Record<string, number>; provenance: Record<string, unknown> });
    expect(rows.map((r) => r.provenance.sample_index)).toEqual(new Array(10).fill([0, 1, 2, 3]).flat());
    expect(rows.filter((r) => r.rewards.accuracy === 0).map((r) => r.provenance.sample_index)).toEqual(new Array(10).fill(1));
    expect(rows.filter((r) => r.provenance.readability === "code_block").map((r) => r.provenance.sample_index)).toEqual(new Array(10).fill(3));
    expect(rows.every((r) => r.provenance.correct_reward === "accuracy" && typeof r.provenance.tokens === "number")).toBe(true);
  });

  test("survives the server failing 30% of requests: retries, nothing lost, same rows", async () => {
    server = await startOpenAIServer({ respond: arithmetic, failRate: 0.3, failSeed: 11 });
    const cfg = cfgFor();
    const client = clientFor(server, { maxRetries: 10 });
    await runSample(cfg, { sampler: client });
    const f = server.stats.failures;
    expect(f["500"] + f["429"] + f.reset).toBeGreaterThan(5);
    expect(client.stats.retries).toBe(server.stats.requests - 40);
    expect(await sorted(cfg.out)).toEqual(reference);
  });

  test("a resumed run after an interrupted one (plus a torn write) never duplicates rows", async () => {
    server = await startOpenAIServer({ respond: arithmetic, latencyMs: 2 });
    const cfg = cfgFor();
    const stop = new AbortController();
    const first = runSample(cfg, { sampler: clientFor(server), signal: stop.signal, onProgress: (p) => p.done >= 4 && stop.abort(new Error("killed")) });
    await expect(first).rejects.toThrow("killed");
    const partial = await lines(cfg.out);
    expect(partial.length).toBeGreaterThanOrEqual(12);
    expect(partial.length).toBeLessThan(30);
    // A crash after a prompt's rows landed but before its index line, then a torn half row.
    await appendFile(cfg.out, `${partial[0]}\n${partial[1]!.slice(0, 25)}`);
    await expect(runSample(cfg, { sampler: clientFor(server) })).rejects.toThrow(ConfigError); // exists, no --resume
    const summary = await runSample({ ...cfg, resume: true }, { sampler: clientFor(server) });
    expect(summary.resumedPrompts).toBe(partial.length / 3);
    expect(summary.rows).toBe(30);
    const final = await sorted(cfg.out);
    expect(final).toEqual(reference);
    const keys = final.map((l) => JSON.parse(l) as { provenance: { prompt_key: string; sample_index: number } }).map((r) => `${r.provenance.prompt_key}#${r.provenance.sample_index}`);
    expect(new Set(keys).size).toBe(30);
    // Resuming a finished run does nothing.
    const again = await runSample({ ...cfg, resume: true }, { sampler: clientFor(server) });
    expect(again).toMatchObject({ resumedPrompts: 10, samples: 0, rows: 30, rowsThisRun: 0 });
    expect((await lines(indexPath(cfg.out))).length).toBe(11);
  });

  test("resuming with different settings is refused, naming the setting", async () => {
    server = await startOpenAIServer({ respond: arithmetic });
    const cfg = cfgFor({ numPrompts: 2 });
    await runSample(cfg, { sampler: clientFor(server) });
    await expect(runSample({ ...cfg, resume: true, keep: "best-of-n" }, { sampler: clientFor(server) })).rejects.toThrow(/different settings \(keep: "all-correct" → "best-of-n"\)/);
  });

  test("a malformed server response stops the run with a clear EndpointError", async () => {
    server = await startOpenAIServer({ respond: arithmetic, malformed: "shape" });
    const cfg = cfgFor();
    const err = await runSample(cfg, { sampler: clientFor(server, { maxRetries: 1 }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointError);
    expect((err as Error).message).toBe(`POST ${server.url}/chat/completions: response has no 'choices' array (after 2 attempts)`);
  });

  test("reasoning_content is folded into <think> and scored by the format reward", async () => {
    server = await startOpenAIServer({
      respond: (r) => {
        const { content } = arithmetic(r);
        const m = /^<think>([\s\S]*)<\/think>(.*)$/.exec(content)!;
        return { reasoning: m[1]!, content: m[2]! };
      },
    });
    const cfg = cfgFor({ numPrompts: 3 });
    const summary = await runSample(cfg, { sampler: clientFor(server) });
    expect(summary.rows).toBe(9);
    expect((await sorted(cfg.out)).length).toBe(9);
    const row = JSON.parse((await lines(cfg.out))[0]!) as { completion: string; rewards: { format: number } };
    expect(row.completion).toMatch(/^<think>.*<\/think><answer>\d+<\/answer>$/s);
    expect(row.rewards.format).toBe(1);
  });

  test("runSampleJob: options under the flag names (as `thinkrl sample` and recipes give them), no engine needed", async () => {
    server = await startOpenAIServer({ respond: arithmetic });
    const out = join(dir, "cli.jsonl");
    const job = sampleJobFromOptions({ dataset, out, endpoint: server.url, endpointModel: "teacher", numSamples: 4, keep: "shortest-correct", numPrompts: 5, concurrency: 2, maxNewTokens: 100 });
    expect(job.config.maxCompletionLength).toBe(100); // --max-new-tokens is an alias of --max-tokens
    const { summary, endpoint } = await runSampleJob(job, { env: {} });
    expect(summary.rows).toBe(5);
    expect(endpoint?.requests).toBe(20);
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(2);
    expect(server.stats.bodies.every((b) => b.max_tokens === 100)).toBe(true);
    expect(() => sampleJobFromOptions({ dataset, out, endpoint: server.url })).toThrow(/--endpoint needs --endpoint-model/);
    expect(() => sampleJobFromOptions({ dataset, out, endpoint: server.url, endpointModel: "m", model: "x" })).toThrow(/pass --model or --endpoint, not both/);
    expect(() => sampleJobFromOptions({ dataset, out, maxTokens: 5, maxNewTokens: 5 })).toThrow(/give one of --max-tokens, --max-new-tokens/);
  });
});
