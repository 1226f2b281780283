/**
 * Singular Value Fine-tuning (Transformer², Sun et al. 2025, arXiv 2501.06252, §3.1): an expert is one vector per
 * adapted matrix that rescales its singular values, W′ = U·diag(σ ⊙ m)·Vᵀ, built from the cached factors (`svd.ts`,
 * `svd-cache.ts`) inside the jitted forward; the base weights never change.
 *
 * Parameterisations (`SvfParameterization`):
 * - `sigmoid` (the reference code, SakanaAI/self-adaptive-llms, default): parameter p, applied mask
 *   m = sigmoid(p)·maxMult, and the sum-preserving rescale s′ = σ⊙m · Σσ / Σ(σ⊙m), so W′ ≈ W at the start
 *   (p = 0.1 + 0.01·N(0, 1), m ≈ 0.525 everywhere, rescaled to ≈ 1).
 * - `direct` (the paper's z): m = z, no rescale; z = 1 (+ noise) is the identity.
 *
 * Mixing (§3.2, the second pass): m′ = Σ_k α_k·m_k over the experts' *applied* masks (after the sigmoid — the reference
 * mixes pre-sigmoid parameters, one of its traps), then the same rescale; α = 0 gives exactly the base weights.
 *
 * Layouts: our linear weights are `[in, out]` (`model/llama.ts`); the factors are kept in the Hugging Face (and the
 * reference's `torch.svd`) convention of the `[out, in]` weight: U `[out, k]`, S `[k]`, V `[in, k]`, so ours is
 * W = V·diag(S)·Uᵀ. On the device: `A` = V `[in, k]`, `Bt` = Uᵀ `[k, out]`, and W′ = (A ⊙ s′) @ Bt.
 *
 * Ownership: `svfWeight` consumes its arguments; `SvfTrainer` owns its vectors and the matrices it builds, and borrows
 * the base model's arrays (never disposed here).
 */
import { jit, nn, numpy as np, tree, type JsTree } from "@jax-js/jax";
import { ConfigError } from "../core/errors.js";
import { gaussian, type Rng } from "../core/rng.js";
import { CausalLM } from "../model/causal-lm.js";
import type { LayerParams, LlamaParams } from "../model/llama.js";
import type { AdaptedMatrix } from "./targets.js";

type Arr = np.Array;
type Tree = JsTree<Arr>;

export type SvfParameterization = "sigmoid" | "direct";
export const SVF_PARAMETERIZATIONS: readonly SvfParameterization[] = ["sigmoid", "direct"];

/** The SVD of one adapted matrix in the Hugging Face convention (W_hf `[out, in]` = U·diag(S)·Vᵀ), float32. */
export interface MatrixFactors {
  out: number;
  in: number;
  k: number;
  U: Float32Array; // [out, k]
  S: Float32Array; // [k]
  V: Float32Array; // [in, k]
}

/** The cached decomposition of a base model's adapted matrices. */
export interface SvfFactors {
  /** `baseHash` of the checkpoint the factors were computed from (`svd-cache.ts`). */
  baseHash: string;
  targets: AdaptedMatrix[];
  byName: Map<string, MatrixFactors>;
}

/** An SVF expert: one vector per adapted matrix (length k = min(out, in)), and what it was trained for. */
export interface SvfExpert {
  parameterization: SvfParameterization;
  /** The reference's `max_mult` (sigmoid only): m = sigmoid(p)·maxMult. Default 1. */
  maxMult: number;
  /** The trainable vector by Hugging Face weight name (p for `sigmoid`, z for `direct`). */
  vectors: Map<string, Float32Array>;
  meta: SvfExpertMeta;
}

export interface SvfExpertMeta {
  baseHash: string;
  /** Target patterns and layers the expert was made for (informational; the tensors name the matrices). */
  targets: string[];
  task: string | null;
  /** Best validation pass@1 on the split carved from the training data, or null. */
  validationScore: number | null;
  /** Free-form notes (steps, objective). */
  extra?: Record<string, string>;
}

/** The reference code's initial parameter: p = 0.1 + 0.01·N(0, 1) (`sigmoid`); `direct` starts at z = 1 + 0.01·N(0, 1). */
export const SVF_INIT = { sigmoidMean: 0.1, directMean: 1, std: 0.01 } as const;

