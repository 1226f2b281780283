/**
 * `thinkrl <command>`: every command is declared here; each action lazily imports its implementation, maps flags to
 * a config object and calls the library. Errors print as one `error: …` line (stack with `--debug`) and exit 1.
 */
import "../engine/setup.js"; // Worker shim + Float16Array before anything loads @jax-js/jax
import { Command, CommanderError, Option } from "commander";
import { ThinkrlError } from "../core/errors.js";
import { BENCHMARK_DEFAULTS, R1_EVAL_SAMPLING } from "../eval/defaults.js";
import { SAMPLE_DEFAULTS } from "../pipeline/sample-defaults.js";
import { ENDPOINT_DEFAULTS } from "../rollout/endpoint.js";
import { kebabCase, resolveTrainConfig, TRAIN_DEFAULTS } from "../train/config.js";
import { SFT_DEFAULTS } from "../train/sft-config.js";
import { DPO_DEFAULTS } from "../train/dpo-config.js";
import { ADAPT_DEFAULTS } from "../pipeline/adapt-config.js";
import { deviceChoice, setDeviceChoice } from "./device.js";
import { setGenerationWeightsDtype } from "../engine/weights-dtype.js";


/** Flag help for each train config key: "[type] what (default: x)". */
const TRAIN_HELP: Record<string, string> = {
  seed: "seed of data, sampling and init",
  dataset: "built-in task (arithmetic, countdown, multiplication; Transformer² word tasks t2-arithmetic, t2-search, t2-sequence, t2-classify, t2-sum3, t2-composed, t2-search-hard), a mix of them (arithmetic,countdown or arithmetic:3,countdown:1), or a .jsonl file (prompt, messages or question + columns for rewards, e.g. answer)",
  promptFormat: "compact | r1-zero | chat (the model's chat template) (default: chat if the model has a chat template, compact for the embedded model, else r1-zero)",
  threads: "Wasm worker threads (default: all cores)",
  coldStartSteps: "embedded model only: SFT steps from scratch instead of the shipped cold-start checkpoint",
  coldStartBatchSize: "cold-start SFT batch size",
  coldStartLearningRate: "cold-start SFT learning rate",
  maxSteps: "GRPO steps",
  promptsPerStep: "distinct prompts per step",
  numGenerations: "G, completions per prompt",
  numIterations: "μ, optimisation passes per generated batch",
  stepsPerGeneration: "optimizer steps per pass over a generated batch (its mini-batches; TRL steps_per_generation)",
  beta: "β, k3 KL coefficient to the reference model (R1: 0.001)",
  epsilon: "ε_low of the clipped ratio",
  epsilonHigh: "ε_high (default: epsilon; DAPO: 0.28)",
  lossType: "grpo | dapo | dr_grpo",
  scaleRewards: "group | batch | none",
  maskTruncatedCompletions: "leave truncated completions out of the loss",
  dropZeroStdGroups: "drop groups with all-equal rewards from the loss",
  rewardFuncs: "comma-separated reward names: accuracy, math_accuracy, format, format_soft, tag_count, language_consistency, kimi_length, overlong, repetition, code, judge, accuracy_signed (±1, Transformer²)",
  rewardWeights: "comma-separated weights, one per reward",
  rewardKwargs: 'JSON options by reward name, e.g. \'{"kimi_length":{"warmupSteps":10}}\' (default: {})',
  temperature: "sampling temperature for rollouts",
  topP: "rollout top-p",
  topK: "rollout top-k (0 = off)",
  maxCompletionLength: "max new tokens per completion",
  microBatchSize: "sequences per forward/backward pass (memory)",
  learningRate: "AdamW learning rate",
  adamBeta1: "AdamW β1",
  adamBeta2: "AdamW β2",
  adamEpsilon: "AdamW ε",
  weightDecay: "AdamW weight decay",
  maxGradNorm: "gradient clipping (global norm; 0 = off)",
  lrSchedulerType: "constant | constant_with_warmup | linear | cosine",
  warmupSteps: "learning-rate warm-up steps",
  evalSteps: "held-out eval every N steps (0 = before/after only)",
  numEvalProblems: "held-out problems",
  evalSamples: "samples per held-out problem (pass@1 = mean)",
  evalTemperature: "eval sampling temperature",
  evalTopP: "eval top-p",
  saveSteps: "checkpoint every N steps",
  saveTotalLimit: "keep at most N checkpoints (0 = all)",
  logCompletionsSteps: "write sampled completions every N steps (and at the last step)",
  reflectionPhrases: 'comma-separated phrases the aha/* metrics count, case-insensitive whole words ("" = no aha/* metrics)',
  loggingSteps: "keep a step line every N steps (the others redraw one live line on a terminal)",
  objective: "grpo (clipped surrogate, group-relative advantages) | reinforce (−r·log π + β·KL, no baseline) | omd (Kimi k1.5 mirror descent; its own defaults: --steps-per-generation 4, --reset-optimizer true)",
  omdTau: "omd: τ, weight of (τ/2)·(log π_θ(y) − log π_θi(y))² (Kimi §2.3.2; no published value)",
  omdLevel: "omd: sequence (the paper) | token (ROLL's per-token variant)",
  adapterPath: "lora: start from this PEFT adapter directory (its rank, α and targets) instead of a fresh adapter",
  klDirection: "reinforce: the β-weighted KL to the reference — policy_ref = KL(π_θ‖π_ref) (Transformer² paper) | ref_policy = KL(π_ref‖π_θ) (its reference code)",
  resetOptimizer: "reset AdamW's moments and step count every iteration (default: false; true for omd)",
  rolloutTokenBudget: "partial rollouts (Kimi §2.6.2): output tokens per trajectory per iteration; unfinished ones continue next iteration (0 = off)",
  rolloutPrefixBucket: "partial rollouts: pad each segment's prompt + prefix to a multiple of N tokens (0 = one fixed length, 64 + max completion length)",
  maskEarlierSegments: "partial rollouts: leave tokens of earlier policy versions out of the loss",
  repetitionStopNgram: "repetition stop: n-gram size in tokens",
  repetitionStopCount: "repetition stop: end a rollout when its latest n-gram occurred N times (0 = off)",
  repetitionStopPenalty: "repetition stop: subtracted from the reward of a rollout it ended",
  sampling: "uniform | prioritized (∝ 1 − success rate, Kimi §2.3.4) | curriculum (all problems, then the hard ones)",
  trainPool: "train on N problems drawn once (built-in tasks) / the first N training rows (datasets); 0 = endless stream / all rows, 1024 for prioritized|curriculum on a built-in task",
  priorityFloor: "prioritized: smallest weight a problem keeps, so solved ones are still drawn",
  successReward: "reward whose score (clipped to [0, 1]) is a problem's success (default: accuracy, math_accuracy, code or judge, whichever the run has)",
  curriculumSwitchStep: "curriculum: first step drawing only hard problems (0 = half of --max-steps, at least step 2)",
  curriculumHardFraction: "curriculum: hardest share of the pool drawn after the switch",
  difficulty: "curriculum difficulty: auto | column (dataset difficulty column) | task (built-in task's measure) | measured (1 − pass rate of the starting model)",
  difficultySamples: "measured difficulty: samples per problem (Kimi: 10)",
  difficultyTemperature: "measured difficulty: sampling temperature",
};

