/**
 * SVF expert files: a small safetensors file, one float32 vector per adapted matrix named by its Hugging Face weight
 * name (`model.layers.0.mlp.gate_proj.weight`, length k), and string metadata (`__metadata__`): `thinkrl_adapter`
 * = `svf`, `base_hash`, `parameterization`, `max_mult`, `targets`, `task`, `param_count`, `validation_score`.
 * Browser-safe (bytes in, bytes out); `node.ts` reads and writes files.
 */
import { CheckpointError } from "../core/errors.js";
import { encodeSafetensors, parseSafetensors, parseSafetensorsMetadata } from "../model/safetensors.js";
import { SVF_PARAMETERIZATIONS, svfParamCount, type SvfExpert, type SvfParameterization } from "./svf.js";

/** The conventional file name of an expert inside a checkpoint or run directory. */
export const SVF_EXPERT_FILE = "svf_expert.safetensors";
const KIND = "svf";

/** The bytes of an expert file (chunks, as `encodeSafetensors`). */
export function encodeSvfExpert(e: SvfExpert): Uint8Array[] {
  const tensors = new Map([...e.vectors].map(([name, v]) => [name, { shape: [v.length], data: v }]));
  const meta: Record<string, string> = {
    thinkrl_adapter: KIND,
    base_hash: e.meta.baseHash,
    parameterization: e.parameterization,
    max_mult: String(e.maxMult),
    targets: JSON.stringify(e.meta.targets),
    task: e.meta.task ?? "",
    param_count: String(svfParamCount(e)),
    validation_score: e.meta.validationScore === null ? "" : String(e.meta.validationScore),
    ...(e.meta.extra ?? {}),
  };
  return encodeSafetensors(tensors, "F32", meta);
}

/**
 * Parses an expert file.
 * @throws CheckpointError (one line) when the file is not a thinkrl SVF expert, lacks metadata, or a tensor is not a vector
 */
export function decodeSvfExpert(buf: Uint8Array, source: string): SvfExpert {
  const meta = parseSafetensorsMetadata(buf, source);
  if (meta.thinkrl_adapter !== KIND) {
    throw new CheckpointError(`${source} is not an SVF expert file (metadata thinkrl_adapter=${JSON.stringify(meta.thinkrl_adapter ?? null)})`, { hint: "a LoRA adapter is a directory: pass it with --adapter-path" });
  }
  if (!meta.base_hash) throw new CheckpointError(`${source}: SVF expert without base_hash metadata`);
  const parameterization = meta.parameterization as SvfParameterization;
  if (!SVF_PARAMETERIZATIONS.includes(parameterization)) throw new CheckpointError(`${source}: unknown parameterization ${JSON.stringify(meta.parameterization)}`);
  const maxMult = Number(meta.max_mult ?? "1");
  if (!Number.isFinite(maxMult) || maxMult <= 0) throw new CheckpointError(`${source}: bad max_mult ${JSON.stringify(meta.max_mult)}`);
  const vectors = new Map<string, Float32Array>();
  for (const [name, t] of parseSafetensors(buf, source)) {
    if (t.shape.length !== 1) throw new CheckpointError(`${source}: tensor ${name} has shape [${t.shape}], an SVF vector is 1-D`);
    vectors.set(name, t.data);
  }
  if (vectors.size === 0) throw new CheckpointError(`${source}: SVF expert without vectors`);
  let targets: string[] = [];
  try {
    targets = JSON.parse(meta.targets ?? "[]") as string[];
  } catch {
    throw new CheckpointError(`${source}: bad targets metadata ${JSON.stringify(meta.targets)}`);
  }
  const known = new Set(["thinkrl_adapter", "base_hash", "parameterization", "max_mult", "targets", "task", "param_count", "validation_score", "format"]);
  const extra = Object.fromEntries(Object.entries(meta).filter(([k]) => !known.has(k)));
  const score = meta.validation_score ? Number(meta.validation_score) : null;
  return { parameterization, maxMult, vectors, meta: { baseHash: meta.base_hash, targets, task: meta.task || null, validationScore: score, extra } };
}