/** Number of trainable values of an expert (Σ k over the adapted matrices). */
export function svfParamCount(e: Pick<SvfExpert, "vectors">): number {
  let n = 0;
  for (const v of e.vectors.values()) n += v.length;
  return n;
}

/**
 * A fresh expert for `factors`: p ~ 0.1 + std·N(0, 1) (`sigmoid`, the reference) or z ~ 1 + std·N(0, 1) (`direct`).
 * @param std noise scale (0 gives the exact identity for `direct`)
 */
export function initSvfExpert(factors: SvfFactors, o: { parameterization: SvfParameterization; maxMult?: number; rng: Rng; std?: number; meta: Omit<SvfExpertMeta, "baseHash"> }): SvfExpert {
  const std = o.std ?? SVF_INIT.std;
  const mean = o.parameterization === "sigmoid" ? SVF_INIT.sigmoidMean : SVF_INIT.directMean;
  const vectors = new Map<string, Float32Array>();
  for (const t of factors.targets) {
    const k = factors.byName.get(t.name)!.k;
    const v = new Float32Array(k);
    for (let i = 0; i < k; i++) v[i] = mean + std * gaussian(o.rng);
    vectors.set(t.name, v);
  }
  return { parameterization: o.parameterization, maxMult: o.maxMult ?? 1, vectors, meta: { ...o.meta, baseHash: factors.baseHash } };
}

/** The applied mask of one vector on the host (float64): sigmoid(p)·maxMult, or z. */
export function appliedMask(e: Pick<SvfExpert, "parameterization" | "maxMult">, v: Float32Array): Float64Array {
  const m = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) m[i] = e.parameterization === "sigmoid" ? e.maxMult / (1 + Math.exp(-v[i]!)) : v[i]!;
  return m;
}

/**
 * The singular values W′ uses, s′ = σ ⊙ m (× Σσ / Σ(σ⊙m) when `rescale`), float64.
 * @returns null when Σ(σ⊙m) = 0 under the rescale (α = 0): the caller keeps the base matrix
 */
export function scaledSigma(S: ArrayLike<number>, m: ArrayLike<number>, rescale: boolean): Float64Array | null {
  const s = new Float64Array(S.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < S.length; i++) {
    s[i] = S[i]! * m[i]!;
    num += S[i]!;
    den += s[i]!;
  }
  if (!rescale) return s;
  if (den === 0) return null;
  for (let i = 0; i < s.length; i++) s[i]! *= num / den;
  return s;
}

/**
 * α of each expert in a mix: one number (every layer alike) or one number per decoder layer (Transformer² §3.2's
 * per-layer option of the few-shot search).
 */
export type ExpertWeights = readonly (number | readonly number[])[];

/** The decoder layer of a Hugging Face weight name (`model.layers.3.mlp.up_proj.weight` → 3), or -1. */
export function layerOfWeight(name: string): number {
  const m = /(?:^|\.)layers\.(\d+)\./.exec(name);
  return m === null ? -1 : Number(m[1]);
}

/** α of expert `k` for the matrix `name` (its layer's value when α is per layer). */
function alphaOf(alphas: ExpertWeights, k: number, name: string): number {
  const a = alphas[k]!;
  if (typeof a === "number") return a;
  const l = layerOfWeight(name);
  const v = a[l];
  if (v === undefined) throw new ConfigError(`mixMasks: expert ${k + 1} has ${a.length} per-layer weights; ${name} is in layer ${l}`);
  return v;
}

/**
 * The mix of §3.2: m′ = Σ_k α_k·m_k over the experts' *applied* masks (after the sigmoid), by weight name; with
 * per-layer weights, α_k is the value of the matrix's layer.
 * @returns masks by name, and whether the rescale applies (every expert `sigmoid`); null when every α is 0 (the
 *   base model, exactly)
 * @throws ConfigError when the experts' parameterisations, matrices or lengths differ, or α has the wrong length
 */
