/**
 * The generic learner: gradient steps on any trainable tree for any objective of the registry (`rl/losses/`).
 *
 * - **What is trained** is a `TrainableBinding`: the full parameters today (`fullParams`); adapter trees (SVF
 *   vectors, LoRA factors) next — a frozen base plus a trainable tree, and a forward hook `effective(trainable,
 *   frozen)` that builds the model's weights inside the jitted function, so gradients reach only the trainable tree.
 * - `accumulate()` runs one jit-compiled forward+backward on a micro-batch and adds its gradient to a running sum;
 *   `apply()` takes one AdamW step with the sum. Every loss is Σ w ⊙ ℓ (or a sum of per-row terms) with weights
 *   normalised over the optimizer batch (`rl/aggregate.ts`), so summing micro-batch gradients gives exactly the
 *   batch gradient.
 * - `update()` runs the schedule of one rollout batch: μ epochs × mini-batches, one optimizer step per mini-batch
 *   (PPO/GRPO's `num_iterations` and `steps_per_generation`), micro-batched for memory.
 */
import { blockUntilReady, jit, lax, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import { EngineError } from "../core/errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import { forwardHidden, type LlamaParams, type PositionInputs } from "../model/llama.js";
import { hiddenLogprobs } from "../model/logprobs.js";
import { fullPositionInputs } from "../model/positions.js";
import type { LossInputs, Objective, ObjectiveConfig } from "../rl/losses/index.js";
import { sliceRows, TRAIN_ROW_BUCKET } from "./batch.js";
import { adamwInit, adamwUpdate, type AdamWConfig, type AdamWState, type Tree } from "./optim.js";

type Arr = np.Array;

/** What the optimizer updates, and how the model's weights are built from it. */
export interface TrainableBinding {
  /** The trainable tree (borrowed: the learner takes references). */
  get(): Tree;
  /** Replaces the trainable tree after an optimizer step (takes ownership). */
  set(t: Tree): void;
  /** The frozen tree handed to `effective` (borrowed), or null when everything trains. */
  frozen(): Tree | null;
  /**
   * Forward hook, traced inside the jitted loss: the model's parameters from the trainable and frozen trees.
   * Consumes both.
   */
  effective(trainable: Tree, frozen: Tree | null): LlamaParams;
}

/** Full fine-tuning: the trainable tree is the model's parameter tree. */
export function fullParams(model: CausalLM): TrainableBinding {
  return {
    get: () => model.params as unknown as Tree,
    set: (t) => (model.params = t as unknown as LlamaParams),
    frozen: () => null,
    effective: (t) => t as unknown as LlamaParams,
  };
}

/** Host-side rows of a batch. `[B, T]` row-major unless noted; `[B]` row arrays are optional. */
export interface MicroBatch {
  B: number;
  T: number;
  tokens: Int32Array;
  targets: Int32Array;
  /** Aggregation weights (`tokenWeights`), normalised over the optimizer batch. */
  weights: Float32Array;
  /** 0/1 completion mask. */
  mask: Float32Array;
  advantages?: Float32Array;
  rewards?: Float32Array;
  rowWeights?: Float32Array;
  groupIds?: Float32Array;
  pairIds?: Float32Array;
  pairSigns?: Float32Array;
  oldLogp?: Float32Array;
  refLogp?: Float32Array;
}

/** Loss, entropy and the objective's metric sums of one micro-batch (sums over masked tokens). */
export type MicroMetrics = { loss: number; entropySum: number } & Record<string, number>;

const ROW_KEYS = ["advantages", "rewards", "rowWeights", "groupIds", "pairIds", "pairSigns"] as const;
const TOKEN_KEYS = ["oldLogp", "refLogp"] as const;

type DeviceBatch = { tokens: Arr; targets: Arr; pos: PositionInputs; inputs: Omit<LossInputs, "logp"> };

/** Hyper-parameters used when none are given (TRL's GRPO defaults; read only by the objectives that use them). */
export const DEFAULT_OBJECTIVE_CONFIG: Readonly<ObjectiveConfig> = Object.freeze({ epsilon: 0.2, epsilonHigh: 0.2, beta: 0, numIterations: 1, scaleRewards: "group" });

export interface LearnerOptions {
  /** The objective's hyper-parameters (default `DEFAULT_OBJECTIVE_CONFIG`). */
  objectiveConfig?: Readonly<ObjectiveConfig>;
  /** Sampling temperature the log-probs are taken at (rollouts' temperature; 1 for SFT). */
  temperature?: number;
  /** What trains (default: the full parameters). */
  binding?: TrainableBinding;
}

export class Learner {
  readonly #grad;
  readonly #update;
  readonly #addGrads: (a: Tree, b: Tree) => Tree;
  readonly binding: TrainableBinding;
  #acc: Tree | null = null;
  state: AdamWState;

  constructor(
    readonly model: CausalLM,
    readonly objective: Objective,
    readonly opt: AdamWConfig,
    o: LearnerOptions = {},
  ) {
    const objectiveConfig = o.objectiveConfig ?? DEFAULT_OBJECTIVE_CONFIG;
    const cfg = model.config;
    const temperature = o.temperature ?? 1;
    this.binding = o.binding ?? fullParams(model);
    const binding = this.binding;
    const lossFn = (trainable: Tree, b: DeviceBatch, frozen?: Tree): [Arr, Record<string, Arr>] => {
      const params = binding.effective(trainable, frozen ?? null);
      const { hidden, head, kv } = forwardHidden(params, cfg, b.tokens, b.pos);
      for (const x of kv) {
        x.k.dispose();
        x.v.dispose();
      }
      const { logp, entropy } = hiddenLogprobs(hidden, head, b.targets, temperature, model.logitsChunkElements);
      const entropySum = lax.stopGradient(entropy.mul(b.inputs.mask.ref)).sum();
      const { loss, metrics } = objective.loss({ ...b.inputs, logp }, objectiveConfig);
      return [loss, { entropySum, ...metrics }];
    };
    this.#grad = jit(valueAndGrad(lossFn, { hasAux: true }));
    this.#addGrads = jit((a: Tree, b: Tree) => tree.map((x: Arr, y: Arr) => x.add(y), a as never, b as never) as Tree);
    this.#update = jit((p: Tree, g: Tree, s: AdamWState, lr: Arr) => {
      const r = adamwUpdate(p, g, s, lr, opt);
      return { params: r.params, state: r.state as unknown as Tree, gradNorm: r.gradNorm };
    }) as unknown as (p: Tree, g: Tree, s: AdamWState, lr: Arr) => { params: Tree; state: AdamWState; gradNorm: Arr };
    this.state = adamwInit(binding.get());
  }

  /**
   * Forward + backward on one micro-batch; adds the gradient to the accumulator.
   * @throws EngineError when the loss is not finite (the run must stop: NaN log-probs mean a broken policy)
   */
  async accumulate(mb: MicroBatch): Promise<MicroMetrics> {
    const { B, T } = mb;
    const f2 = (a: Float32Array) => np.array(a).reshape([B, T]);
    const i2 = (a: Int32Array) => np.array(a, { dtype: np.int32 }).reshape([B, T]);
    const inputs: Omit<LossInputs, "logp"> = { weights: f2(mb.weights), mask: f2(mb.mask) };
    for (const k of ROW_KEYS) if (mb[k]) inputs[k] = np.array(mb[k]);
    for (const k of TOKEN_KEYS) if (mb[k]) inputs[k] = f2(mb[k]);
    const batch: DeviceBatch = { tokens: i2(mb.tokens), targets: i2(mb.targets), pos: fullPositionInputs(this.model.config, B, T), inputs };
    const frozen = this.binding.frozen();
    const trainable = tree.ref(this.binding.get() as never) as Tree;
    const out = frozen === null ? this.#grad(trainable, batch) : this.#grad(trainable, batch, tree.ref(frozen as never) as Tree);
    const [[loss, aux], grads] = out as unknown as [[Arr, Record<string, Arr>], Tree];
    const num = async (a: Arr) => ((await a.data()) as Float32Array)[0]!;
    const m: MicroMetrics = { loss: await num(loss), entropySum: await num(aux.entropySum!) };
    for (const k of this.objective.metricKeys) m[k] = await num(aux[k]!);
    if (!Number.isFinite(m.loss)) {
      tree.dispose(grads as never);
      throw new EngineError(`non-finite loss (${m.loss}): the policy's log-probs broke down`, {
        hint: "lower the learning rate or check the checkpoint",
      });
    }
    // Run the additions now: jax-js enqueues eager ops until something reads them back, and each queued add keeps
    // its micro-batch's gradient and its own output alive — 2 × params bytes a micro-batch until apply() (on the
    // H200 a 0.5B step grew by ~3.4 GiB a micro-batch, 58 → 104 GiB over 16).
    // One jitted program for the whole tree: as ~290 eager adds (a 0.5B model's leaves) each paid jax-js's host-side
    // dispatch cost, which on a GPU was several times the adds' device time.
    this.#acc = this.#acc === null ? grads : ((await blockUntilReady(this.#addGrads(this.#acc, grads) as never)) as Tree);
    return m;
  }

  /** One optimizer step with the accumulated gradient. @returns the global gradient norm before clipping. */
  async apply(lr: number): Promise<{ gradNorm: number }> {
    if (this.#acc === null) return { gradNorm: 0 };
    const r = this.#update(this.binding.get(), this.#acc, this.state, np.array(lr));
    this.#acc = null;
    this.binding.set(r.params);
    this.state = r.state;
    const gradNorm = ((await r.gradNorm.data()) as Float32Array)[0]!;
    if (!Number.isFinite(gradNorm)) throw new EngineError(`non-finite gradient norm (${gradNorm})`);
    return { gradNorm };
  }

  /**
   * The optimizer schedule of one batch: `epochs` passes (μ), each cut into `miniBatches` optimizer steps, each
   * accumulated over micro-batches of `microBatchSize` rows. `weights(rowStart, rowEnd)` gives the aggregation
   * weights of a mini-batch's rows, normalised over that mini-batch.
   * @returns the summed micro-batch metrics of the first epoch (the policy that generated the batch), the
   *   gradient norm of the last optimizer step and the number of optimizer steps taken
   */
  async update(
    batch: Omit<MicroBatch, "weights">,
    o: {
      microBatchSize: number;
      miniBatches: number;
      epochs: number;
      /** Learning rate, or the rate of the k-th optimizer step of this update (0-based; a schedule over all steps). */
      lr: number | ((k: number) => number);
      weights: (rowStart: number, rowEnd: number) => Float32Array;
      /**
       * `[rowEnd − rowStart]` weights of sequence-level terms (`rowWeights`), normalised over the mini-batch, for
       * objectives whose loss is a weighted sum over rows (Kimi OMD). Default: the batch's own `rowWeights`, if any.
       */
      rowWeights?: (rowStart: number, rowEnd: number) => Float32Array;
      /** Real rows (the rest is shape padding, kept in the last mini-batch). Default: all B. */
      rows?: number;
    },
  ): Promise<{ sums: MicroMetrics; gradNorm: number; steps: number }> {
    const { B, T } = batch;
    const n = Math.min(B, o.rows ?? B);
    const sums: MicroMetrics = { loss: 0, entropySum: 0 };
    for (const k of this.objective.metricKeys) sums[k] = 0;
    let gradNorm = 0;
    let steps = 0;
    const perMini = Math.max(1, Math.ceil(n / o.miniBatches));
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      for (let m0 = 0; m0 < B; m0 += perMini) {
        const m1 = m0 + perMini >= n ? B : m0 + perMini; // the last mini-batch takes the padding rows
        const weights = o.weights(m0, m1);
        const rowWeights = o.rowWeights?.(m0, m1);
        for (let s = m0; s < m1; s += o.microBatchSize) {
          const e = Math.min(m1, s + o.microBatchSize);
          const mb = sliceBatch({ ...batch, weights }, s - m0, e - m0, m0);
          if (rowWeights) mb.rowWeights = rowWeights.slice(s - m0, e - m0);
          const m = await this.accumulate(padRows(mb, TRAIN_ROW_BUCKET, o.microBatchSize));
          if (epoch === 0) for (const k of Object.keys(sums)) sums[k]! += m[k]!;
        }
        gradNorm = (await this.apply(typeof o.lr === "number" ? o.lr : o.lr(steps))).gradNorm;
        steps++;
        if (m1 === B) break;
      }
    }
    return { sums, gradNorm, steps };
  }

  /** Resets the AdamW moments and step count (Kimi k1.5's per-iteration reset; slime `--reset-optimizer-states`). */
  resetOptimizer(): void {
    tree.dispose(this.state as never);
    this.state = adamwInit(this.binding.get());
  }

  /** Drops any accumulated gradient (e.g. a batch with nothing to learn from). */
  discard(): void {
    if (this.#acc) tree.dispose(this.#acc as never);
    this.#acc = null;
  }

  dispose(): void {
    this.discard();
    tree.dispose(this.state as never);
  }
}

