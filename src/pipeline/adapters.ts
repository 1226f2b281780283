/**
 * Using adapters everywhere: `--expert FILE[,FILE…]` (SVF experts, mixed by `--expert-weights`, Transformer² §3.2)
 * or `--adapter-path DIR` (a PEFT LoRA adapter) on a loaded base model — for `generate`, `eval`, `sample` and
 * `export --merge`; listing expert files (`thinkrl svf list`).
 */
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { parseSafetensorsMetadata } from "../model/safetensors.js";
import { saveModel } from "../train/state.js";
import { readPeftAdapter, readSvfExpert } from "../adapt/node.js";
import { svdFactors } from "../adapt/svd-cache.js";
import { disposeAdapted, mixedModel, svfParamCount, type SvfExpert, type SvfFactors } from "../adapt/svf.js";
import { disposeLoraModel, loraModel, loraParamCount } from "../adapt/lora.js";
import { selectTargets } from "../adapt/targets.js";
import type { CausalLM } from "../model/causal-lm.js";

/** Which adapter to apply. */
export interface AdapterSpec {
  /** SVF expert files; several are mixed. */
  expert?: string[] | null;
  /** α of each expert (default: 1 for a single expert). m′ = Σ α_k·m_k over the applied masks. */
  expertWeights?: number[] | null;
  /** A PEFT LoRA adapter directory. */
  adapterPath?: string | null;
}

/** True when `s` names an adapter. */
export function hasAdapter(s: AdapterSpec | null | undefined): s is AdapterSpec {
  return !!s && ((s.expert?.length ?? 0) > 0 || !!s.adapterPath);
}

/**
 * `model` with the adapter applied (a new `CausalLM` sharing the base's other arrays; the base itself when every
 * α is 0), and a one-line description. Free it with `release`.
 * @throws ConfigError for both kinds at once, a weight count that does not match, or an expert of another base;
 *   CheckpointError for an unreadable or ill-fitting file
 */
export async function applyAdapter(model: CausalLM, s: AdapterSpec, log?: (m: string) => void): Promise<{ model: CausalLM; description: string; release: () => void; paramCount: number }> {
  const experts = s.expert ?? [];
  if (experts.length > 0 && s.adapterPath) throw new ConfigError("pass --expert or --adapter-path, not both");
  if (s.adapterPath) {
    const a = await readPeftAdapter(s.adapterPath, model);
    const m = loraModel(model, a);
    return { model: m, description: `LoRA ${s.adapterPath} (r ${a.r}, α ${a.alpha}, ${a.targets.length} matrices, ${loraParamCount(a).toLocaleString("en-US")} values)`, release: () => disposeLoraModel(m), paramCount: loraParamCount(a) };
  }
  if (experts.length === 0) return { model, description: "no adapter", release: () => {}, paramCount: 0 };
  const weights = s.expertWeights ?? (experts.length === 1 ? [1] : null);
  if (weights === null) throw new ConfigError(`${experts.length} experts need --expert-weights (one α each)`);
  if (weights.length !== experts.length || weights.some((w) => !Number.isFinite(w))) throw new ConfigError(`--expert-weights must list ${experts.length} numbers (got ${JSON.stringify(weights)})`);
  const files = await Promise.all(experts.map((f) => readSvfExpert(f)));
  const factors = await expertFactors(model, files, experts.join(", "), log);
  const m = mixedModel(model, factors, files, weights);
  const mix = experts.map((f, i) => `${weights[i]}×${f}`).join(" + ");
  // Trainable values: Σ k of each expert (the mix's α are K more, chosen per query or task).
  const paramCount = files.reduce((n, e) => n + svfParamCount(e), 0);
  return { model: m, description: `SVF ${mix} (${factors.targets.length} matrices)`, release: () => (m === model ? undefined : disposeAdapted(m)), paramCount };
}

/**
 * The (cached) SVD factors of the matrices `experts` adapt on `model`.
 * @param label names the experts in the error
 * @throws ConfigError when an expert adapts a matrix the model does not have
 */
