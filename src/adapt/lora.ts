/**
 * LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models", §4.1: W′ = W + (α/r)·B·A, A `[r, in]`
 * ~ Kaiming-uniform, B `[out, r]` = 0) as a binding of the generic learner, in PEFT's file layout: `adapter_config.json`
 * + `adapter_model.safetensors` with tensors `base_model.model.<module>.lora_A.weight` `[r, in]` and `.lora_B.weight`
 * `[out, r]` (PEFT `LoraModel`, `save_pretrained`). The Transformer² paper's baseline next to SVF.
 *
 * On the device, in our `[in, out]` layout: A_ours = A_peftᵀ `[in, r]`, B_ours = B_peftᵀ `[r, out]`, so
 * W′_ours = W + (α/r)·A_ours @ B_ours. Browser-safe (bytes in, bytes out); `node.ts` reads and writes directories.
 */
import { jit, numpy as np, random, tree, type JsTree } from "@jax-js/jax";
import { CheckpointError, ConfigError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { CausalLM } from "../model/causal-lm.js";
import { BRANCHES, type LayerBranches, type LlamaParams } from "../model/llama.js";
import { encodeSafetensors, parseSafetensors, type Tensor } from "../model/safetensors.js";
import { LINEAR_MODULES, selectTargets, type AdaptedMatrix } from "./targets.js";

type Arr = np.Array;
type Tree = JsTree<Arr>;

export const PEFT_CONFIG_FILE = "adapter_config.json";
export const PEFT_WEIGHTS_FILE = "adapter_model.safetensors";
/** PEFT's prefix of a causal LM's module names (`PeftModelForCausalLM.base_model.model`). */
const PEFT_PREFIX = "base_model.model.";

/** A LoRA adapter on the host, PEFT layout: A `[r, in]`, B `[out, r]` per module. */
export interface LoraAdapter {
  r: number;
  alpha: number;
  /** PEFT `use_rslora`: scale α/√r instead of α/r. */
  useRslora: boolean;
  targets: AdaptedMatrix[];
  A: Map<string, Tensor>;
  B: Map<string, Tensor>;
  /** PEFT `lora_dropout`: dropout on the adapter branch's input while training (0 at inference). Default 0. */
  dropout?: number;
  /** adapter_config.json fields kept as read (base_model_name_or_path, …). */
  extraConfig?: Record<string, unknown>;
}

/** The scale of ΔW: α/r, or α/√r with rsLoRA (Kalajdzievski 2023). */
export function loraScale(a: Pick<LoraAdapter, "r" | "alpha" | "useRslora">): number {
  return a.useRslora ? a.alpha / Math.sqrt(a.r) : a.alpha / a.r;
}

/** `[out, in]` Hugging Face shape of a target's weight. */
function hfShape(model: CausalLM, t: AdaptedMatrix): [number, number] {
  const s = model.params.layers[t.layer]![t.key].shape as [number, number]; // ours [in, out]
  return [s[1], s[0]];
}

/**
 * A fresh adapter as PEFT initialises it (`init_lora_weights=True`): A ~ U(−1/√in, 1/√in) (`kaiming_uniform_` with
 * a = √5), B = 0 — so W′ = W at the start.
 */
export function initLora(model: CausalLM, targets: readonly AdaptedMatrix[], o: { r: number; alpha: number; rng: Rng }): LoraAdapter {
  const A = new Map<string, Tensor>();
  const B = new Map<string, Tensor>();
  for (const t of targets) {
    const [out, inn] = hfShape(model, t);
    const bound = 1 / Math.sqrt(inn);
    A.set(t.module, { shape: [o.r, inn], data: Float32Array.from({ length: o.r * inn }, () => (2 * o.rng.next() - 1) * bound) });
    B.set(t.module, { shape: [out, o.r], data: new Float32Array(out * o.r) });
  }
  return { r: o.r, alpha: o.alpha, useRslora: false, targets: [...targets], A, B };
}

/** Trainable values (Σ r·(in + out)). */
export function loraParamCount(a: LoraAdapter): number {
  let n = 0;
  for (const t of a.targets) n += a.A.get(t.module)!.data.length + a.B.get(t.module)!.data.length;
  return n;
}

/** adapter_config.json for PEFT (`LoraConfig`); target_modules as the modules' last names, layers_to_transform when a subset. */
export function peftConfig(a: LoraAdapter, numLayers: number, baseModel: string | null): Record<string, unknown> {
  const names = [...new Set(a.targets.map((t) => LINEAR_MODULES[t.key].split(".").pop()!))];
  const layers = [...new Set(a.targets.map((t) => t.layer))].sort((x, y) => x - y);
  return {
    ...(a.extraConfig ?? {}),
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: baseModel,
    r: a.r,
    lora_alpha: a.alpha,
    lora_dropout: a.dropout ?? 0,
    target_modules: names,
    layers_to_transform: layers.length === numLayers ? null : layers,
    bias: "none",
    fan_in_fan_out: false,
    use_rslora: a.useRslora,
    use_dora: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
  };
}

/** The files of a PEFT adapter directory: adapter_config.json text and adapter_model.safetensors chunks. */
export function encodePeft(a: LoraAdapter, numLayers: number, baseModel: string | null): { config: string; weights: Uint8Array[] } {
  const tensors = new Map<string, Tensor>();
  for (const t of a.targets) {
    tensors.set(`${PEFT_PREFIX}${t.module}.lora_A.weight`, a.A.get(t.module)!);
    tensors.set(`${PEFT_PREFIX}${t.module}.lora_B.weight`, a.B.get(t.module)!);
  }
  return { config: JSON.stringify(peftConfig(a, numLayers, baseModel), null, 2), weights: encodeSafetensors(tensors, "F32") };
}

/**
 * Reads a PEFT LoRA adapter for `model`.
 * @throws CheckpointError (one line) for another PEFT type, DoRA, fan_in_fan_out, a module the model lacks, a
 *   missing A or B, or shapes that do not fit the model
 */
export function decodePeft(configText: string, weights: Uint8Array, model: CausalLM, source: string): LoraAdapter {
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(configText) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`${source}/${PEFT_CONFIG_FILE}: not JSON (${(e as Error).message})`);
  }
  if (cfg.peft_type !== "LORA") throw new CheckpointError(`${source}: peft_type ${JSON.stringify(cfg.peft_type)} is not LORA`);
  if (cfg.use_dora === true) throw new CheckpointError(`${source}: DoRA adapters are not supported`);
  if (cfg.fan_in_fan_out === true) throw new CheckpointError(`${source}: fan_in_fan_out adapters (GPT-2 Conv1D) are not supported`);
  for (const k of ["rank_pattern", "alpha_pattern"]) {
    const v = cfg[k];
    if (v !== undefined && v !== null && Object.keys(v as object).length > 0) throw new CheckpointError(`${source}: per-module ${k} is not supported`);
  }
  const r = Number(cfg.r);
  const alpha = Number(cfg.lora_alpha);
  if (!(Number.isInteger(r) && r > 0) || !(alpha > 0)) throw new CheckpointError(`${source}: bad r ${JSON.stringify(cfg.r)} or lora_alpha ${JSON.stringify(cfg.lora_alpha)}`);
  const tensors = parseSafetensors(weights, `${source}/${PEFT_WEIGHTS_FILE}`);
  const all = new Map(selectTargets(model.config.numHiddenLayers, ["proj"]).map((t) => [t.module, t]));
  const targets: AdaptedMatrix[] = [];
  const A = new Map<string, Tensor>();
  const B = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    const m = /^base_model\.model\.(.+)\.lora_([AB])(?:\.default)?\.weight$/.exec(name);
    if (!m) throw new CheckpointError(`${source}: unexpected tensor ${name} (only lora_A / lora_B weights are supported)`);
    const target = all.get(m[1]!);
    if (target === undefined) throw new CheckpointError(`${source}: ${m[1]} is not a linear module of this model`);
    if (!targets.includes(target)) targets.push(target);
    (m[2] === "A" ? A : B).set(target.module, t);
  }
  if (targets.length === 0) throw new CheckpointError(`${source}: no LoRA tensors`);
  for (const t of targets) {
    const [out, inn] = hfShape(model, t);
    const a = A.get(t.module);
    const b = B.get(t.module);
    if (!a || !b) throw new CheckpointError(`${source}: ${t.module} lacks lora_${a ? "B" : "A"}`);
    if (a.shape[0] !== r || a.shape[1] !== inn) throw new CheckpointError(`${source}: ${t.module}.lora_A has shape [${a.shape}], expected [${r}, ${inn}]`);
    if (b.shape[0] !== out || b.shape[1] !== r) throw new CheckpointError(`${source}: ${t.module}.lora_B has shape [${b.shape}], expected [${out}, ${r}]`);
  }
  // selectTargets' order (layer, then the decoder's module order), so a trainer's tree — and the optimizer state saved
  // over it — has the same leaf order whether the adapter was initialised here or read back from a checkpoint.
  const order = Object.keys(LINEAR_MODULES);
  targets.sort((x, y) => x.layer - y.layer || order.indexOf(x.key) - order.indexOf(y.key));
  const dropout = Number(cfg.lora_dropout ?? 0);
  if (!(dropout >= 0 && dropout < 1)) throw new CheckpointError(`${source}: bad lora_dropout ${JSON.stringify(cfg.lora_dropout)}`);
  return { r, alpha, useRslora: cfg.use_rslora === true, dropout, targets, A, B, extraConfig: { base_model_name_or_path: cfg.base_model_name_or_path ?? null } };
}