export function mixMasks(experts: readonly SvfExpert[], alphas: ExpertWeights): { masks: Map<string, Float64Array>; rescale: boolean } | null {
  if (experts.length === 0 || alphas.length !== experts.length) throw new ConfigError(`mixMasks: ${alphas.length} weights for ${experts.length} experts`);
  if (alphas.every((a) => (typeof a === "number" ? a === 0 : a.every((x) => x === 0)))) return null;
  const p0 = experts[0]!.parameterization;
  if (experts.some((e) => e.parameterization !== p0)) throw new ConfigError("cannot mix sigmoid and direct SVF experts");
  const names = [...experts[0]!.vectors.keys()];
  const masks = new Map<string, Float64Array>();
  for (const name of names) {
    const acc = new Float64Array(experts[0]!.vectors.get(name)!.length);
    experts.forEach((e, j) => {
      const v = e.vectors.get(name);
      if (v === undefined || v.length !== acc.length) throw new ConfigError(`cannot mix experts: ${name} is missing or has another length in expert ${j + 1}`);
      const a = alphaOf(alphas, j, name);
      if (a === 0) return;
      const m = appliedMask(e, v);
      for (let i = 0; i < acc.length; i++) acc[i]! += a * m[i]!;
    });
    masks.set(name, acc);
  }
  for (const e of experts) if (e.vectors.size !== names.length) throw new ConfigError("cannot mix experts that adapt different matrices");
  return { masks, rescale: p0 === "sigmoid" };
}

/**
 * Checks that an expert fits a decomposition: same base hash, every vector names an adapted matrix with length k.
 * @throws ConfigError naming the first mismatch
 */
export function checkExpertFits(e: SvfExpert, f: SvfFactors, label = "expert"): void {
  if (e.meta.baseHash !== f.baseHash) {
    throw new ConfigError(`${label} was trained on another base model (base hash ${e.meta.baseHash.slice(0, 12)}…, this model ${f.baseHash.slice(0, 12)}…)`);
  }
  for (const [name, v] of e.vectors) {
    const mf = f.byName.get(name);
    if (mf === undefined) throw new ConfigError(`${label} adapts ${name}, which the SVD cache does not hold`, { hint: "decompose with the expert's targets (--adapter-targets)" });
    if (v.length !== mf.k) throw new ConfigError(`${label}: ${name} has ${v.length} values, the matrix has ${mf.k} singular values`);
  }
}

/** `[in, k]` and `[k, out]` device factors and `[k]` singular values of each adapted matrix. */
export interface DeviceFactors {
  A: Record<string, Arr>;
  Bt: Record<string, Arr>;
  S: Record<string, Arr>;
}

/** Moves the factors to the device (A = V, Bt = Uᵀ, S). The caller owns the result. */
export function deviceFactors(f: SvfFactors): DeviceFactors {
  const out: DeviceFactors = { A: {}, Bt: {}, S: {} };
  for (const t of f.targets) {
    const m = f.byName.get(t.name)!;
    const ut = new Float32Array(m.k * m.out);
    for (let i = 0; i < m.out; i++) for (let r = 0; r < m.k; r++) ut[r * m.out + i] = m.U[i * m.k + r]!;
    out.A[t.name] = np.array(m.V).reshape([m.in, m.k]);
    out.Bt[t.name] = np.array(ut).reshape([m.k, m.out]);
    out.S[t.name] = np.array(m.S);
  }
  return out;
}

/** W′ = (A ⊙ s′) @ Bt in our `[in, out]` layout. A `[in, k]`, s′ `[k]`, Bt `[k, out]`; consumes all three. */
export function svfWeight(A: Arr, sPrime: Arr, Bt: Arr): Arr {
  return np.matmul(A.mul(sPrime.reshape([1, -1])), Bt);
}

/**
 * s′ of one matrix on the device, traceable: m = sigmoid(p)·maxMult then the rescale, or m = z. Consumes `v` and `S`.
 */
export function deviceSigma(v: Arr, S: Arr, e: Pick<SvfExpert, "parameterization" | "maxMult">): Arr {
  if (e.parameterization === "direct") return S.mul(v);
  const sm = S.ref.mul(nn.sigmoid(v).mul(e.maxMult));
  return sm.ref.mul(S.sum().div(sm.sum()));
}

/** The params tree with the adapted matrices replaced (other leaves are the base's arrays, shared). */
function withMatrices(base: LlamaParams, targets: readonly AdaptedMatrix[], mats: Record<string, Arr>): LlamaParams {
  const layers = base.layers.map((l) => ({ ...l }));
  for (const t of targets) (layers[t.layer] as Record<string, Arr>)[t.key] = mats[t.name]!;
  return { ...base, layers };
}

