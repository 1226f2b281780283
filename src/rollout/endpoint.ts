/**
 * Client for OpenAI-compatible servers (vLLM, SGLang, llama.cpp server, hosted APIs): `POST /v1/chat/completions`
 * or `POST /v1/completions`, as a `Sampler`.
 *
 * - **Concurrency**: at most `concurrency` requests in flight (a FIFO semaphore); a request waiting out a retry
 *   back-off does not hold a slot.
 * - **Retries**: network errors, timeouts, HTTP 408/429/5xx and malformed 200 responses (invalid JSON, wrong shape)
 *   are retried up to `maxRetries` times with exponential back-off and "equal jitter"
 *   (delay = min(retryMaxMs, retryBaseMs·2^(attempt−1)) · U[0.5, 1); a larger `Retry-After` header wins, capped at
 *   retryMaxMs). Other 4xx statuses (bad request, auth, unknown model) fail at once.
 * - **Timeouts**: each attempt is aborted after `timeoutMs` (an `AbortController` covering the body as well).
 * - **Split thinking**: servers running a reasoning parser return the chain of thought in
 *   `message.reasoning_content` (vLLM, SGLang, DeepSeek API) or `message.reasoning` (OpenRouter, newer vLLM); the
 *   sample text is then `"<think>" + reasoning + "</think>" + content`, the layout the `format` reward and R1's SFT
 *   data use. Without a reasoning field the text is `content` unchanged.
 * - **Seeds**: sample i of a prompt is requested with `seed + i`, so a retried or resumed request asks for the same
 *   sample (on servers that honour `seed`).
 * - **Errors**: an `EndpointError` naming the URL and what was wrong, e.g.
 *   `POST http://127.0.0.1:8000/v1/chat/completions: response has no 'choices' array (after 6 attempts)`.
 *   The API key never appears in errors or provenance.
 */
import type { ChatMessage } from "../data/dataset.js";
import { Rng } from "../core/rng.js";
import { renderPrompt, type PromptFormat } from "../data/template.js";
import { ConfigError, EndpointError } from "../core/errors.js";
import { chatHistory, type SampleCallOptions, type SampleFinishReason, type SampleOutput, type SampleParams, type SamplePrompt, type Sampler } from "./sampler.js";

export type EndpointApi = "chat" | "completions";

export interface EndpointConfig {
  /**
   * Server base URL. A URL without a path gets `/v1` (`http://localhost:8000` → `http://localhost:8000/v1`);
   * a URL with a path is used as is (`https://api.openai.com/v1`, `…/v1beta/openai`). A trailing
   * `/chat/completions` or `/completions` is dropped.
   */
  baseUrl: string;
  /** Model name sent in every request (`model`). */
  model: string;
  /** `chat` (`/chat/completions`, messages; default) or `completions` (`/completions`, the prompt template). */
  api: EndpointApi;
  /** Environment variable holding the API key, sent as `Authorization: Bearer …` when set. Default `OPENAI_API_KEY`. */
  apiKeyEnv: string;
  /** Maximum requests in flight. Default 8. */
  concurrency: number;
  /** Retries after the first attempt (network errors, timeouts, 408/429/5xx, malformed responses). Default 5. */
  maxRetries: number;
  /** First back-off delay (ms). Default 500. */
  retryBaseMs: number;
  /** Largest back-off delay (ms), also the cap on `Retry-After`. Default 30 000. */
  retryMaxMs: number;
  /** Per-attempt timeout (ms), body included. Default 600 000 (long reasoning traces are slow). */
  timeoutMs: number;
  /** Samples asked for per request (OpenAI `n`; llama.cpp and several hosted APIs support only 1). Default 1. */
  samplesPerRequest: number;
  /** Chat API: a system message put before the dataset's messages. Default none. */
  systemPrompt: string | null;
  /** Completions API: how the question is rendered. Default `r1-zero`. */
  promptFormat: PromptFormat;
  /** Extra fields merged into every request body (server-specific, e.g. `{ top_k: 20 }`). Default `{}`. */
  extraBody: Readonly<Record<string, unknown>>;
  /** Seed of the back-off jitter. Default 0. */
  jitterSeed: number;
}

export const ENDPOINT_DEFAULTS: Omit<EndpointConfig, "baseUrl" | "model"> = {
  api: "chat",
  apiKeyEnv: "OPENAI_API_KEY",
  concurrency: 8,
  maxRetries: 5,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  timeoutMs: 600_000,
  samplesPerRequest: 1,
  systemPrompt: null,
  promptFormat: "r1-zero",
  extraBody: {},
  jitterSeed: 0,
};