/** Transposed copy of a row-major `[r, c]` tensor's data (`[c, r]`). */
function transposed(t: Tensor): Float32Array {
  const [r, c] = t.shape as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!;
  return out;
}

type LoraTree = Record<string, { A: Arr; B: Arr }>;

function withDeltas(base: LlamaParams, targets: readonly AdaptedMatrix[], t: LoraTree, scale: number): LlamaParams {
  const layers = base.layers.map((l) => ({ ...l }));
  for (const tg of targets) {
    const l = layers[tg.layer] as Record<string, Arr>;
    const { A, B } = t[tg.name]!;
    l[tg.key] = l[tg.key]!.add(np.matmul(A, B).mul(scale));
  }
  return { ...base, layers };
}

/** The arrays each merged model owns (the rest belong to the base). */
const OWNED = new WeakMap<CausalLM, Arr[]>();

/** Frees what `loraModel` / `LoraTrainer` built for a model (never the base's arrays). */
export function disposeLoraModel(m: CausalLM): void {
  for (const a of OWNED.get(m) ?? []) a.dispose();
  OWNED.delete(m);
}

/** The host adapter as device trees `{name: {A: [in, r], B: [r, out]}}` (ours). */
function deviceTree(a: LoraAdapter): LoraTree {
  return Object.fromEntries(a.targets.map((t) => [t.name, { A: np.array(transposed(a.A.get(t.module)!)).reshape([a.A.get(t.module)!.shape[1]!, a.r]), B: np.array(transposed(a.B.get(t.module)!)).reshape([a.r, a.B.get(t.module)!.shape[0]!]) }]));
}

