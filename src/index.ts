/**
 * thinkrl's public API on Node: the commands as library functions, and the building blocks a user composes a new
 * trainer, reward or evaluation from. Call `initEngine()` before anything that touches a model (jax-js). The
 * browser-safe subset is `thinkrl/browser` (`src/browser.ts`). Everything else under `src/` is internal.
 */
import "./engine/setup.js"; // must run before @jax-js/jax is loaded
export { initEngine, type DeviceName } from "./engine/init.js";
export { ThinkrlError, ConfigError, CheckpointError, DatasetError, EngineError, EndpointError } from "./core/errors.js";
export { Rng } from "./core/rng.js";
export { SILENT_LOG, type RunLog } from "./core/log.js";

// ── commands (each is what one `thinkrl <command>` runs) ─────────────────────────────────────────────────────
export { runTrain, type RunTrainOptions, type TrainSummary } from "./pipeline/r1-zero.js";
export { runSftJob, type SftJobOptions } from "./pipeline/sft-job.js";
export { runSampleJob, resolveSampleConfig, SAMPLE_DEFAULTS, type SampleConfig, type SampleJob, type SampleSummary } from "./pipeline/rejection-sampling.js";
export { runBenchmark, resolveBenchmarkConfig, type BenchmarkConfig, type BenchmarkResult } from "./pipeline/benchmark.js";
export { generateText, type GenerateTextOptions, type GeneratedSample } from "./pipeline/generate-text.js";
export { parseRecipe, type Recipe } from "./pipeline/recipe.js";
export { runRecipe, type PipelineSummary } from "./pipeline/run-recipe.js";

// ── data ────────────────────────────────────────────────────────────────────────────────────────────────
export { getTask, TASK_NAMES, type Problem, type Task, type TaskName } from "./data/tasks/index.js";
export { T2_CATEGORIES, T2_SEEN_TASKS, T2_UNSEEN_TASKS, type T2Category } from "./data/tasks/index.js";
export { openPromptSource, type PromptItem, type PromptSource } from "./data/source.js";
export { renderPrompt, PROMPT_FORMATS, type PromptFormat } from "./data/template.js";
export { loadSftExamples, type SftExample } from "./data/formats/index.js";

// ── model ───────────────────────────────────────────────────────────────────────────────────────────────
export type { ModelConfig } from "./model/config.js";
export { CausalLM } from "./model/causal-lm.js";
export { loadModel, loadModelFiles, defaultModelDir, type LoadedModel } from "./model/load.js";
export { t2ModelDir, builtinModelDirFor } from "./model/load.js";
export { t2ModelConfig, t2TokenizerJson, T2_CHARS, T2_SPECIAL_TOKENS } from "./model/t2.js";
export { saveCheckpointFiles, type SaveCheckpointOptions } from "./model/checkpoint.js";
export { memoryFiles, urlFiles, type ModelFiles } from "./model/files.js";
export { modelFromFiles } from "./model/from-files.js";
export { loadTokenizer, type TextTokenizer } from "./model/tokenizer.js";
export type { LlamaParams } from "./model/llama.js";
export { logitScale } from "./model/logprobs.js";

// ── rollout ─────────────────────────────────────────────────────────────────────────────────────────────
export { generate, type Completion, type GenerateOptions } from "./rollout/generate.js";
export { rolloutGroups, type RolloutGroups } from "./rollout/groups.js";
export { preparePrompt, defaultPromptFormat, type EncodedPrompt, type ChatPromptOptions } from "./rollout/prompt.js";
export type { Sampler, SamplePrompt, SampleParams, SampleOutput } from "./rollout/sampler.js";
export { LocalSampler, type LocalSamplerOptions } from "./rollout/local-sampler.js";
export { EndpointClient, resolveEndpointConfig, type EndpointConfig } from "./rollout/endpoint.js";

// ── rewards (registry with per-reward options; `code` and `judge` load lazily and need Node) ────────────────
export { resolveRewards, getReward, REWARD_NAMES, REWARD_SPECS, type RewardName } from "./reward/registry.js";
export { combineRewards, type WeightedReward, type CombinedRewards } from "./reward/combine.js";
export type { RewardBatch, RewardContext, RewardFn } from "./reward/types.js";
export { verifyAnswer, verifyAnswerSync, extractMathAnswer } from "./reward/math/index.js";

