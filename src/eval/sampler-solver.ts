/**
 * Any `Sampler` (rollout/sampler.ts) as an `EvalSampler`: how `thinkrl eval --endpoint` benchmarks a served model
 * (an `EndpointClient`) by the same R1 protocol as a local one. The question is sent as is: the chat API makes it
 * the user message, the completions API renders it with the client's prompt template (R1-Zero by default).
 *
 * Kept apart from `solver.ts`, which loads the jax-js engine: an endpoint evaluation never starts it.
 */
import type { SampleParams, Sampler } from "../rollout/sampler.js";
import type { EvalSampler } from "./solver.js";

export interface SamplerSolverOptions {
  /** Called as each problem's n samples are in (problems may finish out of order). */
  onProgress?: (doneProblems: number, total: number) => void;
}

/**
 * @param sampler e.g. an `EndpointClient`; sample i of a question is requested with `params.seed + i`
 * @param params sampling parameters of every request (R1: temperature 0.6, top-p 0.95)
 * @returns an `EvalSampler` giving each question's completion texts, in sample order
 */
export function samplerSolver(sampler: Sampler, params: SampleParams, o: SamplerSolverOptions = {}): EvalSampler {
  return async (questions, n) => {
    let done = 0;
    const outs = await sampler.sample(
      questions.map((question) => ({ question })),
      n,
      params,
      { onPrompt: () => o.onProgress?.(++done, questions.length) },
    );
    return outs.map((row) => row.map((s) => s.text));
  };
}