/** A model with W′ = W + scale·BA merged into the adapted matrices (others shared with `model`); free with `disposeLoraModel`. */
export function loraModel(model: CausalLM, a: LoraAdapter): CausalLM {
  const t = deviceTree(a);
  const scale = loraScale(a);
  const layers = model.params.layers.map((l) => ({ ...l }));
  const owned: Arr[] = [];
  for (const tg of a.targets) {
    const { A, B } = t[tg.name]!;
    const w = model.params.layers[tg.layer]![tg.key].ref.add(np.matmul(A, B).mul(scale));
    (layers[tg.layer] as Record<string, Arr>)[tg.key] = w;
    owned.push(w);
  }
  const out = new CausalLM(model.config, { ...model.params, layers }, model.tokenizer);
  out.logitsChunkElements = model.logitsChunkElements;
  OWNED.set(out, owned);
  return out;
}

/**
 * The training forward's parameters with LoRA dropout (PEFT `lora_dropout`, Hu et al. 2021 as implemented by PEFT's
 * `Linear.forward`): y = x·W + (α/r)·(dropout_p(x)·A)·B per adapted map — dropout on the branch's input only, each
 * element kept with probability 1 − p and scaled by 1/(1 − p), a fresh mask per forward (`keys`: one PRNG key per
 * matrix). The base weights stay unmerged; the branch is a `LlamaParams[BRANCHES]` hook of the forward.
 */
function withDropoutBranches(base: LlamaParams, targets: readonly AdaptedMatrix[], t: LoraTree, scale: number, p: number, keys: Record<string, Arr>): LlamaParams {
  const branches: LayerBranches[] = base.layers.map(() => ({}));
  for (const tg of targets) {
    const { A, B } = t[tg.name]!;
    const key = keys[tg.name]!;
    branches[tg.layer]![tg.key] = (x: Arr) => {
      const keep = random.bernoulli(key, 1 - p, [...x.shape]);
      return np.matmul(np.matmul(np.where(keep, x.mul(1 / (1 - p)), 0), A), B).mul(scale);
    };
  }
  return { ...base, [BRANCHES]: branches };
}

/** Training options of `LoraTrainer`. */
export interface LoraTrainOptions {
  /** PEFT `lora_dropout` in [0, 1): dropout on the branch's input in the training forward (never in `policy`). Default 0. */
  dropout?: number;
  /** Seed of the dropout masks. Default 0. */
  seed?: number;
}

/**
 * Training a LoRA adapter on the generic learner: the trainable tree is `{name: {A, B}}`, the frozen tree the base
 * parameters, `effective` adds (α/r)·A@B inside the jitted loss (or, with dropout, a branch on each map's input);
 * `policy` (rollouts, evaluation: no dropout) is rebuilt after each step.
 */
