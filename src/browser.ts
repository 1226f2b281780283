/**
 * thinkrl in a browser (`import … from "thinkrl/browser"`): the same model, rollout, reward and RL code as the Node
 * entry, without anything that needs Node (file system, subprocesses, worker threads). Nothing here imports a
 * `node:` module, statically or transitively (test/browser/bundle.test.ts bundles this file for the browser and
 * fails on any).
 *
 * ```ts
 * import { initEngine, modelFromFiles, urlFiles, rolloutGroups, resolveRewards, Rng } from "thinkrl/browser";
 * await initEngine("auto"); // WebGPU when the browser has an adapter, else Wasm
 * const { model } = await modelFromFiles(urlFiles("https://huggingface.co/<repo>/resolve/main/"));
 * const rewards = resolveRewards(["accuracy", "format"], [1, 0.1], { accuracy: { relTol: 1e-6 } });
 * ```
 *
 * Differences from Node: models come from memory or URLs (`memoryFiles`, `urlFiles`; saving is `encodeCheckpoint`,
 * bytes to download or store), not directories; the `code` and `judge` rewards are unavailable (`resolveRewards`
 * refuses them); the maths verifier's symbolic checks run inline, without a hard time limit, unless the page installs
 * `WebWorkerSymbolicChecker` (a Web Worker terminated at the limit, as on Node; `reward/math/verify.ts`).
 */
import "./engine/float16.js"; // before anything loads @jax-js/jax

// engine
export { startEngine as initEngine, DEVICE_CHOICES, type DeviceName, type DeviceChoice } from "./engine/start.js";
export { currentBackend, defaultLogitsChunkElements, deviceSamplingPays, LOGITS_CHUNK_ELEMENTS, DEVICE_SAMPLING_MIN_VOCAB } from "./engine/limits.js";
export { ThinkrlError, ConfigError, CheckpointError, DatasetError, EngineError, EndpointError } from "./core/errors.js";
export { Rng, seeded } from "./core/rng.js";

// data (generated tasks and prompt templates; dataset files are Node only)
export { getTask, heldOutSet, trainStream, TASK_NAMES, type Problem, type Task, type TaskName } from "./data/tasks/index.js";
export { renderPrompt, r1ZeroPrompt, compactPrompt, chatUserContent, CHAT_INSTRUCTION, PROMPT_FORMATS, type PromptFormat } from "./data/template.js";
export { evaluateExpression, type ExprResult, type Rational } from "./data/expr.js";
export type { PromptItem, PromptSource } from "./data/source.js";
export { taskSource, HELD_OUT_SEED } from "./data/task-source.js";
export type { ChatMessage } from "./data/dataset.js";

// model
export type { ModelConfig, ModelType } from "./model/config.js";
export { parseHfConfig, toHfConfig } from "./model/config.js";
export {
  memoryFiles,
  urlFiles,
  readCheckpoint,
  encodeCheckpoint,
  CONFIG_FILE,
  WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
  TOKENIZER_FILE,
  TOKENIZER_CONFIG_FILE,
  GENERATION_CONFIG_FILE,
  type ModelFiles,
  type FileContent,
  type CheckpointFiles,
  type SaveCheckpointOptions,
  type EncodedFile,
} from "./model/files.js";
export { modelFromFiles, CHAT_TEMPLATE_FILE, type LoadedModel } from "./model/from-files.js";
export { parseSafetensors, encodeSafetensors, type Tensor } from "./model/safetensors.js";
export { loadTokenizer, buildCharTokenizerJson, type TextTokenizer } from "./model/tokenizer.js";
export { CausalLM, bucket, type SequenceBatch } from "./model/causal-lm.js";
export { ChatTemplate, loadChatTemplate, chatTemplateSource, openThinkPrefix, specialTokenText, type ChatTurn, type ChatRenderOptions } from "./model/chat-template.js";
export { parseGenerationConfig, samplingDefaults, effectiveEosIds, generationConfigJson, type GenerationConfig } from "./model/generation-config.js";
export { defaultModelConfig, defaultTokenizerJson } from "./model/default.js";
export { paramsFromTensors, paramsToTensors, initTensors } from "./model/params.js";
export { forward, forwardHidden, decodeStep, type LlamaParams, type LayerParams, type KVCache } from "./model/llama.js";
export { tokenLogprobs, targetLogprobs, hiddenLogprobs, hiddenTargetLogprobs, takeLast, logitScale, effectiveTemperature } from "./model/logprobs.js";

// rollout
export { generate, useDeviceSampling, type Completion, type GenerateOptions, type FinishReason } from "./rollout/generate.js";
export { rolloutGroups, type RolloutGroups, type GroupOptions } from "./rollout/groups.js";
export { sampleToken, type SamplingParams } from "./rollout/sampling.js";
export { encodePrompt, preparePrompt, defaultPromptFormat, withCompletionPrefix, stopStringsFor, type EncodedPrompt, type ChatPromptOptions } from "./rollout/prompt.js";
export { chatHistory, type Sampler, type SamplePrompt, type SampleParams, type SampleOutput, type SampleFinishReason, type SampleCallOptions } from "./rollout/sampler.js";
export { LocalSampler, type LocalSamplerOptions } from "./rollout/local-sampler.js";
export { textStream, type TextStream } from "./rollout/text-stream.js";
export { EndpointClient, resolveEndpointConfig, endpointUrl, ENDPOINT_DEFAULTS, type EndpointConfig, type EndpointStats, type EndpointApi, type EndpointDeps } from "./rollout/endpoint.js";

// rewards (registry, rule rewards, maths verifier; `code` and `judge` need Node)
export * from "./reward/index.js";
export { rewardBatch } from "./reward/batch.js";
export { WebWorkerSymbolicChecker } from "./reward/math/web-worker-checker.js";

// rl maths
export { groupAdvantages, ADVANTAGE_EPS, type ScaleRewards, type AdvantageResult } from "./rl/advantages.js";
export { tokenWeights, LOSS_TYPES, type LossType } from "./rl/aggregate.js";
export {
  OBJECTIVES,
  RL_OBJECTIVES,
  getObjective,
  grpo,
  grpoLoss,
  reinforce,
  reinforceLoss,
  nll,
  nllLoss,
  klK3,
  type GrpoLossConfig,
  type LossInputs,
  type LossNeeds,
  type LossOutput,
  type Objective,
  type ObjectiveConfig,
} from "./rl/losses/index.js";

// training (the learner, the shared loop and the RL trainer; checkpoints on disk and run directories are Node only)
export { Learner, fullParams, DEFAULT_OBJECTIVE_CONFIG, type TrainableBinding, type MicroBatch, type MicroMetrics, type LearnerOptions } from "./train/learner.js";
export { trainLoop, recordEvaluation, learningSignalWatch, EVALS_FILE, type TrainerCallback, type LoopTrainer, type RunFiles, type TrainLoopOptions, type TrainLoopResult, type EvalEntry } from "./train/loop.js";
export { GrpoTrainer, goldOf, type GrpoTrainerDeps, type GrpoStepResult, type CompletionSample } from "./train/grpo.js";
export { rlStepMetrics, type StepMetrics } from "./train/step-metrics.js";
export { sequenceLogprobs, FrozenPolicy } from "./train/logprobs.js";
export { resolveTrainConfig, learningRateAt, TRAIN_DEFAULTS, type TrainConfig } from "./train/config.js";
export { packSequences, type PackedBatch } from "./train/batch.js";
export { adamwInit, adamwUpdate, type AdamWConfig, type AdamWState } from "./train/optim.js";
export { SILENT_LOG, type RunLog } from "./core/log.js";
