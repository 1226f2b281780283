/**
 * LoRA runs of `thinkrl train --adapter lora` (see `adapter-run.ts`): PEFT adapter directories in each checkpoint
 * (`adapter/`), with a `thinkrl_meta.json` beside PEFT's two files naming the step, the validation score of those
 * weights and the base model's hash (PEFT ignores other files in the directory).
 */
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { RunLog } from "../core/log.js";
import { Rng } from "../core/rng.js";
import { checkLoraRank, disposeLoraModel, encodePeft, initLora, LoraTrainer, loraModel, loraParamCount, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, type LoraAdapter } from "../adapt/lora.js";
import { readPeftAdapter } from "../adapt/node.js";
import { baseHash } from "../adapt/svd-cache.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { TrainConfig } from "../train/config.js";
import type { TrainableBinding } from "../train/learner.js";
import { BEST_ADAPTER_DIR, configTargets, type AdapterFiles, type AdapterRun } from "./adapter-run.js";
import { readFile } from "node:fs/promises";

/** The PEFT adapter directory inside a checkpoint. */
export const LORA_ADAPTER_DIR = "adapter";
/**
 * thinkrl's notes beside a PEFT adapter: `{step, validation_score, base_hash, objective, task}`, and the dropout
 * masks' RNG state (`dropout_rng_state`) a resumed run continues from.
 */
export const LORA_META_FILE = "thinkrl_meta.json";

interface LoraMeta {
  step: number;
  validation_score: number | null;
  base_hash: string;
  objective: string;
  task: string;
  dropout_rng_state?: number[];
}

/** Reads `thinkrl_meta.json` of an adapter directory, or null when absent. */
async function readLoraMeta(dir: string): Promise<LoraMeta | null> {
  const text = await readFile(join(dir, LORA_META_FILE), "utf8").catch(() => null);
  return text === null ? null : (JSON.parse(text) as LoraMeta);
}

/** The config keys a LoRA run reads (`thinkrl train` and `thinkrl sft` both have them). */
export type LoraRunConfig = Pick<TrainConfig, "adapterTargets" | "adapterLayers" | "loraRank" | "loraAlpha" | "loraDropout" | "adapterPath" | "seed" | "model" | "objective" | "dataset">;

/**
 * A LoRA run's adapter on the frozen `base`: fresh (PEFT's init, seeded), `cfg.adapterPath` (a PEFT adapter
 * directory: its rank, α and targets), or, resuming, the checkpoint's `adapter/` (and its `best/adapter/`).
 * @throws ConfigError for a rank above a target's smaller side, or an adapter thinkrl wrote for another base;
 *   CheckpointError for an unreadable adapter directory or one that does not fit the model
 */
export async function openLora(cfg: Readonly<LoraRunConfig>, base: CausalLM, log: RunLog, resumeDir: string | null = null): Promise<AdapterRun> {
  const L = base.config.numHiddenLayers;
  const hash = await baseHash(base);
  let start: LoraAdapter;
  let dropoutState: number[] | null = null;
  let best: { adapter: LoraAdapter; score: number; step: number } | null = null;
  const from = resumeDir !== null ? join(resumeDir, LORA_ADAPTER_DIR) : cfg.adapterPath;
  if (from !== null) {
    // thinkrl-written adapters name their base (a PEFT-written one is checked by its shapes only).
    const meta = await readLoraMeta(from);
    if (meta !== null && meta.base_hash !== hash) {
      throw new ConfigError(`${from} was trained on another base model (base hash ${meta.base_hash.slice(0, 12)}…, this model ${hash.slice(0, 12)}…)`, {
        hint: resumeDir !== null ? "the run's base model (--model) changed since the checkpoint" : "pass the --model the adapter was trained on",
      });
    }
    start = await readPeftAdapter(from, base);
    if (resumeDir === null) log.info(`LoRA: starting from ${from}`);
    else dropoutState = meta?.dropout_rng_state ?? null;
  } else {
    const targets = configTargets({ ...cfg, adapter: "lora" }, L);
    checkLoraRank(base, targets, cfg.loraRank);
    start = initLora(base, targets, { r: cfg.loraRank, alpha: cfg.loraAlpha, rng: new Rng(cfg.seed + 2) });
  }
  if (resumeDir !== null) {
    const bestDir = join(resumeDir, BEST_ADAPTER_DIR, LORA_ADAPTER_DIR);
    const bestMeta = await readLoraMeta(bestDir);
    if (bestMeta !== null && bestMeta.validation_score !== null) best = { adapter: await readPeftAdapter(bestDir, base), score: bestMeta.validation_score, step: bestMeta.step };
  }
  const tr = new LoraTrainer(base, start, { dropout: cfg.loraDropout, seed: cfg.seed + 4 });
  if (dropoutState !== null) tr.dropoutState = dropoutState;
  const paramCount = loraParamCount(tr.adapter);
  log.info(`LoRA r=${start.r} α=${start.alpha}${cfg.loraDropout > 0 ? ` dropout ${cfg.loraDropout}` : ""}: ${paramCount.toLocaleString("en-US")} trainable values over ${start.targets.length} matrices`);
  const files = (a: LoraAdapter, step: number, score: number | null): AdapterFiles => {
    const { config, weights } = encodePeft(a, L, cfg.model);
    const meta: LoraMeta = { step, validation_score: score, base_hash: hash, objective: cfg.objective, task: cfg.dataset, ...(cfg.loraDropout > 0 ? { dropout_rng_state: tr.dropoutState } : {}) };
    return {
      [join(LORA_ADAPTER_DIR, PEFT_CONFIG_FILE)]: config,
      [join(LORA_ADAPTER_DIR, PEFT_WEIGHTS_FILE)]: Buffer.concat(weights),
      [join(LORA_ADAPTER_DIR, LORA_META_FILE)]: JSON.stringify(meta, null, 1),
    };
  };
  return {
    kind: "lora",
    policy: tr.policy,
    binding: tr.binding as unknown as TrainableBinding,
    paramCount,
    path: LORA_ADAPTER_DIR,
    files: async (step, score) => files(await tr.current(), step, score),
    markBest: async (score, step) => void (best = { adapter: await tr.current(), score, step }),
    best: () => (best === null ? null : { score: best.score, step: best.step, files: files(best.adapter, best.step, best.score) }),
    bestModel: () => (best === null ? null : loraModel(base, best.adapter)),
    disposeModel: (m) => disposeLoraModel(m),
    dispose: () => tr.dispose(),
  };
}
