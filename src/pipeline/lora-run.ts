/** LoRA runs of `thinkrl train --adapter lora` (see `adapter-run.ts`). */
import { ConfigError } from "../core/errors.js";
import type { RunLog } from "../core/log.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { TrainConfig } from "../train/config.js";
import type { AdapterRun } from "./adapter-run.js";

export async function openLora(_cfg: Readonly<TrainConfig>, _base: CausalLM, _log: RunLog): Promise<AdapterRun> {
  throw new ConfigError("--adapter lora is not built yet");
}