// ── RL maths and training ───────────────────────────────────────────────────────────────────────────────
export { groupAdvantages, rawAdvantages, type ScaleRewards, type AdvantageResult } from "./rl/advantages.js";
export { tokenWeights, LOSS_TYPES, type LossType } from "./rl/aggregate.js";
export { OBJECTIVES, getObjective, klPenalty, KL_DIRECTIONS, type KlDirection, type LossInputs, type LossOutput, type Objective, type ObjectiveConfig } from "./rl/losses/index.js";
export { resolveTrainConfig, TRAIN_DEFAULTS, type TrainConfig } from "./train/config.js";
export { Learner, fullParams, type TrainableBinding, type MicroBatch } from "./train/learner.js";
export { trainLoop, recordEvaluation, learningSignalWatch, type TrainerCallback, type LoopTrainer, type RunFiles, type TrainLoopOptions, type EvalEntry } from "./train/loop.js";
export { GrpoTrainer, type GrpoTrainerDeps, type GrpoStepResult } from "./train/grpo.js";
export { sequenceLogprobs, FrozenPolicy } from "./train/logprobs.js";
export { runSft, type SftSummary, type SftRunOptions } from "./train/sft.js";
export { resolveSftConfig, SFT_DEFAULTS, type SftConfig } from "./train/sft-config.js";
export { sftColdStart } from "./train/cold-start.js";
export { saveModel } from "./train/state.js";

// ── adapters: Transformer² SVF experts and LoRA in PEFT's layout (docs/transformer2.md) ──────────────────────
export { svd, reconstructionError, SVD_METHODS, type Svd, type SvdMethod } from "./adapt/svd.js";
export { svdFactors, baseHash, defaultSvdCacheDir, type SvdReport } from "./adapt/svd-cache.js";
export {
  SvfTrainer, initSvfExpert, mixedModel, mixMasks, appliedMask, scaledSigma, checkExpertFits, svfParamCount, adaptedModel, disposeAdapted,
  SVF_PARAMETERIZATIONS, SVF_INIT, type SvfExpert, type SvfExpertMeta, type SvfFactors, type SvfParameterization, type MatrixFactors,
} from "./adapt/svf.js";
export { SVF_EXPERT_FILE, encodeSvfExpert, decodeSvfExpert } from "./adapt/expert-file.js";
export {
  LoraTrainer, initLora, loraModel, disposeLoraModel, loraParamCount, loraScale, encodePeft, decodePeft, peftConfig, checkLoraRank,
  PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, type LoraAdapter, type LoraTrainOptions,
} from "./adapt/lora.js";
export { readSvfExpert, writeSvfExpert, readPeftAdapter, writePeftAdapter } from "./adapt/node.js";
export { OTHER_CATEGORY, classificationPrompt, parseCategory } from "./adapt/classify.js";
export { selectTargets, parseLayerList, SVF_DEFAULT_TARGETS, LORA_DEFAULT_TARGETS, type AdaptedMatrix } from "./adapt/targets.js";
export { applyAdapter, hasAdapter, exportMerged, checkExportTarget, listSvfExperts, type AdapterSpec, type SvfExpertEntry } from "./pipeline/adapters.js";
export { openAdapter, carveValidation, BEST_ADAPTER_DIR, type AdapterRun, type BestAdapter } from "./pipeline/adapter-run.js";
export { LORA_ADAPTER_DIR, LORA_META_FILE } from "./pipeline/lora-run.js";

// ── evaluation ──────────────────────────────────────────────────────────────────────────────────────────
export { evaluate, type EvalReport, type EvalRun } from "./eval/evaluate.js";
export { heldOutEval, type HeldOutOptions } from "./eval/heldout.js";
export { METRICS, passAtK, majorityVote, type ProblemResult } from "./eval/metrics.js";
export { mathJudge, accuracyJudge, type Judge } from "./eval/judge.js";
export { R1_EVAL_SAMPLING } from "./eval/defaults.js";
