/**
 * The sampler interface: anything that turns questions into n completions each. A local model
 * (`LocalSampler`, `rollout/local-sampler.ts`) and an OpenAI-compatible endpoint (`EndpointSampler`,
 * `rollout/endpoint.ts`) both implement it, so `thinkrl sample` and evaluation can use either.
 *
 * This file holds types only (no jax-js), so endpoint-only code never loads the engine.
 */
import type { ChatMessage } from "../data/dataset.js";

/** One question to sample for. */
export interface SamplePrompt {
  /** The question text (before any prompt template). */
  question: string;
  /**
   * Chat history for chat endpoints (the dataset's `messages`; messages after the last `user` message are
   * dropped). Local models and the completions API use `question` with their prompt template instead.
   */
  messages?: ChatMessage[];
}

/** Sampling parameters shared by every sampler (OpenAI names in camelCase). */
export interface SampleParams {
  /** Softmax temperature; 0 = greedy. */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 = off. */
  topP: number;
  /** Maximum completion tokens. */
  maxTokens: number;
  /**
   * Base seed. Endpoints send `seed + sampleIndex` with each request, so sample i of a prompt is reproducible
   * on servers that honour seeds (vLLM, SGLang, llama.cpp) and identical across retries and resumed runs.
   * Local samplers seed their generator with it for the call. Omitted: server / sampler default randomness.
   */
  seed?: number;
  /** Extra stop strings (endpoints: OpenAI `stop`; local: on top of the prompt format's stop strings). */
  stop?: string[];
}

/**
 * Why a sample ended: `eos` (local: end-of-sequence token), `stop` (a stop string, or an endpoint's natural
 * stop — the protocol does not tell EOS from stop strings), `length` (hit `maxTokens`), `other` (e.g. an
 * endpoint's `content_filter`).
 */
export type SampleFinishReason = "eos" | "stop" | "length" | "other";

export interface SampleOutput {
  /**
   * Completion text. For endpoints that return the thinking separately (`reasoning_content` / `reasoning`),
   * this is `"<think>" + reasoning + "</think>" + content`.
   */
  text: string;
  finishReason: SampleFinishReason;
  /** Completion tokens, when known (local: always; endpoints: from `usage` when one request holds one sample). */
  tokens?: number;
}

export interface SampleCallOptions {
  /**
   * Called once per prompt, as soon as all n of its samples are in (prompts may complete out of order).
   * A returned Promise is awaited before `sample` resolves; a rejection makes `sample` reject.
   */
  onPrompt?: (promptIndex: number, outputs: SampleOutput[]) => void | Promise<void>;
  /** Aborts outstanding work; `sample` then rejects. */
  signal?: AbortSignal;
}

export interface Sampler {
  /** What produced the samples, written into every output row's provenance (no secrets). */
  readonly provenance: Readonly<Record<string, unknown>>;
  /**
   * n samples for each prompt.
   * @returns `out[p][i]` = sample i of prompt p
   */
  sample(prompts: readonly SamplePrompt[], n: number, params: SampleParams, opts?: SampleCallOptions): Promise<SampleOutput[][]>;
}

/** The dataset's chat history up to and including its last `user` message (what a chat endpoint should continue). */
export function chatHistory(p: SamplePrompt): ChatMessage[] {
  if (!p.messages?.length) return [{ role: "user", content: p.question }];
  let last = -1;
  p.messages.forEach((m, i) => m.role === "user" && (last = i));
  return last === -1 ? [...p.messages, { role: "user", content: p.question }] : p.messages.slice(0, last + 1);
}