/** Config keys whose default is null but whose value is a number. */
const NULLABLE_NUMBERS = new Set(["threads"]);

/**
 * Parses a flag's value to the type of its default (list, number, boolean or string).
 * @param flag the flag as the user typed it (`--max-steps`): error messages name it
 * @throws ThinkrlError "--max-steps expects a number (got "abc")"
 */
export function parseValue(flag: string, raw: string, def: unknown): unknown {
  if (Array.isArray(def)) {
    const parts = raw.split(",").map((s) => s.trim()).filter(Boolean);
    if (typeof def[0] !== "number") return parts;
    const bad = parts.find((s) => Number.isNaN(Number(s)));
    if (bad !== undefined) throw new ThinkrlError(`${flag} expects comma-separated numbers (got "${bad}" in "${raw}")`);
    return parts.map(Number);
  }
  if (typeof def === "number") {
    const n = Number(raw);
    if (raw.trim() === "" || Number.isNaN(n)) throw new ThinkrlError(`${flag} expects a number (got "${raw}")`);
    return n;
  }
  if (typeof def === "boolean") {
    if (!["true", "false"].includes(raw)) throw new ThinkrlError(`${flag} expects true or false (got "${raw}")`);
    return raw === "true";
  }
  if (typeof def === "object" && def !== null) {
    try {
      return JSON.parse(raw) as unknown;
    } catch (e) {
      throw new ThinkrlError(`${flag} expects JSON (${(e as Error).message})`);
    }
  }
  return raw;
}

/** A flag taking a number (`--num-samples <n>`): a bad value is reported under the flag's own name. */
function numberOption(flags: string, help: string): Option {
  const opt = new Option(flags, help);
  return opt.argParser((raw: string) => parseValue(opt.long!, raw, 0));
}

/** A flag taking a comma-separated list of strings or numbers. */
function listOption(flags: string, help: string, of: "string" | "number"): Option {
  const opt = new Option(flags, help);
  return opt.argParser((raw: string) => parseValue(opt.long!, raw, of === "number" ? [0] : [""]));
}

/**
 * The endpoint flags of `sample` and `eval` (read by `endpointFromOptions`).
 * @param apiHelp what `--endpoint-api` means for the command
 */
function addEndpointFlags(cmd: Command, apiHelp: string): Command {
  return cmd
    .option("--endpoint <url>", "[url] OpenAI-compatible server instead of a local model, e.g. http://localhost:8000/v1")
    .option("--endpoint-model <name>", "[string] model name the endpoint serves (required with --endpoint)")
    .option("--endpoint-api <api>", `[string] ${apiHelp} (default: ${ENDPOINT_DEFAULTS.api})`)
    .option("--api-key-env <var>", `[string] environment variable holding the endpoint's API key (default: ${ENDPOINT_DEFAULTS.apiKeyEnv})`)
    .addOption(numberOption("--concurrency <n>", `[number] endpoint requests in flight (default: ${ENDPOINT_DEFAULTS.concurrency})`));
}

/** `--expert`, `--expert-weights`, `--adapter-path`: an adapter on the local model (`pipeline/adapters.ts`). */
function addAdapterFlags(cmd: Command): Command {
  return cmd
    .addOption(listOption("--expert <files>", "[list] SVF expert file(s) to apply; several are mixed by --expert-weights (Transformer²) (default: none)", "string"))
    .addOption(listOption("--expert-weights <list>", "[list] α of each expert: m′ = Σ α_k·m_k (default: 1 for one expert)", "number"))
    .option("--adapter-path <dir>", "[path] a PEFT LoRA adapter directory to apply (default: none)");
}

function addTrainFlags(cmd: Command): Command {
  for (const [key, def] of Object.entries(TRAIN_DEFAULTS)) {
    if (key === "model") continue;
    const type = NULLABLE_NUMBERS.has(key) ? "number" : Array.isArray(def) ? "list" : def === null ? "string" : typeof def === "object" ? "json" : typeof def;
    const shown = Array.isArray(def) ? def.join(",") : typeof def === "object" && def !== null ? JSON.stringify(def) : String(def);
    const help = TRAIN_HELP[key] ?? key;
    const opt = new Option(`--${kebabCase(key)} <value>`, `[${type}] ${help}${help.includes("(default:") ? "" : ` (default: ${shown})`}`);
    cmd.addOption(opt.argParser((raw: string) => parseValue(`--${kebabCase(key)}`, raw, NULLABLE_NUMBERS.has(key) ? 0 : def)));
  }
  return cmd;
}

