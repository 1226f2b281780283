/**
 * SFT batches, shared by `thinkrl sft` and the cold start: tokenised (prompt, completion) pairs → micro-batches
 * whose loss is the token-mean NLL over the completion tokens of the WHOLE batch (prompt tokens have mask 0), and
 * length-grouped batch plans.
 */
import type { Rng } from "../core/rng.js";
import type { PromptFormat } from "../data/template.js";
import { ConfigError } from "../core/errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import { preparePrompt } from "../rollout/prompt.js";
import { tokenWeights } from "../rl/aggregate.js";
import { packSequences, sliceRows } from "./batch.js";
import type { Learner, MicroBatch } from "./learner.js";

/** One tokenised example: the loss covers `completion` (EOS included) only. */
export interface SftTokens {
  prompt: number[];
  completion: number[];
}

/** Assistant content the end-of-turn probe renders (no whitespace, so no template trims it). */
const TURN_PROBE = "THINKRL0END0OF0TURN0PROBE";

/**
 * The token that ends an assistant turn of `model`'s chat template: the template is rendered with a user turn and
 * an assistant turn, and the text it writes after the assistant content (whitespace trimmed) must start with a
 * special token or one of the model's EOS ids (Qwen2.5/Qwen3 `<|im_end|>`, Llama-3 `<|eot_id|>`,
 * DeepSeek-R1-Distill `<｜end▁of▁sentence｜>`). Only the first token counts: templates may go on with the next
 * turn's header (Llama-3's adds `<|start_header_id|>assistant…` even without a generation prompt).
 * @returns the id, or null when the model has no chat template or the template writes no such token (then SFT
 *   targets end with `eosTokenId[0]`)
 */
export function chatEndOfTurnId(model: CausalLM): number | null {
  const template = model.tokenizer.chatTemplate;
  if (!template) return null;
  let text: string;
  try {
    text = template.render([
      { role: "user", content: "1+1" },
      { role: "assistant", content: TURN_PROBE },
    ]);
  } catch {
    return null; // a template that refuses this conversation: fall back to EOS
  }
  const at = text.lastIndexOf(TURN_PROBE);
  if (at === -1) return null;
  const after = text.slice(at + TURN_PROBE.length).trim();
  if (after === "") return null;
  const first = model.tokenizer.encode(after)[0];
  if (first === undefined) return null;
  const special = model.tokenizer.decode([first], { skipSpecialTokens: true }) === "";
  return special || model.config.eosTokenId.includes(first) ? first : null;
}

/**
 * The id an SFT completion ends with, so the model learns to stop where generation stops: for `chat` the template's
 * end-of-turn token (`chatEndOfTurnId`; on Qwen2.5-Instruct `<|im_end|>`, not config.json's `<|endoftext|>`), else
 * (and as the fallback) `eosTokenId[0]`.
 * @throws ConfigError when it would be EOS and the model has none
 */
export function sftEndTokenId(model: CausalLM, format: PromptFormat): number {
  const turn = format === "chat" ? chatEndOfTurnId(model) : null;
  if (turn !== null) return turn;
  const eos = model.config.eosTokenId[0];
  if (eos === undefined) throw new ConfigError("SFT needs an EOS token id in config.json (or a chat template that ends its turns with a token)");
  return eos;
}

/**
 * Tokenises one SFT example: the prompt exactly as generation sees it (`preparePrompt`: BOS where the model wants
 * it, the chat template's generation prompt for `chat`), then the completion + `endId`. When the prompt already
 * opened the completion (a chat template whose generation prompt ends in `<think>\n`, as DeepSeek-R1-Distill's),
 * that opening is removed from the start of `completion` if the data has it, so the target never repeats `<think>`.
 * Throws as `preparePrompt`.
 * @param endId `sftEndTokenId(model, format)` (computed once per dataset by the caller)
 */
export function encodeSftExample(model: CausalLM, format: PromptFormat, prompt: string, completion: string, endId: number): SftTokens {
  const p = preparePrompt(model, format, prompt);
  return { prompt: p.ids, completion: [...model.tokenizer.encode(stripCompletionPrefix(completion, p.completionPrefix)), endId] };
}

