/**
 * thinkrl public API on Node. Call `initEngine()` before using anything that touches the model (jax-js).
 * The browser-safe subset is `thinkrl/browser` (`src/browser.ts`).
 */
import "./engine/setup.js"; // must run before @jax-js/jax is loaded
export { initEngine, type DeviceName } from "./engine/init.js";
export { currentBackend, defaultLogitsChunkElements, deviceSamplingPays, LOGITS_CHUNK_ELEMENTS, DEVICE_SAMPLING_MIN_VOCAB } from "./engine/limits.js";
export { ThinkrlError, ConfigError, CheckpointError, DatasetError, EngineError, EndpointError } from "./core/errors.js";

// data
export { Rng, seeded } from "./core/rng.js";
export { getTask, heldOutSet, trainStream, TASK_NAMES, type Problem, type Task, type TaskName } from "./data/tasks/index.js";
export { loadJsonlDataset, parseJsonlDataset, type DatasetRow, type ChatMessage } from "./data/dataset.js";
export { renderPrompt, r1ZeroPrompt, compactPrompt, chatUserContent, CHAT_INSTRUCTION, PROMPT_FORMATS, type PromptFormat } from "./data/template.js";
export { openPromptSource, type PromptItem, type PromptSource } from "./data/source.js";
export { evaluateExpression, type ExprResult, type Rational } from "./data/expr.js";

// model
export type { ModelConfig, ModelType } from "./model/config.js";
export { parseHfConfig, toHfConfig } from "./model/config.js";
export { loadCheckpointFiles, saveCheckpointFiles, type CheckpointFiles, type SaveCheckpointOptions } from "./model/checkpoint.js";
export { readSafetensors, writeSafetensors, dirFiles } from "./model/checkpoint.js";
export { parseSafetensors, encodeSafetensors, type Tensor } from "./model/safetensors.js";
export { memoryFiles, urlFiles, readCheckpoint, encodeCheckpoint, type ModelFiles, type FileContent, type EncodedFile } from "./model/files.js";
export { modelFromFiles } from "./model/from-files.js";
export { loadTokenizer, buildCharTokenizerJson, type TextTokenizer } from "./model/tokenizer.js";
export { CausalLM } from "./model/causal-lm.js";
export { loadModel, loadModelFiles, defaultModelDir, CHAT_TEMPLATE_FILE, type LoadedModel } from "./model/load.js";
export { ChatTemplate, loadChatTemplate, chatTemplateSource, openThinkPrefix, specialTokenText, type ChatTurn, type ChatRenderOptions } from "./model/chat-template.js";
export { parseGenerationConfig, samplingDefaults, effectiveEosIds, generationConfigJson, type GenerationConfig } from "./model/generation-config.js";
export { defaultModelConfig, defaultTokenizerJson } from "./model/default.js";
export { paramsFromTensors, paramsToTensors, initTensors } from "./model/params.js";
export { forward, decodeStep, type LlamaParams, type LayerParams } from "./model/llama.js";
export { tokenLogprobs, hiddenLogprobs, logitScale } from "./model/logprobs.js";

// rollout
export { generate, type Completion, type GenerateOptions, type FinishReason } from "./rollout/generate.js";
export { rolloutGroups, type RolloutGroups, type GroupOptions } from "./rollout/groups.js";
export { sampleToken, type SamplingParams } from "./rollout/sampling.js";
export { encodePrompt, preparePrompt, defaultPromptFormat, withCompletionPrefix, stopStringsFor, type EncodedPrompt, type ChatPromptOptions } from "./rollout/prompt.js";

// rewards (the registry and pure rewards are browser-safe; judge and code sandbox are Node only)
export * from "./reward/index.js";
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
} from "./reward/judge.js";
export { createCodeReward, type CodeRewardOptions } from "./reward/code/reward.js";
export { assertSandbox, resolveSandboxConfig, runInSandbox, type SandboxConfig } from "./reward/code/sandbox.js";