const log = {
  info: (m: string) => {
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
    console.log(m);
  },
  progress: (m: string) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${m}`);
    else if (/^step \d+\//.test(m)) console.log(m);
  },
};

async function loadConfigFile(path: string | undefined): Promise<Record<string, unknown>> {
  if (!path) return {};
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(path, "utf8").catch(() => {
    throw new ThinkrlError(`cannot read config file ${path}`);
  });
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ThinkrlError(`${path}: invalid JSON config (${(e as Error).message})`);
  }
}

export function buildCli(): Command {
  const program = new Command("thinkrl")
    .description("Teach language models to reason with reinforcement learning (GRPO, DeepSeek-R1-Zero) — in TypeScript")
    // Every description states its default itself; commander's own "(default: …)" suffix would repeat it.
    .configureHelp({ optionDescription: (o) => o.description })
    // Usage errors in one line: commander puts its "(Did you mean …?)" on a second one.
    .configureOutput({ outputError: (str, write) => write(str.replace(/\n\(Did you mean (.*)\)\n?$/, " (did you mean $1)\n")) })
    .option("--debug", "print stack traces on errors")
    .option("--device <name>", "[string] wasm (CPU) | webgpu (GPU via the optional `webgpu` package) | auto (default: wasm)")
    .option("--weights-dtype <dtype>", "[string] float32 | float16: the dtype of a local model's linear weights in sample, eval and generate (float16: --device webgpu with shader-f16; tensor cores on NVIDIA; default: float32)")
    .hook("preAction", (_cmd, action) => {
      setDeviceChoice(action.optsWithGlobals().device);
      setGenerationWeightsDtype(action.optsWithGlobals().weightsDtype);
    })
    .exitOverride();

  const train = program
    .command("train")
    .description("R1-Zero GRPO run: held-out eval → GRPO → held-out eval (default: the embedded model on arithmetic)")
    .option("--config <file>", "[path] JSON config (TRL field names, camelCase or snake_case); flags override it")
    .option("--model <dir>", "[path] Hugging Face model directory (llama / qwen2); default: the embedded model")
    .option("--out <dir>", "[path] run directory (default: runs/<timestamp>)")
    .option("--resume <dir>", "[path] continue the run in <dir> from its latest checkpoint")
    .option("--overwrite", "replace the run already in --out (its run files are deleted first)")
    .option("--format <fmt>", "[string] the same as --prompt-format (the name sft, eval and sample use)")
    .option("--dashboard", "serve the run's live dashboard while it trains (prints its URL; see thinkrl dashboard)");
  addTrainFlags(train).action(async (flags: Record<string, unknown>) => {
    const { initEngine } = await import("../engine/init.js");
    const { config, model, out, resume, overwrite, format, dashboard, ...rest } = flags;
    if (format !== undefined) {
      if (rest.promptFormat !== undefined && rest.promptFormat !== format) throw new ThinkrlError("--format and --prompt-format disagree: pass one");
      rest.promptFormat = format;
    }
    const partial = { ...(await loadConfigFile(config as string | undefined)), ...rest };
    if (model !== undefined) partial.model = model;
    if (typeof partial.model === "string" && resume === undefined) await (await import("../pipeline/samplers.js")).assertNotRunDir(partial.model);
    if (out !== undefined) partial.outputDir = out;
    // The engine must start before any module that imports jax-js is loaded.
    await initEngine(deviceChoice(), { threads: (partial.threads as number | undefined) ?? undefined });
    const { runTrain } = await import("../pipeline/r1-zero.js");
    let board: import("../dashboard/server.js").DashboardServer | null = null;
    if (dashboard === true) {
      // The run directory is fixed here so the dashboard can follow it before the run writes anything.
      partial.outputDir = (resume as string | undefined) ?? resolveTrainConfig(partial).outputDir;
      board = await (await import("./commands/dashboard.js")).startRunDashboard(partial.outputDir as string, {}, log.info);
    }
    try {
      await runTrain(partial, { resume: resume as string | undefined, overwrite: overwrite === true, log });
    } finally {
      if (board) await (await import("./commands/dashboard.js")).endRunDashboard(board, partial.outputDir as string, log.info);
    }
  });

  const gen = program
    .command("generate")
    .description("sample completions from a model for a prompt")
    .option("--model <dir>", "[path] Hugging Face model directory (default: the embedded model)")
    .requiredOption("--prompt <text>", "[string] the question")
    .option("--format <fmt>", "[string] chat | r1-zero | compact | raw (default: chat if the model has a chat template, compact for the embedded model, else r1-zero)")
    .option("--system-prompt <text>", "[string] chat format: system turn before the question (default: none)")
    .option("--no-thinking", "chat format: pass enable_thinking=false to the template (Qwen3) (default: the template's own)")
    .addOption(numberOption("--max-new-tokens <n>", "[number] (default: 64)").default(64))
    .addOption(numberOption("--temperature <t>", `[number] 0 = greedy (default: generation_config.json's, else ${R1_EVAL_SAMPLING.temperature})`))
    .addOption(numberOption("--top-p <p>", `[number] (default: generation_config.json's, else ${R1_EVAL_SAMPLING.topP})`))
    .addOption(numberOption("--top-k <k>", "[number] 0 = off (default: generation_config.json's, else 0)"))
    .addOption(numberOption("--num-samples <n>", "[number] completions to draw (default: 1)").default(1))
    .addOption(numberOption("--seed <n>", "[number] (default: 0)").default(0));
  addAdapterFlags(gen)
    .action(async (o: Record<string, unknown>) => {
      const { runGenerate } = await import("./commands/generate.js");
      await runGenerate(o);
    });

  const S = SAMPLE_DEFAULTS;
  const sample = program
    .command("sample")
    .description("rejection sampling: N samples per prompt from a model or an endpoint, scored, filtered, kept → SFT JSONL")
    .requiredOption("--dataset <name>", "[string] arithmetic | countdown | file.jsonl (prompt, messages or question rows)")
    .requiredOption("--out <file>", "[path] output JSONL (its index <out>.done.jsonl is kept next to it)")
    .option("--model <dir>", "[path] Hugging Face model directory (default: the embedded model)");
  addEndpointFlags(sample, "chat | completions")
    .option("--system-prompt <text>", "[string] chat API: system message before each prompt (default: none)")
    .option("--format <fmt>", "[string] compact | r1-zero | chat: local prompt format (chat: the model's chat template) / completions API template (compact | r1-zero) (default: chat if the model has a chat template, compact for the embedded model, else r1-zero)")
    .addOption(numberOption("--num-prompts <n>", `[number] built-in tasks: prompts drawn from the training stream; files: first N rows (default: ${S.numPromptsTask} / all rows)`))
    .addOption(numberOption("--num-samples <n>", `[number] samples per prompt (default: ${S.numSamples})`))
    .option("--keep <policy>", `[string] all-correct | best-of-n | shortest-correct | all (every sample with its rewards and length, for thinkrl pairs) (default: ${S.keep})`)
    .addOption(listOption("--reward-funcs <list>", `[list] reward functions (default: ${S.rewardFuncs.join(",")})`, "string"))
    .addOption(listOption("--reward-weights <list>", "[list] one weight per reward (default: 1 each)", "number"))
    .option("--correct-reward <name>", `[string] reward whose score ≥ 1 means correct (default: ${S.correctReward})`)
    .addOption(numberOption("--temperature <t>", `[number] (default: ${S.temperature})`))
    .addOption(numberOption("--top-p <p>", `[number] (default: ${S.topP})`))
    .addOption(numberOption("--max-tokens <n>", `[number] max completion tokens; also --max-new-tokens, --max-completion-length (default: ${S.maxCompletionLengthLocal} local, ${S.maxCompletionLengthEndpoint} endpoint)`))
    .addOption(numberOption("--max-new-tokens <n>", "[number] same as --max-tokens").hideHelp())
    .addOption(numberOption("--max-completion-length <n>", "[number] same as --max-tokens").hideHelp())
    .addOption(numberOption("--seed <n>", `[number] prompt drawing and sampling; endpoints get seed + sample index (default: ${S.seed})`))
    .option("--filter-mixed-language", "drop samples whose chain of thought mixes scripts (R1 stage 3)")
    .addOption(numberOption("--mixed-language-min-share <x>", `[number] share of CoT words in the target script that passes (default: ${S.filters.mixedLanguageMinShare})`))
    .option("--language <code>", `[string] target language when a row has no language column (default: ${S.language})`)
    .addOption(numberOption("--filter-long-paragraphs <n>", "[number] drop samples with a CoT paragraph over N characters (default: off)"))
    .option("--filter-code-blocks", "drop samples with a fenced code block in the chain of thought")
    .addOption(numberOption("--max-retries <n>", `[number] endpoint retries on network errors, 408/429/5xx, malformed replies (default: ${ENDPOINT_DEFAULTS.maxRetries})`))
    .addOption(numberOption("--timeout <s>", `[number] endpoint per-request timeout in seconds (default: ${ENDPOINT_DEFAULTS.timeoutMs / 1000})`))
    .addOption(numberOption("--samples-per-request <n>", `[number] endpoint samples per request, OpenAI n (default: ${ENDPOINT_DEFAULTS.samplesPerRequest})`))
    .option("--resume", "continue an interrupted run into the same --out (settings must match)");
  addAdapterFlags(sample)
    .action(async (o: Record<string, unknown>) => {
      const { runSampleCommand } = await import("./commands/sample.js");
      await runSampleCommand(o);
    });

  const SD = SFT_DEFAULTS;
  const DD = DPO_DEFAULTS;
  program
    .command("sft")
    .description("supervised fine-tuning, loss on completion tokens only (cold start, rejection-sampling SFT, distillation)")
    .option("--dataset <file>", "[path] .jsonl or .parquet: prompt + completion fields, or chat messages (required unless --resume)")
    .option("--model <dir>", "[path] Hugging Face model directory (default: the embedded model)")
    .option("--out <dir>", "[path] run directory (default: runs/sft-<timestamp>)")
    .option("--resume [dir]", "[path] continue the run in <dir> (default: --out) from its latest checkpoint")
    .option("--overwrite", "replace the run already in --out (its run files are deleted first)")
    .option("--prompt-field <name>", `[string] prompt field (default: ${SD.promptField})`)
    .option("--completion-field <name>", `[string] completion field (default: ${SD.completionField})`)
    .option("--messages-field <name>", `[string] chat messages field; used when present in a row (default: ${SD.messagesField})`)
    .option("--format <fmt>", "[string] compact | r1-zero | chat (the model's chat template; completions end with its end-of-turn token) (default: chat if the model has a chat template, compact for the embedded model, else r1-zero)")
    .addOption(numberOption("--epochs <n>", `[number] passes over the training split (default: ${SD.epochs})`))
    .addOption(numberOption("--batch-size <n>", `[number] sequences per optimizer step (default: ${SD.batchSize})`))
    .addOption(numberOption("--micro-batch-size <n>", `[number] sequences per forward/backward pass (default: ${SD.microBatchSize})`))
    .addOption(numberOption("--learning-rate <x>", `[number] AdamW learning rate (default: ${SD.learningRate}; ~1e-3 for the embedded model)`))
    .option("--lr-scheduler-type <s>", `[string] constant | constant_with_warmup | linear | cosine (default: ${SD.lrSchedulerType})`)
    .addOption(numberOption("--warmup-steps <n>", `[number] (default: ${SD.warmupSteps})`))
    .addOption(numberOption("--weight-decay <x>", `[number] AdamW weight decay (default: ${SD.weightDecay})`))
    .addOption(numberOption("--max-grad-norm <x>", `[number] gradient clipping, 0 = off (default: ${SD.maxGradNorm})`))
    .addOption(numberOption("--max-length <n>", `[number] tokens per example, longer ones cut on the right (default: ${SD.maxLength})`))
    .addOption(numberOption("--eval-split <x>", `[number] fraction held out for eval_loss, 0 = none (default: ${SD.evalSplit})`))
    .addOption(numberOption("--eval-steps <n>", `[number] eval_loss every N steps, 0 = at the end only (default: ${SD.evalSteps})`))
    .addOption(numberOption("--save-steps <n>", `[number] checkpoint every N steps, 0 = at the end only (default: ${SD.saveSteps})`))
    .addOption(numberOption("--save-total-limit <n>", `[number] keep at most N checkpoints, 0 = all (default: ${SD.saveTotalLimit})`))
    .option("--group-by-length <bool>", "[boolean] length-grouped batches: less padding, but each batch is one length range (default: false, as TRL)", (v) => parseValue("--group-by-length", v, true))
    .addOption(numberOption("--seed <n>", `[number] (default: ${SD.seed})`))
    .option("--adapter <kind>", "[string] none (all weights) | lora (a PEFT-layout LoRA adapter on the frozen model: checkpoints and final/ hold the merged model and adapter/) (default: none)")
    .addOption(listOption("--adapter-targets <list>", "[list] lora: module-name patterns adapted, e.g. q_proj,v_proj | mlp | self_attn (default: q_proj,v_proj, as PEFT)", "string"))
    .option("--adapter-layers <list>", "[string] lora: layers adapted, e.g. 0-3,7 (default: all)")
    .addOption(numberOption("--lora-rank <n>", `[number] lora: rank r (default: ${SD.loraRank})`))
    .addOption(numberOption("--lora-alpha <x>", `[number] lora: α, the update is scaled by α/r (default: ${SD.loraAlpha})`))
    .addOption(numberOption("--lora-dropout <p>", `[number] lora: dropout on the adapter branch's input while training (PEFT lora_dropout) (default: ${SD.loraDropout})`))
    .option("--adapter-path <dir>", "[path] lora: start from this PEFT adapter directory (its rank, α and targets) (default: a fresh adapter)")
    .action(async (o: Record<string, unknown>) => {
      const { runSftCommand } = await import("./commands/sft.js");
      await runSftCommand(o, log);
    });

  const B = BENCHMARK_DEFAULTS;
  const evalCmd = program
    .command("eval")
    .description(`benchmark a model (R1 protocol: n samples at T ${B.temperature} / top-p ${B.topP}; pass@1 = mean, cons@n, pass@k)`)
    .option("--model <dir>", "[path] Hugging Face model directory (default: the embedded model)")
    .option("--dataset <name>", `[string] arithmetic | countdown | file.jsonl | file.parquet (default: ${B.dataset})`)
    .option("--layout <name>", `[string] file layout: auto | gsm8k | math | aime | fields (question, problem or prompt + answer) (default: ${B.layout})`)
    .option("--question-field <name>", "[string] question field (default: the layout's: question / problem / prompt)")
    .option("--answer-field <name>", "[string] gold answer field (default: the layout's: answer / solution)")
    .option("--format <fmt>", "[string] compact | r1-zero | chat (the model's chat template; local models only) (default: chat if the model has a chat template, compact for the embedded model, else r1-zero; endpoint completions API: r1-zero)")
    .addOption(numberOption("--num-eval-problems <n>", `[number] built-in task: held-out problems; file: first N rows (default: ${B.numEvalProblemsTask} / all)`))
    .addOption(numberOption("--eval-samples <n>", `[number] samples per problem, n (default: ${B.evalSamples})`))
    .addOption(numberOption("--max-completion-length <n>", `[number] max completion tokens; also --max-new-tokens, --max-tokens (default: ${B.maxCompletionLengthLocal} local, ${B.maxCompletionLengthEndpoint} endpoint, R1 §3.1)`))
    .addOption(numberOption("--max-new-tokens <n>", "[number] same as --max-completion-length").hideHelp())
    .addOption(numberOption("--max-tokens <n>", "[number] same as --max-completion-length").hideHelp())
    .addOption(numberOption("--temperature <t>", `[number] (default: ${B.temperature})`))
    .addOption(numberOption("--top-p <p>", `[number] (default: ${B.topP})`))
    .addOption(numberOption("--batch-size <n>", `[number] local model: sequences per generate call (default: ${B.batchSize})`))
    .addOption(numberOption("--seed <n>", `[number] (default: ${B.seed})`));
  addEndpointFlags(evalCmd, "chat (question as the user message) | completions (--format template, r1-zero)")
    .option("--out <dir>", "[path] where results.jsonl and summary.json go (default: runs/eval-<timestamp>)")
    .option("--json", "print the summary as JSON instead of a table");
  addAdapterFlags(evalCmd)
    .action(async (o: Record<string, unknown>) => {
      const { runEvalCommand } = await import("./commands/eval.js");
      await runEvalCommand(o);
    });

  addAdapterFlags(
    program
      .command("export")
      .description("write a model with an adapter merged in (SVF W′ or LoRA W + (α/r)·BA) as a plain Hugging Face checkpoint")
      .option("--model <dir>", "[path] base model directory (default: the embedded model)")
      .requiredOption("--out <dir>", "[path] output model directory")
      .option("--merge", "merge the adapter into the weights (the only export mode)")
      .option("--force", "replace --out when it exists and is not empty (default: refuse)"),
  ).action(async (o: Record<string, unknown>) => {
    const { runExport } = await import("./commands/adapters.js");
    await runExport(o, log);
  });

  const svfCmd = program.command("svf").description("Transformer² SVF experts: list and inspect expert files");
  svfCmd
    .command("list [dir]")
    .description("expert files under a directory (default: runs), with task, values, validation score and base hash")
    .action(async (dir: string | undefined) => {
      exitStatus.error = 2; // the only failure is bad input (a missing directory)
      const { runSvfList } = await import("./commands/adapters.js");
      await runSvfList(dir ?? "runs");
    });
  svfCmd
    .command("inspect <file>")
    .description("an expert's metadata and, per matrix, its length and applied mask (min / mean / max)")
    .action(async (file: string) => {
      const { runSvfInspect } = await import("./commands/adapters.js");
      await runSvfInspect(file);
    });

  program
    .command("filter-hackable")
    .description("Kimi k1.5 easy-to-hack filter: drop problems the model answers right without a chain of thought within N tries → kept.jsonl, dropped.jsonl")
    .requiredOption("--dataset <name>", "[string] arithmetic | countdown (problems from the training stream) | file.jsonl (every row)")
    .requiredOption("--out <dir>", "[path] output directory (kept.jsonl, dropped.jsonl, filter_summary.json)")
    .option("--model <dir>", "[path] Hugging Face model directory (default: the embedded model)")
    .option("--format <fmt>", "[string] compact | r1-zero | chat (default: chat if the model has a chat template, compact for the embedded model, else r1-zero)")
    .addOption(numberOption("--tries <n>", "[number] N, answers without a chain of thought per problem (default: 8, as Kimi)"))
    .addOption(numberOption("--temperature <t>", "[number] (default: 1)"))
    .addOption(numberOption("--max-new-tokens <n>", "[number] answer budget in tokens (default: 32)"))
    .addOption(numberOption("--num-prompts <n>", "[number] built-in tasks: problems drawn (default: 256)"))
    .addOption(numberOption("--seed <n>", "[number] (default: 0)"))
    .option("--overwrite", "replace the filter result already in --out")
    .action(async (o: Record<string, unknown>) => {
      const { openModel } = await import("./commands/shared.js");
      const { model } = await openModel(o.model);
      const { runHackFilter } = await import("../pipeline/hack-filter.js");
      const s = await runHackFilter(model, {
        dataset: String(o.dataset), out: String(o.out), tries: o.tries as number | undefined, temperature: o.temperature as number | undefined,
        maxNewTokens: o.maxNewTokens as number | undefined, numPrompts: o.numPrompts as number | undefined, format: o.format, seed: o.seed as number | undefined, overwrite: o.overwrite === true, log,
      });
      log.info(`kept ${s.kept}, dropped ${s.dropped} (answered right without a chain of thought; by count of right answers 0..${s.tries}: ${s.histogram.join(" ")}) → ${s.keptFile}`);
    });

  program
    .command("merge")
    .description("linear model merge Σ wᵢθᵢ / Σ wᵢ per tensor (Kimi k1.5 long2short; mergekit's linear): streams tensor by tensor, keeps each tensor's dtype, copies config and tokenizer from the first model")
    .addOption(listOption("--models <dirs>", "[list] Hugging Face model directories, comma-separated (at least two)", "string").makeOptionMandatory())
    .addOption(listOption("--weights <ws>", "[list] one positive weight per model, e.g. 3,2 (default: equal)", "number"))
    .requiredOption("--out <dir>", "[path] output model directory")
    .addOption(numberOption("--max-shard-size <bytes>", "[number] largest output shard in bytes (default: 5e9, as transformers)"))
    .option("--overwrite", "replace an existing --out")
    .action(async (o: Record<string, unknown>) => {
      const { mergeModels } = await import("../pipeline/merge.js");
      const s = await mergeModels({ models: o.models as string[], weights: o.weights as number[] | undefined, out: String(o.out), overwrite: o.overwrite === true, maxShardBytes: o.maxShardSize as number | undefined, log });
      log.info(`merged ${s.tensors} tensors (${s.parameters.toLocaleString("en-US")} parameters; weights ${s.weights.map((w) => w.toFixed(4)).join(", ")}) into ${s.shards} shard${s.shards === 1 ? "" : "s"} in ${s.seconds.toFixed(1)} s → ${s.out}`);
    });

  program
    .command("pairs")
    .description("DPO preference pairs from `sample --keep all` (Kimi k1.5 long2short): chosen = the shortest correct answer; rejected = longer wrong answers and correct answers ≥ 1.5× its length")
    .requiredOption("--samples <file>", "[path] a thinkrl sample --keep all output (.jsonl)")
    .requiredOption("--out <file>", "[path] pairs JSONL (prompt, chosen, rejected: TRL's preference layout)")
    .addOption(numberOption("--long-ratio <r>", "[number] correct answers at least r × the chosen length are rejected too (default: 1.5, as Kimi)"))
    .addOption(numberOption("--max-pairs-per-prompt <k>", "[number] at most k pairs per prompt, longest rejected first (default: no cap)"))
    .option("--correct-reward <name>", "[string] reward whose score ≥ 1 means correct (default: the one sample used)")
    .option("--overwrite", "replace an existing --out")
    .action(async (o: Record<string, unknown>) => {
      const { existsSync } = await import("node:fs");
      if (existsSync(String(o.out)) && o.overwrite !== true) throw new ThinkrlError(`${String(o.out)} already exists`, { hint: "--overwrite to replace it" });
      const { runPairs } = await import("../pipeline/pairs.js");
      const s = await runPairs(String(o.samples), String(o.out), { longRatio: o.longRatio as number | undefined, maxPairsPerPrompt: o.maxPairsPerPrompt as number | undefined, correctReward: o.correctReward as string | undefined });
      log.info(`${s.pairs} pairs (${s.wrong} longer wrong, ${s.longCorrect} long correct) from ${s.prompts} prompts; ${s.noCorrect} had no correct answer, ${s.noRejected} nothing longer to reject → ${String(o.out)}`);
    });

  program
    .command("dpo")
    .description("Direct Preference Optimization, sigmoid loss (TRL DPOTrainer; Kimi k1.5 long2short on thinkrl pairs output): prompt/chosen/rejected rows")
    .option("--dataset <file>", "[path] .jsonl or .parquet of prompt/chosen/rejected rows (TRL's preference layout; required unless --resume)")
    .option("--model <dir>", "[path] Hugging Face model directory to start from (default: the embedded model)")
    .option("--ref-model <dir>", "[path] reference model π_ref (default: the starting model; its log-probs are computed once)")
    .option("--out <dir>", "[path] run directory (default: runs/dpo-<timestamp>)")
    .option("--resume [dir]", "[path] continue the run in <dir> (default: --out) from its latest checkpoint")
    .option("--overwrite", "replace the run already in --out (its run files are deleted first)")
    .addOption(numberOption("--beta <x>", `[number] β of the sigmoid loss (default: ${DD.beta})`))
    .option("--prompt-field <name>", `[string] (default: ${DD.promptField})`)
    .option("--chosen-field <name>", `[string] (default: ${DD.chosenField})`)
    .option("--rejected-field <name>", `[string] (default: ${DD.rejectedField})`)
    .option("--format <fmt>", "[string] compact | r1-zero | chat (default: chat if the model has a chat template, compact for the embedded model, else r1-zero)")
    .addOption(numberOption("--epochs <n>", `[number] (default: ${DD.epochs})`))
    .addOption(numberOption("--batch-size <n>", `[number] pairs per optimizer step (default: ${DD.batchSize})`))
    .addOption(numberOption("--micro-batch-size <n>", `[number] pairs per forward/backward pass, 2 sequences each (default: ${DD.microBatchSize})`))
    .addOption(numberOption("--learning-rate <x>", `[number] AdamW learning rate (default: ${DD.learningRate}, TRL's; ~1e-4 for the embedded model)`))
    .option("--lr-scheduler-type <s>", `[string] constant | constant_with_warmup | linear | cosine (default: ${DD.lrSchedulerType})`)
    .addOption(numberOption("--warmup-steps <n>", `[number] (default: ${DD.warmupSteps})`))
    .addOption(numberOption("--weight-decay <x>", `[number] (default: ${DD.weightDecay})`))
    .addOption(numberOption("--max-grad-norm <x>", `[number] 0 = off (default: ${DD.maxGradNorm})`))
    .addOption(numberOption("--max-length <n>", `[number] tokens of prompt + answer, answers cut on the right (default: ${DD.maxLength})`))
    .addOption(numberOption("--eval-split <x>", `[number] fraction of pairs held out for eval_loss and eval_rewards/*, 0 = none (default: ${DD.evalSplit})`))
    .addOption(numberOption("--eval-steps <n>", `[number] 0 = at the end only (default: ${DD.evalSteps})`))
    .addOption(numberOption("--save-steps <n>", `[number] 0 = at the end only (default: ${DD.saveSteps})`))
    .addOption(numberOption("--save-total-limit <n>", `[number] 0 = all (default: ${DD.saveTotalLimit})`))
    .addOption(numberOption("--seed <n>", `[number] (default: ${DD.seed})`))
    .action(async (o: Record<string, unknown>) => {
      const { runDpoCommand } = await import("./commands/dpo.js");
      await runDpoCommand(o, log);
    });

  const AD = ADAPT_DEFAULTS;
  program
    .command("adapt")
    .description("Transformer² self-adaptation: pass 1 picks the SVF experts' weights α (prompt | classifier per query, few-shot CEM per task), pass 2 answers with the mix")
    .requiredOption("--strategy <s>", "[string] prompt (the model classifies the query) | classifier (a classification expert does) | cem (few-shot search over α)")
    .requiredOption("--experts <files>", "[paths] SVF expert files, comma-separated, one per category")
    .requiredOption("--dataset <task>", "[string] built-in task or task mix whose held-out problems are answered")
    .option("--categories <names>", "[strings] each expert's category, comma-separated (default: each expert's task metadata)")
    .option("--classifier-expert <file>", "[path] the classification SVF expert (--strategy classifier)")
    .option("--model <dir>", "[path] base model the experts were trained on (default: the dataset's shipped model)")
    .option("--format <fmt>", "[string] compact | r1-zero | chat (default: the model's)")
    .option("--out <dir>", "[path] results.jsonl and summary.json (default: runs/adapt-<timestamp>)")
    .addOption(numberOption("--num-eval-problems <n>", `[number] held-out problems, per task of a mix (default: ${AD.numEvalProblems})`))
    .addOption(numberOption("--eval-samples <n>", `[number] pass 2: samples per problem (default: ${AD.evalSamples})`))
    .addOption(numberOption("--temperature <x>", `[number] pass 2 (default: ${AD.temperature})`))
    .addOption(numberOption("--top-p <x>", `[number] pass 2 (default: ${AD.topP})`))
    .addOption(numberOption("--max-completion-length <n>", `[number] pass 2 and CEM's answers (default: ${AD.maxCompletionLength})`))
    .addOption(numberOption("--classify-max-tokens <n>", `[number] pass 1's classification answer (default: ${AD.classifyMaxTokens})`))
    .addOption(numberOption("--few-shot <k>", `[number] CEM: few-shot examples per task, from the training data (default: ${AD.fewShot})`))
    .addOption(numberOption("--cem-population <n>", `[number] (default: ${AD.cemPopulation})`))
    .addOption(numberOption("--cem-elite <x>", `[number] elite share of the population (default: ${AD.cemElite})`))
    .addOption(numberOption("--cem-iterations <n>", `[number] at most (default: ${AD.cemIterations})`))
    .addOption(numberOption("--cem-std <x>", `[number] initial σ (default: ${AD.cemStd}); μ₀ = 1/K`))
    .option("--cem-per-layer", "CEM: one α per expert and decoder layer")
    .option("--cem-score <s>", `[string] accuracy (ties by log-likelihood of the solutions) | loglik (cheaper) (default: ${AD.cemScore})`)
    .addOption(numberOption("--batch-size <n>", `[number] sequences per generate call (default: ${AD.batchSize})`))
    .addOption(numberOption("--seed <n>", `[number] (default: ${AD.seed})`))
    .option("--json", "print the summary as JSON")
    .action(async (o: Record<string, unknown>) => {
      const { runAdaptCommand } = await import("./commands/adapt.js");
      await runAdaptCommand(o, log);
    });

  program
    .command("pipeline <recipe>")
    .description("run a multi-stage recipe (YAML: sft, grpo, sample, eval stages wired by outputs; prompt_format / format: compact | r1-zero | chat); a rerun skips finished stages and resumes an interrupted one")
    .option("--out <dir>", "[path] run root (default: the recipe's out)")
    .option("--dry-run", "check the recipe and print its stages without running them")
    .action(async (recipe: string, o: Record<string, unknown>) => {
      const { runPipelineCommand } = await import("./commands/pipeline.js");
      await runPipelineCommand(recipe, o, log);
    });

  program
    .command("dashboard <runs...>")
    .description("live dashboard of run directories (charts follow the runs as they write; several runs overlay), or --export one self-contained HTML report")
    .option("--host <addr>", "[string] address to bind; anything but loopback requires a token (default: 127.0.0.1)")
    .option("--port <n>", "[number] port, 0 = any free port (default: 6007, or any free port when it is taken)")
    .option("--token <s>", "[string] access token (default: none on loopback, generated otherwise)")
    .option("--export <file>", "[path] write one self-contained HTML report (charts, data, completions inlined; opens offline) and exit")
    .option("--max-completions-mb <n>", "[number] --export: size cap on inlined completions, newest steps kept (default: 5)")
    .action(async (runs: string[], o: Record<string, unknown>) => {
      const { runDashboardCommand } = await import("./commands/dashboard.js");
      await runDashboardCommand(runs, o);
    });

  program
    .command("web")
    .description("train in a browser tab: serves a page that runs the embedded model's R1-Zero GRPO in the browser (WebGPU, else threaded Wasm), with live charts")
    .option("--port <n>", "[number] port on 127.0.0.1, 0 = any free port (default: 6008)")
    .action(async (o: Record<string, unknown>) => {
      const { runWebCommand } = await import("./commands/web.js");
      await runWebCommand(o);
    });

  program
    .command("verify <gold> <text>")
    .description("extract the final answer from <text> and check it against <gold> (maths verifier); exit status as diff/cmp: 0 equivalent, 1 not equivalent (or no answer found), 2 bad input")
    .addOption(numberOption("--float-rounding <n>", "[number] digits both sides are rounded to when one is a decimal (Math-Verify's float_rounding) (default: 6)"))
    .option("--no-strict", "Math-Verify's non-strict mode: variables match by position, {1,2} equals (1,2) (default: strict)")
    .option("--no-extract", "compare <text> as an answer, without extracting one from it")
    // Usage errors exit 2 here (diff/cmp's "trouble"), not 1, which means "not equivalent".
    .exitOverride((e) => {
      throw e.exitCode === 0 ? e : new CommanderError(2, e.code, e.message);
    })
    .action(async (gold: string, text: string, o: Record<string, unknown>) => {
      const { runVerify } = await import("./commands/verify.js");
      exitStatus.ok = await runVerify(gold, text, { floatRounding: o.floatRounding as number | undefined, strict: o.strict !== false, extract: o.extract !== false });
    });
  return program;
}

/**
 * Exit status of the running action: `ok` when it returns, `error` when it throws. 0 / 1 for every command but
 * `verify` (0 equivalent, 1 not, 2 bad input, as diff and cmp).
 */
const exitStatus = { ok: 0, error: 1 };

/** The command the user named: the first argument that is not a global option (`--device <name>`, `--debug`). */
function commandArg(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--device" || a === "--weights-dtype") i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

/** Levenshtein distance (for "did you mean"). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * `error: unknown command 'trian' (did you mean train?)` when the first argument names no command — checked
 * before commander parses, so `thinkrl trian --help` fails too instead of printing the main help.
 */
export function unknownCommandError(program: Command, argv: readonly string[]): string | null {
  const name = commandArg(argv);
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (name === undefined || name === "help" || names.includes(name)) return null;
  const near = names.filter((n) => editDistance(n, name) <= 2);
  return `error: unknown command '${name}' (${near.length > 0 ? `did you mean ${near.join(" or ")}?` : `commands: ${names.join(", ")}`})`;
}

export async function main(argv: string[]): Promise<number> {
  exitStatus.ok = 0;
  exitStatus.error = 1;
  const program = buildCli();
  const debug = argv.includes("--debug");
  const unknown = unknownCommandError(program, argv);
  if (unknown !== null) {
    console.error(unknown);
    return 1;
  }
  // verify's bad input (a flag value that does not parse, too) exits 2: 1 means "not equivalent" there.
  if (commandArg(argv) === "verify") exitStatus.error = 2;
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitStatus.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; commander already printed its one-line message for usage errors.
      return e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.help" ? 0 : e.exitCode || 1;
    }
    const err = e as Error & { hint?: string };
    console.error(`error: ${err.message}${err instanceof ThinkrlError && err.hint ? ` (hint: ${err.hint})` : ""}`);
    if (debug) console.error(err.stack);
    return exitStatus.error;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