/**
 * `completion` without the `prefix` the prompt already holds: the whole prefix when `completion` starts with it,
 * else its tag alone (`<think>` of `<think>\n`) and the whitespace after it; otherwise `completion` unchanged.
 */
export function stripCompletionPrefix(completion: string, prefix: string): string {
  if (prefix === "") return completion;
  if (completion.startsWith(prefix)) return completion.slice(prefix.length);
  const tag = prefix.trim();
  if (tag !== "" && completion.startsWith(tag)) return completion.slice(tag.length).replace(/^\s+/, "");
  return completion;
}

/**
 * Like `sftMicroBatches`, but the rows are sorted by length first and each micro-batch is padded only to its own
 * longest row (rounded up to `lengthBucket`). The loss is the same token mean over the whole batch (weights
 * 1 / completion tokens of all rows); only the padding is smaller, so a batch with one long row (a long-tail task)
 * does not pad every row to that length. One jit shape per length bucket.
 */
function sortedMicroBatches(rows: SftTokens[], padId: number, microBatchSize: number, lengthBucket?: number): { micro: MicroBatch[]; tokens: number } {
  const sorted = [...rows].sort((a, b) => a.prompt.length + a.completion.length - (b.prompt.length + b.completion.length));
  const packed = [];
  for (let s = 0; s < sorted.length; s += microBatchSize) {
    const part = sorted.slice(s, s + microBatchSize);
    packed.push(packSequences(part.map((r) => r.prompt), part.map((r) => r.completion), padId, undefined, microBatchSize, lengthBucket));
  }
  const tokens = packed.reduce((a, b) => a + b.mask.reduce((x, m) => x + m, 0), 0);
  const micro: MicroBatch[] = packed.map((b) => ({
    B: b.B,
    T: b.T,
    tokens: b.tokens,
    targets: b.targets,
    mask: b.mask,
    weights: b.mask.map((m) => (tokens > 0 ? m / tokens : 0)),
  }));
  return { micro, tokens };
}

/**
 * Packs `rows` into micro-batches of `microBatchSize` rows (the last padded with mask-0 rows, so every micro-batch
 * has the same row count: one jit shape per length bucket). Weights are 1 / (completion tokens of all rows).
 */
export function sftMicroBatches(
  rows: SftTokens[],
  padId: number,
  microBatchSize: number,
  lengthBucket?: number,
  sortByLength = false,
): { micro: MicroBatch[]; tokens: number } {
  if (sortByLength) return sortedMicroBatches(rows, padId, microBatchSize, lengthBucket);
  const b = packSequences(
    rows.map((r) => r.prompt),
    rows.map((r) => r.completion),
    padId,
    undefined,
    microBatchSize,
    lengthBucket,
  );
  const weights = tokenWeights("token_mean", b.mask, b.B, b.T, 0);
  const micro: MicroBatch[] = [];
  for (let s = 0; s < b.B; s += microBatchSize) {
    const e = s + microBatchSize;
    micro.push({
      B: microBatchSize,
      T: b.T,
      tokens: sliceRows(b.tokens, b.T, s, e),
      targets: sliceRows(b.targets, b.T, s, e),
      mask: sliceRows(b.mask, b.T, s, e),
      weights: sliceRows(weights, b.T, s, e),
    });
  }
  return { micro, tokens: b.mask.reduce((a, x) => a + x, 0) };
}

/**
 * One optimizer step of SFT on `rows`: forward/backward per micro-batch, then AdamW at `lr`.
 * @returns mean completion-token NLL of the batch (nats), the pre-clip gradient norm and the completion-token count
 */
export async function sftStep(
  up: Learner,
  rows: SftTokens[],
  microBatchSize: number,
  lr: number,
  lengthBucket?: number,
  sortByLength = false,
): Promise<{ loss: number; gradNorm: number; tokens: number }> {
  const { micro, tokens } = sftMicroBatches(rows, up.model.padId, microBatchSize, lengthBucket, sortByLength);
  let loss = 0;
  for (const mb of micro) loss += (await up.accumulate(mb)).loss;
  const { gradNorm } = await up.apply(lr);
  return { loss, gradNorm, tokens };
}

