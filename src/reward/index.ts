/** Rewards (DeepSeek-R1 §2.2.2): rule-based accuracy and format, batched as in TRL. */
export type { RewardBatch, RewardContext, RewardFn } from "./types.js";
export { formatReward, extractAnswer } from "./format.js";
export { accuracyReward, parseExactNumber } from "./accuracy.js";
export {
  REWARDS,
  REWARD_NAMES,
  getReward,
  combineRewards,
  type RewardName,
  type WeightedReward,
  type CombinedRewards,
} from "./combine.js";