/** Fills defaults and checks every field; throws ConfigError quoting the bad value. */
export function resolveEndpointConfig(partial: Partial<EndpointConfig> & Pick<EndpointConfig, "baseUrl" | "model">): Readonly<EndpointConfig> {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as typeof partial;
  const c: EndpointConfig = { ...ENDPOINT_DEFAULTS, ...given };
  endpointUrl(c.baseUrl, c.api); // validates the URL
  if (typeof c.model !== "string" || c.model === "") throw new ConfigError(`endpoint model must be a non-empty name (got ${JSON.stringify(c.model)})`);
  if (c.api !== "chat" && c.api !== "completions") throw new ConfigError(`endpoint api must be chat or completions (got "${String(c.api)}")`);
  const int = (k: keyof EndpointConfig, min: number) => {
    const v = c[k] as number;
    if (!Number.isSafeInteger(v) || v < min) throw new ConfigError(`endpoint ${k} must be an integer ≥ ${min} (got ${v})`);
  };
  int("concurrency", 1);
  int("maxRetries", 0);
  int("retryBaseMs", 0);
  int("retryMaxMs", 0);
  int("timeoutMs", 1);
  int("samplesPerRequest", 1);
  int("jitterSeed", 0);
  return Object.freeze(c);
}

/** Full request URL for a base URL and API (see `EndpointConfig.baseUrl`). Throws ConfigError for a bad URL. */
export function endpointUrl(baseUrl: string, api: EndpointApi): string {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new ConfigError(`endpoint URL is not a valid URL: "${baseUrl}"`, { hint: "e.g. http://localhost:8000/v1" });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new ConfigError(`endpoint URL must be http(s) (got "${baseUrl}")`);
  let path = u.pathname.replace(/\/+$/, "").replace(/\/(chat\/)?completions$/, "");
  if (path === "") path = "/v1";
  return `${u.origin}${path}/${api === "chat" ? "chat/completions" : "completions"}${u.search}`;
}

/** Counters of one client (cumulative). */
export interface EndpointStats {
  /** HTTP attempts made (retries included). */
  requests: number;
  /** Attempts that failed and were retried. */
  retries: number;
  /** From `usage`, summed over successful responses. */
  promptTokens: number;
  completionTokens: number;
}

/** A failed attempt: whether to retry, and what to report. */
interface Failure {
  retry: boolean;
  message: string;
  retryAfterMs?: number;
}

/** FIFO counting semaphore; `acquire` resolves to a release function. */
class Semaphore {
  private free: number;
  private readonly waiters: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.free > 0) this.free--;
    else {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiters.indexOf(wake);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal!.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        this.waiters.push(wake);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.free++;
    };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** First `n` characters of a server's text, on one line, for error messages. */
