/**
 * Rewards: rule-based, batched as in TRL, never throwing (DeepSeek-R1 §2.2.2; Kimi k1.5 §2.3; DAPO §3.4).
 * Browser-safe: the Node-only rewards (`code`, `judge`) are in the registry but load on first use; their modules
 * (`code/reward.js`, `code/sandbox.js`, `judge.js`) are exported by the Node entry (`src/index.ts`) only.
 */
export type { RewardBatch, RewardContext, RewardFn } from "./types.js";
export { formatReward, extractAnswer } from "./format.js";
export { accuracyReward, createAccuracyReward, parseExactNumber } from "./accuracy.js";
export { combineRewards, type WeightedReward, type CombinedRewards } from "./combine.js";
export {
  REWARDS,
  REWARD_NAMES,
  REWARD_SPECS,
  getReward,
  resolveRewards,
  validateRewardKwargs,
  type RewardName,
  type RewardSpec,
  type RewardOption,
  type RewardOptionType,
} from "./registry.js";
export { formatSoftReward, tagCountReward } from "./tags.js";
export { languageConsistency, languageConsistencyReward } from "./language.js";
export { kimiLengthPenalty, overlongPenalty, kimiLambdas } from "./length.js";
export { repetitionPenalty } from "./repetition.js";
export { extractCode, parseTests, normalizeOutput, CODE_LANGUAGES, type CodeLanguage, type CodeTest } from "./code/tests.js";
export * from "./math/index.js";