// rl maths
export { groupAdvantages, type ScaleRewards, type AdvantageResult } from "./rl/advantages.js";
export { tokenWeights, LOSS_TYPES, type LossType } from "./rl/aggregate.js";
export { OBJECTIVES, getObjective, grpoLoss, reinforceLoss, klK3, nllLoss, type GrpoLossConfig, type LossInputs, type Objective, type ObjectiveConfig } from "./rl/losses/index.js";

// training
export { resolveTrainConfig, learningRateAt, TRAIN_DEFAULTS, type TrainConfig } from "./train/config.js";
export { GrpoTrainer, type GrpoTrainerDeps, type GrpoStepResult } from "./train/grpo.js";
export { Learner, fullParams, type TrainableBinding, type MicroBatch } from "./train/learner.js";
export { sftColdStart, type SftOptions } from "./train/cold-start.js";
export { adamwInit, adamwUpdate, type AdamWConfig, type AdamWState } from "./train/optim.js";
export { heldOutEval, describeEval, type HeldOutOptions } from "./eval/heldout.js";
export { runTrain, type TrainSummary } from "./pipeline/r1-zero.js";

// endpoints and rejection sampling
export { EndpointClient, resolveEndpointConfig, endpointUrl, ENDPOINT_DEFAULTS, type EndpointConfig, type EndpointStats, type EndpointApi } from "./rollout/endpoint.js";
export { chatHistory, type Sampler, type SamplePrompt, type SampleParams, type SampleOutput, type SampleFinishReason } from "./rollout/sampler.js";
export { LocalSampler, type LocalSamplerOptions } from "./rollout/local-sampler.js";
export { runSample, runSampleJob, sampleJobFromOptions, resolveSampleConfig, SAMPLE_DEFAULTS, type SampleConfig, type SampleJob, type SampleSummary } from "./pipeline/rejection-sampling.js";
export { openSampler, resolvePromptFormat, runDirHint, assertNotRunDir, type SamplerSource, type EndpointOptions } from "./pipeline/samplers.js";
export { runSftJob, sftResumeState, type SftJobOptions } from "./pipeline/sft-job.js";
export { generateText, resolveTextSampling, type GenerateTextOptions, type GeneratedSample } from "./pipeline/generate-text.js";
export { keepSamples, KEEP_POLICY_NAMES, type KeepPolicy } from "./pipeline/keep.js";
export { readabilityReject, type ReadabilityFilters } from "./pipeline/readability.js";

// SFT and benchmarks
export { readRecords, loadSftExamples, toSftExample, SFT_FIELD_DEFAULTS, type SftExample, type SftFieldMapping, type LocatedRecord } from "./data/formats/index.js";
export { runSft, tokenizeSft, splitEval, type SftSummary, type SftRunOptions } from "./train/sft.js";
export { resolveSftConfig, SFT_DEFAULTS, type SftConfig } from "./train/sft-config.js";
export { sftStep, sftMicroBatches, sftEvalLoss, epochBatches, encodeSftExample, sftEndTokenId, chatEndOfTurnId, stripCompletionPrefix, type SftTokens } from "./train/sft-batch.js";
export { saveModel, saveRunCheckpoint, listCheckpoints } from "./train/state.js";
export { evaluate, formatSummaryTable, type EvaluateOptions, type EvalReport, type EvalRun } from "./eval/evaluate.js";
export { METRICS, passAtKName, consName, passAtK, majorityVote, summarize, type ProblemResult } from "./eval/metrics.js";
export { mathJudge, accuracyJudge, type Judge, type Judgement } from "./eval/judge.js";
export { R1_EVAL_SAMPLING, BENCHMARK_DEFAULTS } from "./eval/defaults.js";
export { loadBenchmark, toProblems, detectLayout, fromPromptItems, type EvalProblem, type BenchmarkLayout } from "./eval/problems.js";
export { runBenchmark, resolveBenchmarkConfig, benchmarkConfigFromOptions, type BenchmarkConfig, type BenchmarkResult } from "./pipeline/benchmark.js";
