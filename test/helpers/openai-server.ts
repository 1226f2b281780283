/**
 * A real OpenAI-compatible HTTP server for tests (node:http on a random port): `POST /v1/chat/completions` and
 * `POST /v1/completions` with deterministic answers, optional split reasoning, and seeded failure injection.
 *
 * Determinism: choice j of a request with `seed` s is sample index `s + j` (`s` = 0 without a seed), and the
 * answer is `respond({ prompt, sampleIndex })`. Failures are decided per (request body, attempt number of that
 * body) by a seeded hash, so a run's failures do not depend on request arrival order.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FailMode = "500" | "429" | "reset" | "hang";

export interface Answer {
  content: string;
  /** Returned in `reasoningField` when set. */
  reasoning?: string;
  /** Default `stop`. */
  finishReason?: string;
}

export interface RespondInput {
  /** Chat: the last user message; completions: the prompt. */
  prompt: string;
  sampleIndex: number;
  body: Record<string, unknown>;
}

export interface OpenAIServerOptions {
  respond: (r: RespondInput) => Answer;
  /** Field carrying `Answer.reasoning` (default `reasoning_content`). */
  reasoningField: "reasoning_content" | "reasoning";
  /** Delay before each answer (ms), so concurrent requests overlap. Default 0. */
  latencyMs: number;
  /** Fraction of attempts that fail (0..1). Default 0. */
  failRate: number;
  /** Failure kinds, chosen by the seeded hash. Default 500, 429, reset. `hang` never answers. */
  failModes: FailMode[];
  failSeed: number;
  /** Answer every request with a 200 whose body is invalid JSON (`json`) or has no choices (`shape`). */
  malformed: "json" | "shape" | null;
  /** Every request fails with this status (e.g. 500) while set. */
  alwaysStatus: number | null;
  /** Require `Authorization: Bearer <key>` (401 otherwise). */
  apiKey: string | null;
}

export interface ServerStats {
  requests: number;
  inFlight: number;
  maxInFlight: number;
  failures: Record<FailMode, number>;
  /** Parsed bodies of every request (in arrival order). */
  bodies: Record<string, unknown>[];
  /** Authorization headers seen. */
  authHeaders: (string | undefined)[];
}

export interface OpenAIServer {
  /** Base URL including `/v1`. */
  url: string;
  stats: ServerStats;
  /** Change options while running. */
  set(o: Partial<OpenAIServerOptions>): void;
  close(): Promise<void>;
}

/** FNV-1a 32-bit hash of a string. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Default answer: a tag-formatted completion that is a pure function of the prompt and sample index. */
export function defaultAnswer({ prompt, sampleIndex }: RespondInput): Answer {
  return { content: `<think>sample ${sampleIndex} of ${prompt}</think><answer>${fnv1a(`${prompt}#${sampleIndex}`) % 1000}</answer>` };
}

const DEFAULTS: OpenAIServerOptions = {
  respond: defaultAnswer,
  reasoningField: "reasoning_content",
  latencyMs: 0,
  failRate: 0,
  failModes: ["500", "429", "reset"],
  failSeed: 0,
  malformed: null,
  alwaysStatus: null,
  apiKey: null,
};

export async function startOpenAIServer(opts: Partial<OpenAIServerOptions> = {}): Promise<OpenAIServer> {
  let o: OpenAIServerOptions = { ...DEFAULTS, ...opts };
  const stats: ServerStats = { requests: 0, inFlight: 0, maxInFlight: 0, failures: { "500": 0, "429": 0, reset: 0, hang: 0 }, bodies: [], authHeaders: [] };
  const attemptsByBody = new Map<string, number>();

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    stats.authHeaders.push(req.headers.authorization);
    const api = req.url === "/v1/chat/completions" ? "chat" : req.url === "/v1/completions" ? "completions" : null;
    if (req.method !== "POST" || api === null) return send(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
    if (o.apiKey !== null && req.headers.authorization !== `Bearer ${o.apiKey}`) return send(res, 401, { error: { message: "invalid api key" } });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return send(res, 400, { error: { message: "body is not JSON" } });
    }
    stats.bodies.push(body);
    if (o.latencyMs > 0) await new Promise((r) => setTimeout(r, o.latencyMs));
    if (o.alwaysStatus !== null) return send(res, o.alwaysStatus, { error: { message: `injected ${o.alwaysStatus}` } });
    const k = attemptsByBody.get(raw) ?? 0;
    attemptsByBody.set(raw, k + 1);
    if (o.failRate > 0 && fnv1a(`${o.failSeed}|${k}|${raw}`) / 2 ** 32 < o.failRate) {
      const mode = o.failModes[fnv1a(`mode|${o.failSeed}|${k}|${raw}`) % o.failModes.length]!;
      stats.failures[mode]++;
      if (mode === "500") return send(res, 500, { error: { message: "injected internal error" } });
      if (mode === "429") return send(res, 429, { error: { message: "injected rate limit" } }, { "retry-after": "0" });
      if (mode === "reset") return req.socket.destroy();
      return new Promise<void>(() => {}); // hang: never answer (the client times out; close() drops the socket)
    }
    if (o.malformed === "json") return send(res, 200, '{"id":"x","choices":[{"message":');
    if (o.malformed === "shape") return send(res, 200, { id: "x", object: "chat.completion" });
    const msgs = body.messages as { role: string; content: string }[] | undefined;
    const prompt = api === "chat" ? ([...(msgs ?? [])].reverse().find((m) => m.role === "user")?.content ?? "") : String(body.prompt);
    const n = typeof body.n === "number" ? body.n : 1;
    const seed = typeof body.seed === "number" ? body.seed : 0;
    let completionTokens = 0;
    const choices = Array.from({ length: n }, (_, j) => {
      const a = o.respond({ prompt, sampleIndex: seed + j, body });
      completionTokens += (a.content + (a.reasoning ?? "")).split(/\s+/).filter(Boolean).length;
      const finish_reason = a.finishReason ?? "stop";
      if (api === "completions") return { index: j, text: a.content, finish_reason };
      const message: Record<string, unknown> = { role: "assistant", content: a.content };
      if (a.reasoning !== undefined) message[o.reasoningField] = a.reasoning;
      return { index: j, message, finish_reason };
    }).reverse(); // out of order on purpose: clients must sort by `index`
    send(res, 200, {
      id: `cmpl-${stats.requests}`,
      object: api === "chat" ? "chat.completion" : "text_completion",
      model: body.model,
      choices,
      usage: { prompt_tokens: prompt.length, completion_tokens: completionTokens, total_tokens: prompt.length + completionTokens },
    });
  };

  const server: Server = createServer((req, res) => {
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        stats.inFlight--;
      }
    };
    res.on("close", finish);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    stats,
    set: (p) => (o = { ...o, ...p }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
