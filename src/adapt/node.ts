/** Expert and adapter files on disk (Node). */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CheckpointError } from "../core/errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import { decodePeft, encodePeft, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, type LoraAdapter } from "./lora.js";
import { decodeSvfExpert, encodeSvfExpert } from "./expert-file.js";
import type { SvfExpert } from "./svf.js";

/** Reads an SVF expert file. @throws CheckpointError when missing or not an expert */
export async function readSvfExpert(path: string): Promise<SvfExpert> {
  const buf = await readFile(path).catch((e: Error) => {
    throw new CheckpointError(`cannot read expert ${path}: ${e.message}`);
  });
  return decodeSvfExpert(buf, path);
}

/** Writes an SVF expert file. */
export async function writeSvfExpert(path: string, e: SvfExpert): Promise<void> {
  await writeFile(path, Buffer.concat(encodeSvfExpert(e)));
}

/** Reads a PEFT LoRA adapter directory for `model`. @throws CheckpointError when a file is missing or does not fit */
export async function readPeftAdapter(dir: string, model: CausalLM): Promise<LoraAdapter> {
  const cfg = await readFile(join(dir, PEFT_CONFIG_FILE), "utf8").catch(() => {
    throw new CheckpointError(`${dir} is not a PEFT adapter directory (no ${PEFT_CONFIG_FILE})`);
  });
  const w = await readFile(join(dir, PEFT_WEIGHTS_FILE)).catch(() => {
    throw new CheckpointError(`${dir}: missing ${PEFT_WEIGHTS_FILE}`, { hint: "adapter_model.bin (pickle) is not read: re-save with safe_serialization=True" });
  });
  return decodePeft(cfg, w, model, dir);
}

/** Writes a PEFT adapter directory (adapter_config.json + adapter_model.safetensors). */
export async function writePeftAdapter(dir: string, a: LoraAdapter, numLayers: number, baseModel: string | null): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { config, weights } = encodePeft(a, numLayers, baseModel);
  await writeFile(join(dir, PEFT_CONFIG_FILE), config);
  await writeFile(join(dir, PEFT_WEIGHTS_FILE), Buffer.concat(weights));
}
