/** `thinkrl eval`'s settings as a library config: one set of defaults, flag aliases, checks before any model loads. */
import { describe, expect, test } from "vitest";
import { BENCHMARK_DEFAULTS, R1_EVAL_SAMPLING } from "../../src/eval/defaults.js";
import { benchmarkConfigFromOptions, resolveBenchmarkConfig } from "../../src/pipeline/benchmark.js";

describe("benchmark config", () => {
  test("defaults: R1 sampling; the completion budget depends on local model vs endpoint", () => {
    const local = resolveBenchmarkConfig({ out: "o" });
    expect(local).toMatchObject({ dataset: "arithmetic", layout: "auto", evalSamples: 4, ...R1_EVAL_SAMPLING, maxCompletionLength: 48, batchSize: 256, seed: 0, model: null, endpoint: null });
    const ep = benchmarkConfigFromOptions({ out: "o", endpoint: "http://h/v1", endpointModel: "m", concurrency: 3 });
    expect(ep.maxCompletionLength).toBe(BENCHMARK_DEFAULTS.maxCompletionLengthEndpoint);
    expect(ep.endpoint).toEqual({ baseUrl: "http://h/v1", model: "m", concurrency: 3 });
  });

  test("--max-new-tokens and --max-tokens are aliases of --max-completion-length; two of them are refused", () => {
    expect(benchmarkConfigFromOptions({ maxNewTokens: 32 }).maxCompletionLength).toBe(32);
    expect(benchmarkConfigFromOptions({ maxTokens: 33 }).maxCompletionLength).toBe(33);
    expect(() => benchmarkConfigFromOptions({ maxTokens: 1, maxNewTokens: 2 })).toThrow(/give one of --max-completion-length, --max-new-tokens, --max-tokens/);
  });

  test("bad values and inconsistent endpoints fail with one message", () => {
    expect(() => resolveBenchmarkConfig({ evalSamples: 0 })).toThrow(/evalSamples \(--eval-samples\) must be an integer ≥ 1 \(got 0\)/);
    expect(() => resolveBenchmarkConfig({ topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => resolveBenchmarkConfig({ layout: "csv" as never })).toThrow(/layout must be one of auto, gsm8k, math, aime, fields/);
    expect(() => resolveBenchmarkConfig({ evalSample: 2 } as never)).toThrow(/unknown option "evalSample"/);
    expect(() => benchmarkConfigFromOptions({ endpoint: "http://h" })).toThrow(/^eval: --endpoint needs --endpoint-model/);
    expect(() => benchmarkConfigFromOptions({ endpointModel: "m" })).toThrow(/^eval: --endpoint-model needs --endpoint/);
    expect(() => benchmarkConfigFromOptions({ endpoint: "http://h", endpointModel: "m", model: "d" })).toThrow(/^eval: pass --model or --endpoint, not both/);
  });
});