export class LoraTrainer {
  #t: LoraTree;
  readonly #merge;
  readonly policy: CausalLM;
  readonly scale: number;
  readonly dropout: number;
  readonly #rng: Rng;
  #keys: Record<string, Arr> | null = null;

  constructor(
    readonly base: CausalLM,
    readonly adapter: LoraAdapter,
    o: LoraTrainOptions = {},
  ) {
    this.scale = loraScale(adapter);
    this.dropout = o.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new ConfigError(`LoRA dropout must be in [0, 1) (got ${this.dropout})`);
    this.#rng = new Rng(o.seed ?? 0);
    this.#t = deviceTree(adapter);
    const targets = adapter.targets;
    const scale = this.scale;
    this.#merge = jit((t: LoraTree, w: Record<string, Arr>) => Object.fromEntries(targets.map((tg) => [tg.name, w[tg.name]!.add(np.matmul(t[tg.name]!.A, t[tg.name]!.B).mul(scale))])));
    this.policy = new CausalLM(base.config, base.params, base.tokenizer);
    this.policy.logitsChunkElements = base.logitsChunkElements;
    this.#rebuild();
  }

  #rebuild(): void {
    disposeLoraModel(this.policy);
    const w = Object.fromEntries(this.adapter.targets.map((t) => [t.name, this.base.params.layers[t.layer]![t.key].ref]));
    const mats = this.#merge(tree.ref(this.#t as never) as never, w) as Record<string, Arr>;
    const layers = this.base.params.layers.map((l) => ({ ...l }));
    for (const t of this.adapter.targets) (layers[t.layer] as Record<string, Arr>)[t.key] = mats[t.name]!;
    this.policy.params = { ...this.base.params, layers };
    OWNED.set(this.policy, Object.values(mats));
  }

  /** Fresh PRNG keys for one training forward's dropout masks (the previous ones are freed). */
  #nextKeys(): Record<string, Arr> {
    if (this.#keys) tree.dispose(this.#keys as never);
    this.#keys = Object.fromEntries(this.adapter.targets.map((t) => [t.name, random.key(Math.floor(this.#rng.next() * 2 ** 31))]));
    return this.#keys;
  }

  /** The dropout masks' RNG state (to save in a checkpoint), and its restore. */
  get dropoutState(): number[] {
    return this.#rng.getState();
  }
  set dropoutState(s: number[]) {
    this.#rng.setState(s);
  }

  /** The learner's hook (structurally a `TrainableBinding`). */
  readonly binding = {
    get: () => this.#t as unknown as Tree,
    set: (t: Tree) => {
      this.#t = t as unknown as LoraTree;
      this.#rebuild();
    },
    frozen: () => (this.dropout === 0 ? (this.base.params as unknown as Tree) : ({ base: this.base.params, keys: this.#nextKeys() } as unknown as Tree)),
    effective: (t: Tree, frozen: Tree | null): LlamaParams => {
      if (this.dropout === 0) return withDeltas(frozen as unknown as LlamaParams, this.adapter.targets, t as unknown as LoraTree, this.scale);
      const fz = frozen as unknown as { base: LlamaParams; keys: Record<string, Arr> };
      return withDropoutBranches(fz.base, this.adapter.targets, t as unknown as LoraTree, this.scale, this.dropout, fz.keys);
    },
  };

  /** The current adapter on the host (PEFT layout). */
  async current(): Promise<LoraAdapter> {
    const A = new Map<string, Tensor>();
    const B = new Map<string, Tensor>();
    for (const t of this.adapter.targets) {
      const a = this.#t[t.name]!.A; // [in, r]
      const b = this.#t[t.name]!.B; // [r, out]
      A.set(t.module, { shape: [a.shape[1]!, a.shape[0]!], data: transposed({ shape: [...a.shape], data: (await a.ref.data()) as Float32Array }) });
      B.set(t.module, { shape: [b.shape[1]!, b.shape[0]!], data: transposed({ shape: [...b.shape], data: (await b.ref.data()) as Float32Array }) });
    }
    return { ...this.adapter, dropout: this.dropout, A, B };
  }

  dispose(): void {
    disposeLoraModel(this.policy);
    tree.dispose(this.#t as never);
    if (this.#keys) tree.dispose(this.#keys as never);
  }
}

/** @throws ConfigError when `r` exceeds a target's smaller side (PEFT allows it, but it adds nothing). */
export function checkLoraRank(model: CausalLM, targets: readonly AdaptedMatrix[], r: number): void {
  for (const t of targets) {
    const [out, inn] = hfShape(model, t);
    if (r > Math.min(out, inn)) throw new ConfigError(`LoRA rank ${r} exceeds ${t.module}'s smaller side (${Math.min(out, inn)})`);
  }
}
