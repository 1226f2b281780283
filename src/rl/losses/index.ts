/**
 * The objective registry: one file per loss, one line here to add one. Objectives are chosen independently of the
 * aggregation (`lossType`, `rl/aggregate.ts`), which only shapes the per-token weights `w`.
 */
import { ConfigError } from "../../core/errors.js";
import { dpo } from "./dpo.js";
import { grpo } from "./grpo.js";
import { nll } from "./nll.js";
import { omd } from "./omd.js";
import { reinforce } from "./reinforce.js";
import type { Objective } from "./types.js";

export const OBJECTIVES: Readonly<Record<string, Objective>> = Object.freeze({
  grpo,
  reinforce,
  omd,
  nll,
  dpo,
});

export { RL_OBJECTIVES, type RlObjectiveName } from "./names.js";

/** @throws ConfigError naming the valid objectives when `name` is not registered */
export function getObjective(name: string): Objective {
  const o = OBJECTIVES[name];
  if (o === undefined) throw new ConfigError(`unknown objective "${name}"`, { hint: `registered: ${Object.keys(OBJECTIVES).join(", ")}` });
  return o;
}

export { dpo, dpoLoss, DPO_METRIC_KEYS } from "./dpo.js";
export { grpo, grpoLoss, type GrpoLossConfig } from "./grpo.js";
export { klK3 } from "./kl.js";
export { nll, nllLoss } from "./nll.js";
export { omd, omdLoss, OMD_LEVELS, type OmdLevel, type OmdLossConfig } from "./omd.js";
export { klPenalty, reinforce, reinforceLoss } from "./reinforce.js";
export { KL_DIRECTIONS, type KlDirection, type LossInputs, type LossNeeds, type LossOutput, type Objective, type ObjectiveConfig } from "./types.js";
