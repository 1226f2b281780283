import { afterEach, describe, expect, test } from "vitest";
import { EndpointError } from "../../src/core/errors.js";
import { EndpointClient, endpointUrl, resolveEndpointConfig } from "../../src/rollout/endpoint.js";
import { defaultAnswer, startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";

let server: OpenAIServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** Fast retries for tests. */
const FAST = { retryBaseMs: 2, retryMaxMs: 20 };
const PARAMS = { temperature: 0.6, topP: 0.95, maxTokens: 64, seed: 100 };
const prompts = ["1+1", "2+3", "7*8", "10-4", "9/3"].map((question) => ({ question }));

describe("endpointUrl", () => {
  test("adds /v1 to a bare host and keeps a base path", () => {
    expect(endpointUrl("http://localhost:8000", "chat")).toBe("http://localhost:8000/v1/chat/completions");
    expect(endpointUrl("http://localhost:8000/v1/", "completions")).toBe("http://localhost:8000/v1/completions");
    expect(endpointUrl("https://x.ai/v1beta/openai", "chat")).toBe("https://x.ai/v1beta/openai/chat/completions");
    expect(endpointUrl("https://x.ai/v1/chat/completions", "chat")).toBe("https://x.ai/v1/chat/completions");
  });
  test("rejects a non-URL and bad numbers with the value", () => {
    expect(() => endpointUrl("localhost:8000", "chat")).toThrow(/http\(s\)|valid URL/);
    expect(() => resolveEndpointConfig({ baseUrl: "http://a", model: "m", concurrency: 0 })).toThrow(/concurrency must be an integer ≥ 1 \(got 0\)/);
  });
});

describe("EndpointClient against a local OpenAI-compatible server", () => {
  test("sample reproduces the server's outputs (sample i uses seed + i), chat and completions APIs", async () => {
    server = await startOpenAIServer();
    for (const api of ["chat", "completions"] as const) {
      const client = new EndpointClient({ baseUrl: server.url, model: "teacher", api, ...FAST });
      const out = await client.sample(prompts, 3, PARAMS);
      expect(out).toHaveLength(prompts.length);
      out.forEach((samples, p) => {
        const prompt = api === "chat" ? prompts[p]!.question : (server!.stats.bodies.find((b) => String(b.prompt).includes(`User: ${prompts[p]!.question}\n`))!.prompt as string);
        expect(samples.map((s) => s.text)).toEqual([0, 1, 2].map((i) => defaultAnswer({ prompt, sampleIndex: 100 + i, body: {} }).content));
        expect(samples.every((s) => s.finishReason === "stop" && typeof s.tokens === "number" && s.tokens > 0)).toBe(true);
      });
      expect(client.stats.completionTokens).toBeGreaterThan(0);
    }
    const body = server.stats.bodies[0]!;
    expect(body).toMatchObject({ model: "teacher", temperature: 0.6, top_p: 0.95, max_tokens: 64 });
    expect(body.messages).toEqual([{ role: "user", content: "1+1" }]);
  });

  test("several samples per request (n) come back in index order", async () => {
    server = await startOpenAIServer();
    const client = new EndpointClient({ baseUrl: server.url, model: "m", samplesPerRequest: 4, ...FAST });
    const out = await client.sample(prompts.slice(0, 2), 6, PARAMS);
    expect(server.stats.requests).toBe(4); // 2 prompts × (4 + 2)
    expect(out[1]!.map((s) => s.text)).toEqual([0, 1, 2, 3, 4, 5].map((i) => defaultAnswer({ prompt: "2+3", sampleIndex: 100 + i, body: {} }).content));
    expect(out[1]![0]!.tokens).toBeUndefined(); // usage covers all choices of a request
  });

  test("survives 30% failures (500, 429, connection reset, hang) with retries and loses nothing", async () => {
    server = await startOpenAIServer({ failRate: 0.3, failModes: ["500", "429", "reset", "hang"], failSeed: 3 });
    const client = new EndpointClient({ baseUrl: server.url, model: "m", concurrency: 4, maxRetries: 10, timeoutMs: 300, ...FAST });
    const many = Array.from({ length: 12 }, (_, i) => ({ question: `q${i}` }));
    const out = await client.sample(many, 4, PARAMS);
    const f = server.stats.failures;
    expect(f["500"] + f["429"] + f.reset + f.hang).toBeGreaterThan(5);
    expect(f.reset).toBeGreaterThan(0);
    expect(f.hang).toBeGreaterThan(0);
    out.forEach((samples, p) => expect(samples.map((s) => s.text)).toEqual([0, 1, 2, 3].map((i) => defaultAnswer({ prompt: `q${p}`, sampleIndex: 100 + i, body: {} }).content)));
    expect(client.stats.retries).toBe(server.stats.requests - 48);
  });

  test("respects the concurrency limit (server counts requests in flight)", async () => {
    server = await startOpenAIServer({ latencyMs: 50 });
    const client = new EndpointClient({ baseUrl: server.url, model: "m", concurrency: 3, ...FAST });
    await client.sample(prompts, 4, PARAMS);
    expect(server.stats.requests).toBe(20);
    expect(server.stats.maxInFlight).toBe(3);
  });

  test("many queued requests raise no listener-count warning (one abort listener per request signal)", async () => {
    server = await startOpenAIServer({ latencyMs: 5 });
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const client = new EndpointClient({ baseUrl: server.url, model: "m", concurrency: 1, ...FAST });
      const many = Array.from({ length: 30 }, (_, i) => ({ question: `q${i}` }));
      expect(await client.sample(many, 1, PARAMS)).toHaveLength(30);
      await new Promise((r) => setTimeout(r, 10)); // warnings are emitted on a later tick
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w === "MaxListenersExceededWarning")).toEqual([]);
  });

  test("reasoning_content and reasoning become <think>…</think> before the content", async () => {
    for (const field of ["reasoning_content", "reasoning"] as const) {
      server = await startOpenAIServer({ reasoningField: field, respond: ({ sampleIndex }) => ({ content: `<answer>${sampleIndex}</answer>`, reasoning: `thought ${sampleIndex}` }) });
      const client = new EndpointClient({ baseUrl: server.url, model: "m", ...FAST });
      const out = await client.sample([{ question: "x" }], 2, { ...PARAMS, seed: 0 });
      expect(out[0]!.map((s) => s.text)).toEqual(["<think>thought 0</think><answer>0</answer>", "<think>thought 1</think><answer>1</answer>"]);
      await server.close();
      server = null;
    }
  });

  test("a malformed response is rejected with a clear message naming the URL, after the retry budget", async () => {
    server = await startOpenAIServer({ malformed: "json" });
    const client = new EndpointClient({ baseUrl: server.url, model: "m", maxRetries: 2, ...FAST });
    const err = await client.sample(prompts.slice(0, 1), 1, PARAMS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointError);
    expect((err as Error).message).toBe(`POST ${server.url}/chat/completions: response is not valid JSON: "{"id":"x","choices":[{"message":" (after 3 attempts)`);
    server.set({ malformed: "shape" });
    await expect(client.sample(prompts.slice(0, 1), 1, PARAMS)).rejects.toThrow(/chat\/completions: response has no 'choices' array \(after 3 attempts\)/);
  });

  test("4xx is not retried; the API key comes from the named environment variable", async () => {
    server = await startOpenAIServer({ apiKey: "sk-test" });
    const noKey = new EndpointClient({ baseUrl: server.url, model: "m", apiKeyEnv: "MY_KEY", ...FAST }, { env: {} });
    const err = (await noKey.sample(prompts.slice(0, 1), 1, PARAMS).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/HTTP 401 Unauthorized: invalid api key$/);
    expect(server.stats.requests).toBe(1);
    const withKey = new EndpointClient({ baseUrl: server.url, model: "m", apiKeyEnv: "MY_KEY", ...FAST }, { env: { MY_KEY: "sk-test" } });
    await expect(withKey.sample(prompts.slice(0, 1), 1, PARAMS)).resolves.toHaveLength(1);
    expect(server.stats.authHeaders.at(-1)).toBe("Bearer sk-test");
    expect(JSON.stringify(withKey.provenance)).not.toContain("sk-test");
  });

  test("a server that keeps failing gives an EndpointError after the budget, and stops the other requests", async () => {
    server = await startOpenAIServer({ alwaysStatus: 503 });
    const client = new EndpointClient({ baseUrl: server.url, model: "m", maxRetries: 3, concurrency: 2, ...FAST });
    const done: number[] = [];
    await expect(client.sample(prompts, 2, PARAMS, { onPrompt: (i) => void done.push(i) })).rejects.toThrow(/HTTP 503 Service Unavailable: injected 503 \(after 4 attempts\)/);
    expect(done).toEqual([]);
    expect(server.stats.requests).toBeLessThan(prompts.length * 2 * 4);
  });

  test("a connection refused is a network error naming the URL", async () => {
    const gone = await startOpenAIServer();
    await gone.close(); // nothing listens on its port any more
    const client = new EndpointClient({ baseUrl: gone.url, model: "m", maxRetries: 1, ...FAST });
    const err = (await client.sample(prompts.slice(0, 1), 1, PARAMS).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/network error \(fetch failed: ECONNREFUSED.*\(after 2 attempts\)$/);
    expect(err.message.startsWith(`POST ${gone.url}/chat/completions: `)).toBe(true);
  });
});
