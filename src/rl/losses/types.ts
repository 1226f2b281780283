/**
 * The contract of every loss in `rl/losses/` (see DESIGN.md, "Key seam"): a pure function of per-token log-probs
 * and per-row data, never of the model, so any engine that produces `logp` with gradients can train with it.
 *
 * Shapes: B rows (sequences) × T completion positions. Row data is `[B]`. Every loss CONSUMES the arrays it is
 * given (jax-js ownership) and returns a scalar `loss` plus masked metric SUMS (the learner divides by the token
 * count on the host).
 */
import type { numpy as np } from "@jax-js/jax";
import type { AdvantageResult, ScaleRewards } from "../advantages.js";

type Arr = np.Array;

export interface LossInputs {
  /** `[B, T]` log π_θ(o_t) with gradient (temperature-scaled as the rollouts were sampled). */
  logp: Arr;
  /** `[B, T]` 0/1 completion-token mask. */
  mask: Arr;
  /** `[B, T]` aggregation weights (`rl/aggregate.ts`, 0 outside the completion): a per-token loss is Σ w ⊙ ℓ. */
  weights: Arr;
  /** `[B]` advantage (or centred reward) per row. */
  advantages?: Arr;
  /** `[B]` raw reward per row (sequence-level objectives such as Kimi k1.5's mirror descent read it). */
  rewards?: Arr;
  /** `[B]` per-row weight of sequence-level terms (e.g. 1 / (k · prompts)); rows of padding carry 0. */
  rowWeights?: Arr;
  /** `[B]` group id per row (float-coded integers; completions of one prompt share an id). */
  groupIds?: Arr;
  /** `[B]` pair id per row for pairwise losses (DPO); −1 for rows outside any pair. */
  pairIds?: Arr;
  /** `[B]` +1 for the chosen row of a pair, −1 for the rejected one, 0 otherwise. */
  pairSigns?: Arr;
  /** `[B, T]` log π_old(o_t), the sampling-time policy; absent when the objective does not need it. */
  oldLogp?: Arr;
  /** `[B, T]` log π_ref(o_t) of the frozen reference / base model; absent when no KL term is used. */
  refLogp?: Arr;
}

/** Scalar loss and masked metric sums (fixed key set per objective: it is the jit output structure). */
export interface LossOutput {
  loss: Arr;
  metrics: Record<string, Arr>;
}

/** Hyper-parameters the objectives read (each reads its own; unknown ones are ignored). */
export interface ObjectiveConfig {
  /** ε_low of a clipped ratio (GRPO). */
  epsilon: number;
  /** ε_high of a clipped ratio (GRPO; DAPO clip-higher 0.28). */
  epsilonHigh: number;
  /** β, weight of the k3 KL to the reference policy (0 = no reference model). */
  beta: number;
  /** μ, optimisation passes per rollout batch (GRPO needs π_old only when > 1). */
  numIterations: number;
  /** Optimizer steps per pass over a rollout batch (TRL `steps_per_generation`); > 1 also needs π_old. Default 1. */
  stepsPerGeneration?: number;
  /** Reward scaling of group-relative advantages (`rl/advantages.ts`). */
  scaleRewards: ScaleRewards;
  /** τ of Kimi k1.5's mirror descent (`omd.ts`): weight of the squared log-ratio to π_θi. */
  omdTau?: number;
  /** Where OMD squares the log-ratio: `sequence` (the paper) or `token` (ROLL's variant). Default `sequence`. */
  omdLevel?: "sequence" | "token";
  /** REINFORCE's KL to the reference (`reinforce.ts` `klPenalty`). Default `policy_ref`. */
  klDirection?: KlDirection;
}

/**
 * Direction of a KL penalty to a frozen reference: `policy_ref` = KL(π_θ‖π_ref) (the Transformer² paper, §3.1),
 * `ref_policy` = KL(π_ref‖π_θ) (the Transformer² reference code).
 */
export type KlDirection = "policy_ref" | "ref_policy";
export const KL_DIRECTIONS: readonly KlDirection[] = ["policy_ref", "ref_policy"];

/** Which per-row inputs an objective reads, so the trainer computes and ships only those. */
export interface LossNeeds {
  advantages: boolean;
  rewards: boolean;
  oldLogp: boolean;
  refLogp: boolean;
  pairs: boolean;
  /** `rowWeights` (sequence-level terms weighted per row). Default false. */
  rowWeights?: boolean;
}

/** One entry of the objective registry (`rl/losses/index.ts`). */
export interface Objective {
  /** Registry name (`objective` config key). */
  readonly name: string;
  /** One line for help texts: the formula and its source. */
  readonly description: string;
  /** Metric keys `loss()` returns (sums over masked tokens unless the objective documents otherwise). */
  readonly metricKeys: readonly string[];
  /** What the loss reads for a given configuration. */
  needs(c: ObjectiveConfig): LossNeeds;
  /**
   * Host side, RL objectives only: advantages of `[P · G]` rewards (groups of G contiguous; null = unjudgeable).
   * Absent for objectives that do not learn from rewards (nll).
   */
  advantages?(rewards: (number | null)[], G: number, c: ObjectiveConfig): AdvantageResult;
  /** The loss of one micro-batch. Consumes every array of `inp`. */
  loss(inp: LossInputs, c: ObjectiveConfig): LossOutput;
}

/** Disposes the inputs a loss did not read (ownership: every input is consumed exactly once). */
export function disposeUnused(inp: LossInputs, used: readonly (keyof LossInputs)[]): void {
  for (const [k, v] of Object.entries(inp) as [keyof LossInputs, Arr | undefined][]) {
    if (v !== undefined && !used.includes(k)) v.dispose();
  }
}
