/**
 * Per-token log-probs of packed sequences without gradients: π_old and π_ref for the RL objectives, and the eval loss
 * of SFT. (With gradients, the learner takes them inside its jitted loss: `learner.ts`.)
 */
import { tree } from "@jax-js/jax";
import { EngineError } from "../core/errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { LlamaParams } from "../model/llama.js";
import { sliceRows, type PackedBatch } from "./batch.js";

/**
 * @param b packed `[B, T]` batch
 * @param o.temperature the sampling temperature the log-probs are taken at (log softmax(logits / T))
 * @param o.params parameters to score under (default: the model's); o.microBatchSize rows per forward pass
 * @returns `[B, T]` log-probs of `b.targets` (nats)
 * @throws EngineError on a non-finite log-prob (a broken policy must stop the run)
 */
export async function sequenceLogprobs(model: CausalLM, b: Pick<PackedBatch, "B" | "T" | "tokens" | "targets">, o: { temperature: number; params?: LlamaParams; microBatchSize: number }): Promise<Float32Array> {
  const out = new Float32Array(b.B * b.T);
  for (let s = 0; s < b.B; s += o.microBatchSize) {
    const e = Math.min(b.B, s + o.microBatchSize);
    const { logp } = await model.sequenceLogprobs({ B: e - s, T: b.T, tokens: sliceRows(b.tokens, b.T, s, e), targets: sliceRows(b.targets, b.T, s, e) }, o.temperature, o.params ?? model.params);
    for (let i = 0; i < logp.length; i++) if (!Number.isFinite(logp[i]!)) throw new EngineError("non-finite log-prob in the policy's forward pass");
    out.set(logp, s * b.T);
  }
  return out;
}

/**
 * A frozen copy of a model's weights (π_ref of a KL term: the policy at the start of training) that scores batches
 * with `sequenceLogprobs`. Holds references to the arrays, not a copy: later optimizer steps replace the model's
 * arrays and leave these alive until `dispose`.
 */
export class FrozenPolicy {
  readonly #params: LlamaParams;

  constructor(readonly model: CausalLM) {
    this.#params = tree.ref(model.params);
  }

  /** `[B, T]` log-probs under the frozen weights (see `sequenceLogprobs`). */
  logprobs(b: Pick<PackedBatch, "B" | "T" | "tokens" | "targets">, o: { temperature: number; microBatchSize: number }): Promise<Float32Array> {
    return sequenceLogprobs(this.model, b, { ...o, params: this.#params });
  }

  dispose(): void {
    tree.dispose(this.#params);
  }
}