/** The base params without the adapted matrices (the frozen tree; its leaves are the base's arrays). */
function withoutMatrices(base: LlamaParams, targets: readonly AdaptedMatrix[]): LlamaParams {
  const layers = base.layers.map((l) => ({ ...l }) as Partial<LayerParams>);
  for (const t of targets) delete layers[t.layer]![t.key];
  const out: Record<string, unknown> = { embed: base.embed, layers, norm: base.norm };
  if (base.lmHead) out.lmHead = base.lmHead;
  return out as LlamaParams;
}

/**
 * A model for generation with fixed singular values s′ by name (host float64), built once: a `CausalLM` sharing
 * `model`'s arrays except the adapted matrices. Matrices without an entry keep the base weights.
 * @param dev the factors already on the device (`deviceFactors`, borrowed and kept: for many mixes of one base);
 *   default: uploaded for this call and freed after
 * The caller disposes the returned model with `disposeAdapted` (not `dispose`, which would free the base's arrays).
 */
export function adaptedModel(model: CausalLM, f: SvfFactors, sigmas: ReadonlyMap<string, Float64Array>, dev?: DeviceFactors): CausalLM {
  const own = dev === undefined;
  const d = dev ?? deviceFactors(f);
  const mats: Record<string, Arr> = {};
  const targets = f.targets.filter((t) => sigmas.has(t.name));
  for (const t of f.targets) {
    const s = sigmas.get(t.name);
    if (s !== undefined) mats[t.name] = svfWeight(own ? d.A[t.name]! : d.A[t.name]!.ref, np.array(Float32Array.from(s)), own ? d.Bt[t.name]! : d.Bt[t.name]!.ref);
    else if (own) {
      d.A[t.name]!.dispose();
      d.Bt[t.name]!.dispose();
    }
    if (own) d.S[t.name]!.dispose();
  }
  const out = new CausalLM(model.config, withMatrices(model.params, targets, mats), model.tokenizer);
  out.logitsChunkElements = model.logitsChunkElements;
  ADAPTED.set(out, Object.values(mats));
  return out;
}

/** The arrays each adapted model owns (the rest belong to the base). */
const ADAPTED = new WeakMap<CausalLM, Arr[]>();

/** Frees what `adaptedModel` / `SvfTrainer` built for a model (never the base's arrays). */
export function disposeAdapted(m: CausalLM): void {
  for (const a of ADAPTED.get(m) ?? []) a.dispose();
  ADAPTED.delete(m);
}

/**
 * A model for generation under a mix of experts (`mixMasks`): W′ per matrix, or the base model itself (the same
 * object) when every α is 0.
 * @param dev the factors on the device, borrowed (`SvfMixer` passes them); default uploaded for this call
 */
export function mixedModel(model: CausalLM, f: SvfFactors, experts: readonly SvfExpert[], alphas: ExpertWeights, dev?: DeviceFactors): CausalLM {
  experts.forEach((e, i) => checkExpertFits(e, f, `expert ${i + 1}`));
  const mix = mixMasks(experts, alphas);
  if (mix === null) return model;
  const sigmas = new Map<string, Float64Array>();
  for (const [name, m] of mix.masks) {
    const s = scaledSigma(f.byName.get(name)!.S, m, mix.rescale);
    if (s !== null) sigmas.set(name, s);
  }
  return adaptedModel(model, f, sigmas, dev);
}

/**
 * Many mixes of the same experts on one base (Transformer²'s second pass per query, or a CEM search): the factors
 * go to the device once; each `model(α)` builds W′ from them. Free each model with `release`, the mixer with
 * `dispose`.
 */
export class SvfMixer {
  readonly #dev: DeviceFactors;
  /**
   * @throws ConfigError when an expert does not fit the factors (another base, another matrix set)
   */
  constructor(
    readonly base: CausalLM,
    readonly factors: SvfFactors,
    readonly experts: readonly SvfExpert[],
  ) {
    experts.forEach((e, i) => checkExpertFits(e, factors, `expert ${i + 1}`));
    this.#dev = deviceFactors(factors);
  }

