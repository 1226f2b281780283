/** Maths answer verification (Math-Verify's job, in TypeScript): extraction, normalisation, equivalence, reward. */
export { extractMathAnswer, findMathAnswer, goldChoiceLetter, DEFAULT_PRIORITY, MATH_ANSWER_SOURCES, type ExtractOptions, type MathAnswerSource } from "./extract.js";
export { normalizeAnswer, type NormalizedAnswer, type NormalizeOptions } from "./normalize.js";
export {
  verifyAnswer,
  verifyAnswerSync,
  MathVerifier,
  inlineSymbolicChecker,
  defaultMathVerifier,
  setDefaultMathVerifier,
  resolveVerifyOptions,
  DEFAULT_VERIFY_OPTIONS,
  type VerifyOptions,
  type ResolvedVerifyOptions,
  type SymbolicChecker,
} from "./verify.js";
export { mathAccuracyReward, createMathAccuracyReward, goldAnswer, type MathAccuracyOptions } from "./reward.js";
