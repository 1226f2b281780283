/**
 * Reward functions are batched as in TRL: one call scores every completion of a step. Dataset columns
 * arrive as arrays aligned with `completions` (row i of every array belongs to completion i).
 */
export interface RewardBatch {
  /** Question text per completion (before the prompt template). */
  prompts: string[];
  /** Decoded completion text per completion (special tokens such as EOS removed). */
  completions: string[];
  /** Completion token ids per completion. */
  completionIds: number[][];
  /** Dataset columns, e.g. `task`, `answer`, `nums`, `target`. */
  [column: string]: unknown[];
}

export interface RewardContext {
  /** Training step, 1-based (the step being scored); 0 outside training (rejection sampling, evaluation). */
  step: number;
  /** Completions per prompt (G). */
  groupSize: number;
  /** Maximum completion length in tokens. */
  maxCompletionLength: number;
  /**
   * `[B]` group of each completion (completions of one prompt share an id). Group-wise rewards (Kimi length
   * penalty) read it; when absent, groups are runs of `groupSize` contiguous completions.
   */
  groupIds?: readonly number[];
}

/**
 * One score per completion: a finite number, or `null` when the completion cannot be scored
 * (it then gets zero advantage and is counted in a metric). Must never throw.
 */
export type RewardFn = (batch: RewardBatch, ctx: RewardContext) => (number | null)[] | Promise<(number | null)[]>;