/** Values of the padding rows `padRows` appends (ids that mark "no pair/group"; everything else 0). */
const PAD_VALUE: Partial<Record<(typeof ROW_KEYS)[number], number>> = { groupIds: -1, pairIds: -1 };

/**
 * Pads a micro-batch to a multiple of `bucket` rows, but never past `cap` (the micro-batch size the user chose for
 * memory), with rows of mask and weight 0 (token 0), which add nothing to
 * any loss or metric. Mini-batches cut at arbitrary row counts would otherwise give the jit a new shape almost every
 * step, and each compiled shape keeps its own memory (a run with 4 mini-batches a step grew past the 4 GiB Wasm limit
 * in ~20 steps).
 */
export function padRows(mb: MicroBatch, bucket: number, cap = Number.POSITIVE_INFINITY): MicroBatch {
  const B = Math.max(mb.B, Math.min(cap, Math.ceil(mb.B / bucket) * bucket));
  if (B === mb.B) return mb;
  const { T } = mb;
  const grow = <A extends Float32Array | Int32Array>(a: A, perRow: number, fill = 0): A => {
    const out = new (a.constructor as new (n: number) => A)(B * perRow);
    out.set(a);
    if (fill !== 0) out.fill(fill, a.length);
    return out;
  };
  const out: MicroBatch = { B, T, tokens: grow(mb.tokens, T), targets: grow(mb.targets, T), weights: grow(mb.weights, T), mask: grow(mb.mask, T) };
  for (const k of ROW_KEYS) if (mb[k]) out[k] = grow(mb[k]!, 1, PAD_VALUE[k] ?? 0);
  for (const k of TOKEN_KEYS) if (mb[k]) out[k] = grow(mb[k]!, T);
  return out;
}

/**
 * Rows `[s, e)` of a batch whose `weights` cover rows from `offset` on (a mini-batch) and whose other arrays cover
 * the whole batch.
 */
function sliceBatch(b: MicroBatch, s: number, e: number, offset: number): MicroBatch {
  const { T } = b;
  const S = s + offset;
  const E = e + offset;
  const out: MicroBatch = {
    B: e - s,
    T,
    tokens: sliceRows(b.tokens, T, S, E),
    targets: sliceRows(b.targets, T, S, E),
    weights: sliceRows(b.weights, T, s, e),
    mask: sliceRows(b.mask, T, S, E),
  };
  for (const k of ROW_KEYS) if (b[k]) out[k] = b[k]!.slice(S, E);
  for (const k of TOKEN_KEYS) if (b[k]) out[k] = sliceRows(b[k]!, T, S, E);
  return out;
}
