/** Rewards: rule-based, batched as in TRL, never throwing (DeepSeek-R1 §2.2.2; Kimi k1.5 §2.3; DAPO §3.4). */
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
export { formatSoftReward, tagCountReward } from "./tags.js";
export { languageConsistency, languageConsistencyReward } from "./language.js";
export { kimiLengthPenalty, overlongPenalty, kimiLambdas } from "./length.js";
export { repetitionPenalty } from "./repetition.js";
export {
  createJudgeReward,
  envJudgeReward,
  resolveJudgeConfig,
  judgePrompt,
  parseVerdict,
  judgedAnswer,
  JUDGE_DEFAULTS,
  JUDGE_ENV,
  JUDGE_PROMPT_VERSION,
  type JudgeConfig,
  type JudgeReward,
  type JudgeStats,
  type Verdict,
} from "./judge.js";
export { createCodeReward, extractCode, parseTests } from "./code/reward.js";
export { assertSandbox, resolveSandboxConfig, runInSandbox, type SandboxConfig } from "./code/sandbox.js";
export * from "./math/index.js";