function snippet(text: string, n = 160): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n)}…` : one;
}

/** `fetch failed: ECONNRESET other side closed` rather than just `fetch failed`. */
function describeNetworkError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const c = e.cause as { code?: string; message?: string } | undefined;
  const detail = c ? [c.code, c.message].filter(Boolean).join(" ") : "";
  return detail ? `${e.message}: ${detail}` : e.message;
}

/** `Retry-After` in ms (delta-seconds or an HTTP date); undefined when absent or unparseable. */
function parseRetryAfter(h: string | null): number | undefined {
  if (h === null) return undefined;
  const s = Number(h);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

const FINISH: Record<string, SampleFinishReason> = { stop: "stop", eos: "stop", length: "length" };

/** Thrown inside response parsing; becomes a retryable Failure. */
class ShapeError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Choices of a 200 response → samples. Throws ShapeError saying what is missing.
 * @param n choices requested
 */
export function parseCompletionResponse(json: unknown, api: EndpointApi, n: number): { outputs: SampleOutput[]; promptTokens: number; completionTokens: number } {
  if (!isObject(json)) throw new ShapeError(`response is not a JSON object (got ${Array.isArray(json) ? "array" : typeof json})`);
  if (isObject(json.error) || typeof json.error === "string") {
    const msg = isObject(json.error) ? json.error.message : json.error;
    throw new ShapeError(`response is an error: ${snippet(String(msg))}`);
  }
  if (!Array.isArray(json.choices)) throw new ShapeError("response has no 'choices' array");
  if (json.choices.length !== n) throw new ShapeError(`response has ${json.choices.length} choices (asked for ${n})`);
  const choices = json.choices.map((c, i) => {
    if (!isObject(c)) throw new ShapeError(`choices[${i}] is not an object`);
    return c;
  });
  if (choices.every((c) => typeof c.index === "number")) choices.sort((a, b) => (a.index as number) - (b.index as number));
  const outputs = choices.map((c, i): SampleOutput => {
    let text: string;
    if (api === "chat") {
      const m = c.message;
      if (!isObject(m)) throw new ShapeError(`choices[${i}] has no 'message' object`);
      const content = m.content;
      const reasoning = typeof m.reasoning_content === "string" ? m.reasoning_content : typeof m.reasoning === "string" ? m.reasoning : null;
      if (content !== null && content !== undefined && typeof content !== "string") throw new ShapeError(`choices[${i}].message.content is a ${typeof content}, not a string`);
      if (typeof content !== "string" && reasoning === null) throw new ShapeError(`choices[${i}].message has no 'content' string`);
      text = reasoning === null ? (content as string) : `<think>${reasoning}</think>${content ?? ""}`;
    } else {
      if (typeof c.text !== "string") throw new ShapeError(`choices[${i}] has no 'text' string`);
      text = c.text;
    }
    const fr = typeof c.finish_reason === "string" ? (FINISH[c.finish_reason] ?? "other") : "other";
    return { text, finishReason: fr };
  });
  const usage = isObject(json.usage) ? json.usage : {};
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
  const completionTokens = num(usage.completion_tokens);
  // `usage` counts all choices together: a per-sample count exists only for a one-choice response.
  if (n === 1 && typeof usage.completion_tokens === "number") outputs[0]!.tokens = completionTokens;
  return { outputs, promptTokens: num(usage.prompt_tokens), completionTokens };
}

export interface EndpointDeps {
  /** Where the API key is read from (`apiKeyEnv`). Default `process.env` (none in a browser). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** `process.env` on Node; empty where there is no `process` (a browser: pass `deps.env`). */
function processEnv(): Readonly<Record<string, string | undefined>> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}

/** An OpenAI-compatible server as a `Sampler`. */
export class EndpointClient implements Sampler {
  readonly config: Readonly<EndpointConfig>;
  readonly url: string;
  readonly provenance: Readonly<Record<string, unknown>>;
  readonly stats: EndpointStats = { requests: 0, retries: 0, promptTokens: 0, completionTokens: 0 };
  private readonly apiKey: string | undefined;
  private readonly sem: Semaphore;
  private readonly jitter: Rng;

  constructor(config: Partial<EndpointConfig> & Pick<EndpointConfig, "baseUrl" | "model">, deps: EndpointDeps = {}) {
    this.config = resolveEndpointConfig(config);
    this.url = endpointUrl(this.config.baseUrl, this.config.api);
    const key = (deps.env ?? processEnv())[this.config.apiKeyEnv];
    this.apiKey = key === undefined || key === "" ? undefined : key;
    this.sem = new Semaphore(this.config.concurrency);
    this.jitter = new Rng(this.config.jitterSeed);
    this.provenance = Object.freeze({ sampler: "endpoint", endpoint: this.url, model: this.config.model, api: this.config.api });
  }

  /** Request body for `n` samples of one prompt. */
  requestBody(prompt: SamplePrompt, n: number, params: SampleParams): Record<string, unknown> {
    const c = this.config;
    const body: Record<string, unknown> = { model: c.model };
    if (c.api === "chat") {
      const sys: ChatMessage[] = c.systemPrompt === null ? [] : [{ role: "system", content: c.systemPrompt }];
      body.messages = [...sys, ...chatHistory(prompt)];
    } else {
      body.prompt = renderPrompt(c.promptFormat, prompt.question);
    }
    body.temperature = params.temperature;
    body.top_p = params.topP;
    body.max_tokens = params.maxTokens;
    if (n !== 1) body.n = n;
    if (params.stop?.length) body.stop = params.stop;
    if (params.seed !== undefined) body.seed = params.seed;
    return { ...body, ...c.extraBody };
  }

  /**
   * One request for `n` samples of a prompt (with retries). `params.seed` is sent as is.
   * @throws EndpointError after the retry budget, or at once for a non-retryable status; the abort reason when
   *   `signal` aborts
   */
  async complete(prompt: SamplePrompt, n: number, params: SampleParams, signal?: AbortSignal): Promise<SampleOutput[]> {
    const body = JSON.stringify(this.requestBody(prompt, n, params));
    const attempts = this.config.maxRetries + 1;
    for (let attempt = 1; ; attempt++) {
      const release = await this.sem.acquire(signal);
      let r: SampleOutput[] | Failure;
      try {
        r = await this.attempt(body, n, signal);
      } finally {
        release();
      }
      if (Array.isArray(r)) return r;
      if (!r.retry || attempt >= attempts) {
        const tail = attempt > 1 ? ` (after ${attempt} attempts)` : "";
        throw new EndpointError(`POST ${this.url}: ${r.message}${tail}`, {
          hint: r.retry ? "is the server up and speaking the OpenAI API? raise --max-retries or --timeout for a flaky one" : undefined,
        });
      }
      this.stats.retries++;
      await sleep(this.backoffMs(attempt, r.retryAfterMs), signal);
    }
  }

  /** Delay before retry number `attempt` (1-based). */
  private backoffMs(attempt: number, retryAfterMs?: number): number {
    const { retryBaseMs, retryMaxMs } = this.config;
    const exp = Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1));
    const jittered = exp * (0.5 + 0.5 * this.jitter.next());
    return Math.min(retryMaxMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  /** One HTTP attempt: the samples, or a Failure. Rethrows only the caller's abort. */
  private async attempt(body: string, n: number, signal?: AbortSignal): Promise<SampleOutput[] | Failure> {
    this.stats.requests++;
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new Error("timeout"));
    }, this.config.timeoutMs);
    const onAbort = () => ctrl.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const netFailure = (e: unknown): Failure => {
      if (signal?.aborted) throw signal.reason;
      return { retry: true, message: timedOut ? `no complete response within ${this.config.timeoutMs} ms` : `network error (${describeNetworkError(e)})` };
    };
    try {
      const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
      if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
      let res: Response;
      let text: string;
      try {
        res = await fetch(this.url, { method: "POST", headers, body, signal: ctrl.signal });
        text = await res.text();
      } catch (e) {
        return netFailure(e);
      }
      if (!res.ok) {
        const retry = res.status === 408 || res.status === 429 || res.status >= 500;
        const detail = text.trim() ? `: ${snippet(serverMessage(text))}` : "";
        return { retry, message: `HTTP ${res.status} ${res.statusText}${detail}`.replace(/ :/, ":"), retryAfterMs: parseRetryAfter(res.headers.get("retry-after")) };
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return { retry: true, message: `response is not valid JSON: "${snippet(text, 80)}"` };
      }
      try {
        const parsed = parseCompletionResponse(json, this.config.api, n);
        this.stats.promptTokens += parsed.promptTokens;
        this.stats.completionTokens += parsed.completionTokens;
        return parsed.outputs;
      } catch (e) {
        if (e instanceof ShapeError) return { retry: true, message: e.message };
        throw e;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * n samples per prompt: `ceil(n / samplesPerRequest)` requests per prompt, sample i seeded `params.seed + i`.
   * The first request that fails for good aborts the others; `sample` then rejects with its error (prompts already
   * passed to `onPrompt` stay done).
   */
  async sample(prompts: readonly SamplePrompt[], n: number, params: SampleParams, opts: SampleCallOptions = {}): Promise<SampleOutput[][]> {
    const per = this.config.samplesPerRequest;
    const stop = new AbortController();
    // Each request gets its own signal, aborted with `stop` (one listener on `stop`, however many requests wait:
    // no listener-count warning on Node, and no Node-only `setMaxListeners`).
    const live = new Set<AbortController>();
    stop.signal.addEventListener("abort", () => live.forEach((c) => c.abort(stop.signal.reason)), { once: true });
    const requestSignal = (): AbortController => {
      const c = new AbortController();
      if (stop.signal.aborted) c.abort(stop.signal.reason);
      live.add(c);
      return c;
    };
    const onOuterAbort = () => stop.abort(opts.signal!.reason);
    opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
    let firstError: { e: unknown } | null = null;
    const out: SampleOutput[][] = prompts.map(() => new Array<SampleOutput>(n));
    try {
      await Promise.all(
        prompts.map(async (p, pi) => {
          try {
            const parts: Promise<void>[] = [];
            for (let s = 0; s < n; s += per) {
              const k = Math.min(per, n - s);
              const seed = params.seed === undefined ? undefined : params.seed + s;
              const req = requestSignal();
              parts.push(
                this.complete(p, k, { ...params, seed }, req.signal)
                  .then((outs) => outs.forEach((o, j) => (out[pi]![s + j] = o)))
                  .finally(() => live.delete(req)),
              );
            }
            await Promise.all(parts);
            await opts.onPrompt?.(pi, out[pi]!);
          } catch (e) {
            if (firstError === null) {
              firstError = { e };
              stop.abort(e);
            }
          }
        }),
      );
    } finally {
      opts.signal?.removeEventListener("abort", onOuterAbort);
    }
    if (firstError !== null) throw (firstError as { e: unknown }).e;
    return out;
  }
}

/** `error.message` of an OpenAI-style error body, else the body itself. */
function serverMessage(text: string): string {
  try {
    const j = JSON.parse(text) as unknown;
    if (isObject(j) && isObject(j.error) && typeof j.error.message === "string") return j.error.message;
    if (isObject(j) && typeof j.message === "string") return j.message;
    if (isObject(j) && typeof j.detail === "string") return j.detail;
  } catch {
    // not JSON: show the text
  }
  return text;
}