  /** The model under α (per expert, or per expert and layer); the base itself when every α is 0. */
  model(alphas: ExpertWeights): CausalLM {
    return mixedModel(this.base, this.factors, this.experts, alphas, this.#dev);
  }

  /** Frees what `model` built (nothing for the base). */
  release(m: CausalLM): void {
    if (m !== this.base) disposeAdapted(m);
  }

  dispose(): void {
    for (const r of [this.#dev.A, this.#dev.Bt, this.#dev.S]) for (const a of Object.values(r)) a.dispose();
  }
}

/** The learner's frozen tree: the base without the adapted matrices, and the device factors. */
type FrozenTree = DeviceFactors & { base: LlamaParams };

/**
 * Training an SVF expert on the generic learner: `binding` is a `TrainableBinding` (`train/learner.ts`) whose
 * trainable tree is the expert's vectors and whose frozen tree is the base (without the adapted matrices) plus the
 * device factors; `policy` is the model rollouts sample from, rebuilt with W′ after every optimizer step.
 */
export class SvfTrainer {
  #vectors: Record<string, Arr>;
  readonly #frozen: FrozenTree;
  readonly #build;
  readonly policy: CausalLM;

  constructor(
    readonly base: CausalLM,
    readonly factors: SvfFactors,
    readonly expert: SvfExpert,
  ) {
    checkExpertFits(expert, factors);
    const dev = deviceFactors(factors);
    this.#frozen = { base: withoutMatrices(base.params, factors.targets), ...dev };
    this.#vectors = Object.fromEntries(factors.targets.map((t) => [t.name, np.array(expert.vectors.get(t.name)!)]));
    const targets = factors.targets;
    this.#build = jit((v: Record<string, Arr>, fz: DeviceFactors) => {
      const out: Record<string, Arr> = {};
      for (const t of targets) out[t.name] = svfWeight(fz.A[t.name]!, deviceSigma(v[t.name]!, fz.S[t.name]!, expert), fz.Bt[t.name]!);
      return out;
    });
    this.policy = new CausalLM(base.config, base.params, base.tokenizer);
    this.policy.logitsChunkElements = base.logitsChunkElements;
    this.#rebuild();
  }

  #rebuild(): void {
    disposeAdapted(this.policy);
    const { A, Bt, S } = this.#frozen;
    const mats = this.#build(tree.ref(this.#vectors as never) as never, tree.ref({ A, Bt, S } as never) as never) as Record<string, Arr>;
    this.policy.params = withMatrices(this.base.params, this.factors.targets, mats);
    ADAPTED.set(this.policy, Object.values(mats));
  }

  /** The learner's hook (structurally a `TrainableBinding`). */
  readonly binding = {
    get: () => this.#vectors as unknown as Tree,
    set: (t: Tree) => {
      this.#vectors = t as unknown as Record<string, Arr>;
      this.#rebuild();
    },
    frozen: () => this.#frozen as unknown as Tree,
    effective: (t: Tree, frozen: Tree | null): LlamaParams => {
      const v = t as unknown as Record<string, Arr>;
      const fz = frozen as unknown as FrozenTree;
      const mats: Record<string, Arr> = {};
      for (const tg of this.factors.targets) mats[tg.name] = svfWeight(fz.A[tg.name]!, deviceSigma(v[tg.name]!, fz.S[tg.name]!, this.expert), fz.Bt[tg.name]!);
      return withMatrices(fz.base, this.factors.targets, mats);
    },
  };

  /** The current expert (vectors read back to the host), with `meta` merged in. */
  async current(meta: Partial<SvfExpertMeta> = {}): Promise<SvfExpert> {
    const vectors = new Map<string, Float32Array>();
    for (const t of this.factors.targets) vectors.set(t.name, Float32Array.from((await this.#vectors[t.name]!.ref.data()) as Float32Array));
    return { ...this.expert, vectors, meta: { ...this.expert.meta, ...meta } };
  }

  /** Frees the vectors, the device factors and the policy's W′ (the base model stays). */
  dispose(): void {
    disposeAdapted(this.policy);
    tree.dispose(this.#vectors as never);
    const { A, Bt, S } = this.#frozen;
    tree.dispose({ A, Bt, S } as never);
  }
}