/**
 * Mean completion-token NLL of `rows` under the model, without gradients (eval loss). Rows are sorted by length and
 * scored `microBatchSize` at a time.
 */
export async function sftEvalLoss(model: CausalLM, rows: SftTokens[], microBatchSize: number): Promise<number> {
  const sorted = [...rows].sort((a, b) => a.prompt.length + a.completion.length - (b.prompt.length + b.completion.length));
  let nll = 0;
  let count = 0;
  for (let s = 0; s < sorted.length; s += microBatchSize) {
    const part = sorted.slice(s, s + microBatchSize);
    const b = packSequences(
      part.map((r) => r.prompt),
      part.map((r) => r.completion),
      model.padId,
      undefined,
      microBatchSize,
    );
    const { logp } = await model.sequenceLogprobs(b);
    for (let i = 0; i < b.mask.length; i++) {
      if (b.mask[i]! > 0) {
        nll -= logp[i]!;
        count++;
      }
    }
  }
  return count > 0 ? nll / count : NaN;
}

/**
 * Batches of indices for one epoch. With `groupByLength`: shuffle, cut into windows of `windowBatches` batches, sort
 * each window by length (longest first), cut into batches, shuffle the batch order. Else: shuffle and cut.
 * Draws only from `rng`, so the plan is a function of the RNG state (resume restores it).
 * @param lengths token length of each example
 */
export function epochBatches(lengths: readonly number[], batchSize: number, rng: Rng, groupByLength: boolean, windowBatches: number): number[][] {
  const order = rng.shuffle(lengths.map((_, i) => i));
  const batches: number[][] = [];
  const window = groupByLength ? batchSize * windowBatches : order.length;
  for (let w = 0; w < order.length; w += window) {
    const part = order.slice(w, w + window);
    if (groupByLength) part.sort((a, b) => lengths[b]! - lengths[a]! || a - b);
    for (let s = 0; s < part.length; s += batchSize) batches.push(part.slice(s, s + batchSize));
  }
  return groupByLength ? rng.shuffle(batches) : batches;
}

/** Where a run is in its epochs (saved in `trainer_state.json`). */
export interface EpochCursorState {
  epoch: number;
  /** Batches of the current epoch already trained on. */
  cursor: number;
  /** RNG state at the start of the current epoch (its batch plan is redrawn from it on resume). */
  epoch_rng_state: number[];
}

/**
 * Epochs of batches (`epochBatches`) with a resumable cursor: `current()` is the next batch to train on, `advance()`
 * moves past it; an epoch's plan is drawn from its saved RNG state, so a resumed run sees the same batches.
 */
export class EpochBatcher {
  #plan: number[][] | null = null;

  constructor(
    readonly lengths: readonly number[],
    readonly batchSize: number,
    readonly groupByLength: boolean,
    readonly rng: Rng,
    public st: EpochCursorState,
    readonly windowBatches: number,
  ) {}

  /** Batches per epoch. */
  get perEpoch(): number {
    return Math.ceil(this.lengths.length / this.batchSize);
  }

  /** The next batch's example indices, starting the next epoch (a new plan from its RNG state) when one ends. */
  current(): number[] {
    for (;;) {
      if (this.#plan === null) {
        this.rng.setState(this.st.epoch_rng_state);
        this.#plan = epochBatches(this.lengths, this.batchSize, this.rng, this.groupByLength, this.windowBatches);
      }
      if (this.st.cursor < this.#plan.length) return this.#plan[this.st.cursor]!;
      this.st = { ...this.st, epoch: this.st.epoch + 1, cursor: 0, epoch_rng_state: this.rng.getState() };
      this.#plan = null;
    }
  }

  /** Moves past the current batch. @returns the fractional epoch reached (HF's `epoch` metric) */
  advance(): number {
    this.st = { ...this.st, cursor: this.st.cursor + 1 };
    return this.st.epoch + this.st.cursor / this.#plan!.length;
  }
}
