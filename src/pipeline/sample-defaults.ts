/**
 * Defaults of rejection sampling (`thinkrl sample`, pipeline `sample` stages), in one place; see `SampleConfig` for
 * each field. No runtime imports, so the CLI can show them in its help without loading the sampling code.
 */
import { R1_EVAL_SAMPLING } from "../eval/defaults.js";
import type { KeepPolicy } from "./keep.js";
import type { ReadabilityFilters } from "./readability.js";

export const SAMPLE_DEFAULTS = Object.freeze({
  /** Built-in tasks: distinct prompts drawn when `numPrompts` is not set (files: every row). */
  numPromptsTask: 256,
  numSamples: 4,
  keep: "all-correct" as KeepPolicy,
  rewardFuncs: ["accuracy", "format"],
  rewardWeights: null,
  correctReward: "accuracy",
  ...R1_EVAL_SAMPLING,
  /** Completion budget of a local model: the embedded model's completion length. */
  maxCompletionLengthLocal: 48,
  /** Completion budget of an endpoint. */
  maxCompletionLengthEndpoint: 4096,
  seed: 0,
  filters: { mixedLanguage: false, mixedLanguageMinShare: 0.95, longParagraphs: null, codeBlocks: false } as ReadabilityFilters,
  language: "en",
  resume: false,
});
