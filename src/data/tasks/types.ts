import type { Rng } from "../../core/rng.js";

/** Names of the built-in tasks. */
export type TaskName =
  | "arithmetic"
  | "countdown"
  | "multiplication"
  // Transformer² self-adaptation (issue 18): seen tasks, the classification task, unseen tasks.
  | "t2-arithmetic"
  | "t2-search"
  | "t2-sequence"
  | "t2-classify"
  | "t2-sum3"
  | "t2-composed"
  | "t2-search-hard";

/** One generated problem. */
export interface Problem {
  /** Identifies the problem (equal keys = same problem); used to keep held-out problems out of training. */
  key: string;
  /** Question text, e.g. `47+85` or `3,7,12:33` (render it with a PromptFormat before tokenizing). */
  prompt: string;
  /** Worked solution `<think>…</think><answer>…</answer>` (no EOS), used for SFT cold start. */
  solution: string;
  /**
   * The worked solution followed by a check that does real work — the inverse operation worked digit by digit, or
   * the steps redone — for long-CoT data (the Kimi long2short recipe). Absent when the task has none.
   */
  checkedSolution?: string;
  /** Dataset-style columns passed to rewards, e.g. `{ task: "countdown", nums: [3, 7, 12], target: 33 }`. */
  columns: Record<string, unknown>;
  /** The task's own difficulty measure (higher = harder; `workDifficulty`), read by curriculum sampling. */
  difficulty: number;
}

/** A problem generator. `sample` draws only from the given rng, so a seed fixes the stream. */
export interface Task {
  readonly name: TaskName;
  sample(rng: Rng): Problem;
}
