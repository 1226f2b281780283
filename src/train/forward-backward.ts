/**
 * A forward/backward check of the GRPO learner path on fixed sequences, without sampling: `thinkrl web`'s WebGPU
 * smoke test runs it in the tab and in Node and compares the numbers across engines (sampling on SwiftShader's
 * emulated GPU is far too slow for a test; there the time goes to compiling shaders, not to the rows). Browser-safe.
 */
import { ConfigError } from "../core/errors.js";
import type { PromptItem } from "../data/source.js";
import type { CausalLM } from "../model/causal-lm.js";
import { tokenWeights } from "../rl/aggregate.js";
import { getObjective } from "../rl/losses/index.js";
import { packSequences, sliceRows } from "./batch.js";
import type { TrainConfig } from "./config.js";
import { Learner } from "./learner.js";
import { sequenceLogprobs } from "./logprobs.js";
import { encodeSftExample, sftEndTokenId } from "./sft-batch.js";

export interface ForwardBackwardResult {
  /** Σ over completion tokens of log π(y_t) from the forward pass (nats). */
  logpSum: number;
  /** The objective's loss, as in the metrics row. */
  loss: number;
  /** Mean per-token entropy of the completion tokens (nats). */
  entropy: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Completion tokens. */
  tokens: number;
}

/**
 * Rows: `items` (compact prompt format), each with its worked reference `solution` (+ EOS) as the completion,
 * advantages +1, −1, +1, …, all rows in one micro-batch. Forward: π_old log-probs by `sequenceLogprobs` (as
 * `GrpoTrainer.step` takes them). Backward: a fresh `Learner` with `c`'s objective and hyper-parameters takes one
 * `update` at learning rate 0 — AdamW's step is multiplied by 0, so the weights stay bit-for-bit the same — giving
 * the loss, entropy and pre-clip gradient norm. (With π_old = π_θ the GRPO loss is −mean advantage whatever the
 * weights: the forward is checked by `logpSum`, the backward by `gradNorm`.)
 * @throws ConfigError when `items` is empty
 */
export async function forwardBackwardCheck(model: CausalLM, items: readonly PromptItem[], c: Readonly<TrainConfig>): Promise<ForwardBackwardResult> {
  if (items.length === 0) throw new ConfigError("forwardBackwardCheck needs at least one problem");
  const end = sftEndTokenId(model, "compact");
  const ex = items.map((p) => encodeSftExample(model, "compact", p.question, p.solution ?? "", end));
  const packed = packSequences(ex.map((x) => x.prompt), ex.map((x) => x.completion), model.padId);
  const n = items.length;
  const advantages = Float32Array.from({ length: packed.B }, (_, r) => (r % 2 === 0 ? 1 : -1));
  const oldLogp = await sequenceLogprobs(model, packed, { temperature: c.temperature, microBatchSize: n });
  let logpSum = 0;
  for (let i = 0; i < oldLogp.length; i++) logpSum += packed.mask[i]! * oldLogp[i]!;
  const opt = { beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEpsilon, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm };
  const learner = new Learner(model, getObjective(c.objective), opt, { objectiveConfig: c, temperature: c.temperature });
  try {
    const weights = (s: number, e: number) => tokenWeights(c.lossType, sliceRows(packed.mask, packed.T, s, e), e - s, packed.T, c.maxCompletionLength);
    const u = await learner.update({ ...packed, advantages, oldLogp }, { microBatchSize: n, miniBatches: 1, epochs: 1, weights, rows: n, lr: 0 });
    const tokens = packed.mask.reduce((a, b) => a + b, 0);
    return { logpSum, loss: u.sums.loss, entropy: u.sums.entropySum / tokens, gradNorm: u.gradNorm, tokens };
  } finally {
    learner.dispose();
  }
}
