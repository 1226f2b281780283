/**
 * Which weight matrices an adapter (SVF expert, LoRA) acts on, named as Hugging Face names them
 * (`model.layers.{i}.mlp.gate_proj.weight`). Browser-safe.
 */
import { ConfigError } from "../core/errors.js";
import type { LayerParams } from "../model/llama.js";
import { LINEAR_HF } from "../model/params.js";

/** The linear layers of a decoder layer: our param key → the Hugging Face module path (`model/params.ts`). */
export const LINEAR_MODULES = LINEAR_HF;
export type LinearKey = keyof typeof LINEAR_MODULES & keyof LayerParams;

/** One adapted matrix: layer, our param key, and its Hugging Face weight name. */
export interface AdaptedMatrix {
  layer: number;
  key: LinearKey;
  /** `model.layers.{layer}.{module}.weight`. */
  name: string;
  /** `model.layers.{layer}.{module}` (PEFT's module path without the `base_model.model.` prefix). */
  module: string;
}

/** Transformer²'s reference adapts the parameters whose name contains "mlp": gate, up and down projections. */
export const SVF_DEFAULT_TARGETS: readonly string[] = ["mlp"];
/** PEFT's default LoRA targets for Llama/Qwen2 (`TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING`): q and v. */
export const LORA_DEFAULT_TARGETS: readonly string[] = ["q_proj", "v_proj"];

/**
 * The matrices matched by `patterns` (each a substring of the module path, e.g. `mlp`, `self_attn`, `q_proj`,
 * `mlp.down_proj`) in the layers `layers` (null = all).
 * @throws ConfigError when a pattern matches nothing or a layer is out of range
 */
export function selectTargets(numLayers: number, patterns: readonly string[], layers: readonly number[] | null = null): AdaptedMatrix[] {
  for (const l of layers ?? []) {
    if (!Number.isInteger(l) || l < 0 || l >= numLayers) throw new ConfigError(`adapter layer ${l} is out of range (the model has layers 0–${numLayers - 1})`);
  }
  const modules = Object.entries(LINEAR_MODULES) as [LinearKey, string][];
  for (const p of patterns) {
    if (!modules.some(([, m]) => m.includes(p))) {
      throw new ConfigError(`adapter target "${p}" matches no module`, { hint: `modules: ${modules.map(([, m]) => m).join(", ")} (a substring selects, e.g. mlp, self_attn, q_proj)` });
    }
  }
  const out: AdaptedMatrix[] = [];
  for (let layer = 0; layer < numLayers; layer++) {
    if (layers !== null && !layers.includes(layer)) continue;
    for (const [key, m] of modules) {
      if (!patterns.some((p) => m.includes(p))) continue;
      const module = `model.layers.${layer}.${m}`;
      out.push({ layer, key, name: `${module}.weight`, module });
    }
  }
  return out;
}

/**
 * Parses a layer list such as `0-3,7` into sorted layer indices.
 * @throws ConfigError for a malformed list
 */
export function parseLayerList(spec: string): number[] {
  const out = new Set<number>();
  for (const part of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new ConfigError(`bad layer list "${spec}"`, { hint: "e.g. 0-3,7" });
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = Math.min(a, b); i <= Math.max(a, b); i++) out.add(i);
  }
  if (out.size === 0) throw new ConfigError(`bad layer list "${spec}"`, { hint: "e.g. 0-3,7" });
  return [...out].sort((x, y) => x - y);
}