export async function expertFactors(model: CausalLM, experts: readonly SvfExpert[], label: string, log?: (m: string) => void): Promise<SvfFactors> {
  const names = new Set(experts.flatMap((e) => [...e.vectors.keys()]));
  const targets = selectTargets(model.config.numHiddenLayers, ["proj"]).filter((t) => names.has(t.name));
  if (targets.length !== names.size) throw new ConfigError(`${label}: adapts matrices this model does not have`);
  return (await svdFactors(model, targets, { onMatrix: (r, d, n) => log?.(`SVD ${d}/${n} ${r.name}${r.cached ? " (cached)" : ""}`) })).factors;
}

/** One SVF expert file found by `listSvfExperts`: its path and metadata (as stored; `step` when a run wrote it). */
export interface SvfExpertEntry {
  path: string;
  task: string | null;
  paramCount: number;
  parameterization: string;
  validationScore: number | null;
  step: number | null;
  baseHash: string;
}

/**
 * The SVF expert files under `dir` (recursively, sorted by path; other safetensors files are skipped) — what
 * `thinkrl svf list` prints.
 * @throws ConfigError when `dir` does not exist or is not a directory
 */
export async function listSvfExperts(dir: string): Promise<SvfExpertEntry[]> {
  const st = await stat(dir).catch(() => null);
  if (st === null) throw new ConfigError(`${dir} does not exist`, { hint: "pass the directory to search, e.g. thinkrl svf list runs/svf" });
  if (!st.isDirectory()) throw new ConfigError(`${dir} is not a directory`, { hint: "thinkrl svf inspect <file> shows one expert" });
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(".safetensors") && !e.name.startsWith("model")) found.push(p);
    }
  };
  await walk(dir);
  const out: SvfExpertEntry[] = [];
  for (const path of found.sort()) {
    let meta: Record<string, string>;
    try {
      meta = parseSafetensorsMetadata(await readFile(path), path);
    } catch {
      continue; // not a safetensors file we can read: not an expert
    }
    if (meta.thinkrl_adapter !== "svf") continue;
    out.push({
      path,
      task: meta.task || null,
      paramCount: Number(meta.param_count),
      parameterization: meta.parameterization ?? "",
      validationScore: meta.validation_score ? Number(meta.validation_score) : null,
      step: meta.step ? Number(meta.step) : null,
      baseHash: meta.base_hash ?? "",
    });
  }
  return out;
}

/**
 * Refuses an export target that exists and is not an empty directory, unless `force`.
 * @throws ConfigError naming `out`, with `--force` as the way out
 */
export async function checkExportTarget(out: string, force: boolean): Promise<void> {
  const st = await stat(out).catch(() => null);
  if (st === null || force) return;
  if (!st.isDirectory() || (await readdir(out)).length > 0) throw new ConfigError(`${out} already exists and is not empty`, { hint: "pass --force to replace it, or another --out" });
}

/**
 * `thinkrl export --merge`: writes `model` with the adapter merged in (SVF W′ or LoRA W + (α/r)·BA) as a plain
 * Hugging Face checkpoint in `out` (atomically). Refuses an `out` that exists and is not empty unless `force`
 * (then it is replaced whole).
 * @param generationConfig the base's generation_config.json object (kept), or null
 * @returns the adapter's one-line description
 * @throws ConfigError for an occupied `out` without `force`, or as `applyAdapter`
 */
export async function exportMerged(model: CausalLM, s: AdapterSpec, out: string, o: { force?: boolean; generationConfig?: unknown; log?: (m: string) => void } = {}): Promise<string> {
  if (!hasAdapter(s)) throw new ConfigError("export --merge needs --expert <file> or --adapter-path <dir>");
  await checkExportTarget(out, o.force === true);
  const a = await applyAdapter(model, s, o.log);
  try {
    if ((await stat(out).catch(() => null))?.isFile()) await rm(out, { force: true });
    await saveModel(out, a.model, o.generationConfig ?? undefined);
  } finally {
    a.release();
  }
  return a.description;
}
