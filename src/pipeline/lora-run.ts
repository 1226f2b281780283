/** LoRA runs of `thinkrl train --adapter lora` (see `adapter-run.ts`): PEFT adapter directories in each checkpoint. */
import { join } from "node:path";
import type { RunLog } from "../core/log.js";
import { Rng } from "../core/rng.js";
import { checkLoraRank, disposeLoraModel, initLora, LoraTrainer, loraModel, loraParamCount, type LoraAdapter } from "../adapt/lora.js";
import { writePeftAdapter } from "../adapt/node.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { TrainConfig } from "../train/config.js";
import type { TrainableBinding } from "../train/learner.js";
import { configTargets, type AdapterRun } from "./adapter-run.js";

/** The PEFT adapter directory inside a checkpoint. */
export const LORA_ADAPTER_DIR = "adapter";

export async function openLora(cfg: Readonly<TrainConfig>, base: CausalLM, log: RunLog): Promise<AdapterRun> {
  const L = base.config.numHiddenLayers;
  const targets = configTargets(cfg, L);
  checkLoraRank(base, targets, cfg.loraRank);
  const tr = new LoraTrainer(base, initLora(base, targets, { r: cfg.loraRank, alpha: cfg.loraAlpha, rng: new Rng(cfg.seed + 2) }));
  const paramCount = loraParamCount(tr.adapter);
  log.info(`LoRA r=${cfg.loraRank} α=${cfg.loraAlpha}: ${paramCount.toLocaleString("en-US")} trainable values over ${targets.length} matrices`);
  let best: LoraAdapter | null = null;
  return {
    kind: "lora",
    policy: tr.policy,
    binding: tr.binding as unknown as TrainableBinding,
    paramCount,
    save: async (dir) => writePeftAdapter(join(dir, LORA_ADAPTER_DIR), await tr.current(), L, cfg.model),
    markBest: async () => void (best = await tr.current()),
    bestModel: () => (best === null ? null : loraModel(base, best)),
    disposeModel: (m) => disposeLoraModel(m),
    dispose: () => tr.dispose(),
  };
}
