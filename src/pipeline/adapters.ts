/**
 * Using adapters everywhere: `--expert FILE[,FILE…]` (SVF experts, mixed by `--expert-weights`, Transformer² §3.2)
 * or `--adapter-path DIR` (a PEFT LoRA adapter) on a loaded base model — for `generate`, `eval`, `sample` and
 * `export --merge`.
 */
import { ConfigError } from "../core/errors.js";
import { readPeftAdapter, readSvfExpert } from "../adapt/node.js";
import { svdFactors } from "../adapt/svd-cache.js";
import { disposeAdapted, mixedModel } from "../adapt/svf.js";
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
export async function applyAdapter(model: CausalLM, s: AdapterSpec, log?: (m: string) => void): Promise<{ model: CausalLM; description: string; release: () => void }> {
  const experts = s.expert ?? [];
  if (experts.length > 0 && s.adapterPath) throw new ConfigError("pass --expert or --adapter-path, not both");
  if (s.adapterPath) {
    const a = await readPeftAdapter(s.adapterPath, model);
    const m = loraModel(model, a);
    return { model: m, description: `LoRA ${s.adapterPath} (r ${a.r}, α ${a.alpha}, ${a.targets.length} matrices, ${loraParamCount(a).toLocaleString("en-US")} values)`, release: () => disposeLoraModel(m) };
  }
  if (experts.length === 0) return { model, description: "no adapter", release: () => {} };
  const weights = s.expertWeights ?? (experts.length === 1 ? [1] : null);
  if (weights === null) throw new ConfigError(`${experts.length} experts need --expert-weights (one α each)`);
  if (weights.length !== experts.length || weights.some((w) => !Number.isFinite(w))) throw new ConfigError(`--expert-weights must list ${experts.length} numbers (got ${JSON.stringify(weights)})`);
  const files = await Promise.all(experts.map((f) => readSvfExpert(f)));
  const names = new Set(files.flatMap((e) => [...e.vectors.keys()]));
  const targets = selectTargets(model.config.numHiddenLayers, ["proj"]).filter((t) => names.has(t.name));
  if (targets.length !== names.size) throw new ConfigError(`${experts.join(", ")}: adapts matrices this model does not have`);
  const { factors } = await svdFactors(model, targets, { onMatrix: (r, d, n) => log?.(`SVD ${d}/${n} ${r.name}${r.cached ? " (cached)" : ""}`) });
  const m = mixedModel(model, factors, files, weights);
  const mix = experts.map((f, i) => `${weights[i]}×${f}`).join(" + ");
  return { model: m, description: `SVF ${mix} (${targets.length} matrices)`, release: () => (m === model ? undefined : disposeAdapted(m)) };
}
