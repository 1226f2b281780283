/**
 * Partial rollouts (Kimi k1.5 §2.6.2): every iteration generates for a fixed number of trajectory slots, each at most
 * `budget` tokens; a trajectory that reaches the budget is kept with its tokens and continued in a later iteration,
 * so one long answer no longer holds up the batch. slime (`--partial-rollout`) is the closest open implementation;
 * the semantics here are thinkrl's own and documented in docs/kimi.md:
 *
 * - **Slots.** An iteration first continues every unfinished trajectory, then starts new groups of G until the
 *   slots are full (`freeGroups`).
 * - **Continuation.** A trajectory keeps its tokens verbatim. The model re-prefills prompt + prefix under the policy
 *   of the iteration (the prefix is never regenerated) and decodes only the remaining tokens. Each token records the
 *   iteration that produced it (`versions`). Each trajectory draws from its own generator (saved between segments),
 *   so its tokens do not depend on which trajectories share its batch.
 * - **Groups.** A group leaves the buffer (`takeComplete`) when all G members have ended — EOS, a stop string, the
 *   repetition stop, or `maxCompletionLength` tokens over all segments; members that end early wait.
 *
 * The buffer is JSON (`state`/`restore`) so it is saved with every checkpoint and continued on `--resume`.
 */
import { Rng } from "../core/rng.js";
import type { PromptItem } from "../data/source.js";
import type { PromptFormat } from "../data/template.js";
import type { CausalLM } from "../model/causal-lm.js";
import { generate, type Completion, type FinishReason } from "./generate.js";
import { preparePrompt, stopStringsFor, type EncodedPrompt } from "./prompt.js";
import { RepetitionDetector, type RepetitionStopOptions } from "./repetition.js";
import type { SamplingParams } from "./sampling.js";

/** One trajectory (a member of a group) across its segments. */
export interface Trajectory {
  /** Member index in its group, 0..G−1. */
  member: number;
  /** Completion tokens of all segments so far (the final EOS included once it ends on it). */
  ids: number[];
  /** `[ids.length]` the iteration (policy version, 1-based step) that sampled each token. */
  versions: number[];
  /** `[ids.length]` log π of each token under the policy that sampled it (nats; for logs, never for the loss). */
  logprobs: number[];
  /** The trajectory's own generator state (xoshiro128** words). */
  rng: number[];
  /** Segments generated so far. */
  segments: number;
  /** Why it ended; null while it is unfinished. */
  finishReason: FinishReason | null;
}

/** G trajectories of one prompt. */
export interface TrajectoryGroup {
  /** Run-wide unique group id (the reward context's group id). */
  id: number;
  item: PromptItem;
  /** The iteration that started it. */
  startStep: number;
  members: Trajectory[];
}

export interface PartialRolloutOptions {
  /** G, trajectories per group. */
  groupSize: number;
  /** Trajectory slots per iteration (P × G). */
  slots: number;
  /** Output tokens one slot may generate per iteration (`rolloutTokenBudget`). */
  budget: number;
  /** Most completion tokens of a trajectory over all its segments. */
  maxCompletionLength: number;
  /** The n-gram repetition stop, or null for none. */
  repetition: RepetitionStopOptions | null;
  /**
   * Prompt + prefix of each prefill are left-padded to a multiple of this many tokens; 0 or absent = one fixed length,
   * `PREFIX_BUCKET + maxCompletionLength`, for every segment (`rolloutPrefixBucket`).
   */
  prefixBucket?: number;
}

/** What one iteration's generation did. */
export interface SegmentStats {
  /** Slots that continued a buffered trajectory. */
  continued: number;
  /** Slots that started a new trajectory. */
  started: number;
  /** Tokens generated this iteration. */
  tokens: number;
  /** Trajectories ended by the repetition stop this iteration. */
  repetitionStops: number;
}

/** A completed group, ready to be scored: completions over all segments, in member order. */
export interface CompletedGroup {
  group: TrajectoryGroup;
  prompt: EncodedPrompt;
  /** `[G]` whole completions (text decoded from all tokens, EOS excluded). */
  completions: Completion[];
  /** `[G][completion length]` the iteration that sampled each token. */
  versions: number[][];
}

/** The buffer's JSON form (`trainer_state.json` key `partial_rollouts`). Versions are run-length encoded. */
export interface PartialRolloutState {
  nextGroup: number;
  seeder: number[];
  groups: {
    id: number;
    item: PromptItem;
    startStep: number;
    members: { member: number; ids: number[]; versions: [number, number][]; logprobs: number[]; rng: number[]; segments: number; finishReason: FinishReason | null }[];
  }[];
}

export class PartialRollouts {
  #groups: TrajectoryGroup[] = [];
  #nextGroup = 0;
  /** Draws each new trajectory's generator state. */
  readonly #seeder: Rng;
  /** Encoded prompts by group id (derived data, not saved). */
  readonly #prompts = new Map<number, EncodedPrompt>();

  /** @throws RangeError when slots is not a positive multiple of the group size, or budget < 1 */
  constructor(
    readonly o: Readonly<PartialRolloutOptions>,
    seed: number,
  ) {
    if (!(o.groupSize >= 1 && o.slots >= o.groupSize && o.slots % o.groupSize === 0)) throw new RangeError(`partial rollouts: slots (${o.slots}) must be a positive multiple of the group size (${o.groupSize})`);
    if (!(Number.isInteger(o.budget) && o.budget >= 1)) throw new RangeError(`partial rollouts: the token budget must be an integer ≥ 1 (got ${o.budget})`);
    this.#seeder = new Rng(seed);
  }

  /** Trajectories not yet ended (they take the first slots of the next iteration). */
  unfinished(): Trajectory[] {
    return this.#groups.flatMap((g) => g.members.filter((m) => m.finishReason === null));
  }

  /** Trajectories held: unfinished ones and ended ones waiting for the rest of their group. */
  size(): number {
    return this.#groups.reduce((n, g) => n + g.members.length, 0);
  }

  /** New groups that fit in the slots left after the continuations. */
  freeGroups(): number {
    return Math.floor((this.o.slots - this.unfinished().length) / this.o.groupSize);
  }

  /** Starts a group of G trajectories for `item` in iteration `step`, each with its own generator. */
  addGroup(item: PromptItem, step: number): TrajectoryGroup {
    const members = Array.from({ length: this.o.groupSize }, (_, member): Trajectory => {
      const words: number[] = [this.#seeder.nextU32(), this.#seeder.nextU32(), this.#seeder.nextU32(), this.#seeder.nextU32()];
      if (!words.some((w) => w !== 0)) words[0] = 1; // xoshiro needs a non-zero state
      return { member, ids: [], versions: [], logprobs: [], rng: words, segments: 0, finishReason: null };
    });
    const g: TrajectoryGroup = { id: this.#nextGroup++, item, startStep: step, members };
    this.#groups.push(g);
    return g;
  }

  /**
   * Generates one segment for every unfinished trajectory (oldest group first) with `model` as the policy of
   * iteration `step`: at most `budget` tokens each, and no more than `maxCompletionLength` in total.
   * @throws as `generate` and `preparePrompt`
   */
  async generate(model: CausalLM, format: PromptFormat, sampling: SamplingParams, step: number): Promise<SegmentStats> {
    const rows: { g: TrajectoryGroup; t: Trajectory; prompt: EncodedPrompt }[] = [];
    for (const g of this.#groups) for (const t of g.members) if (t.finishReason === null) rows.push({ g, t, prompt: this.#prompt(model, format, g) });
    const stats: SegmentStats = { continued: rows.filter((r) => r.t.segments > 0).length, started: 0, tokens: 0, repetitionStops: 0 };
    stats.started = rows.length - stats.continued;
    if (rows.length === 0) return stats;
    const { budget, maxCompletionLength: maxLen, repetition } = this.o;
    const rngs = rows.map((r) => Rng.fromState(r.t.rng));
    const detectors = repetition === null ? null : rows.map((r) => new RepetitionDetector(repetition, r.t.ids));
    // Pad to all slots with one-token filler rows, so the prefill always has the same number of rows (one jit shape
    // per prompt length); fillers draw from their own generator and are dropped.
    const filler = this.o.slots - rows.length;
    const prompts = [...rows.map((r) => [...r.prompt.ids, ...r.t.ids]), ...Array.from({ length: filler }, () => rows[0]!.prompt.ids)];
    const limits = [...rows.map((r) => Math.min(budget, maxLen - r.t.ids.length)), ...Array.from({ length: filler }, () => 1)];
    const out = await generate(
      model,
      prompts,
      {
        ...sampling,
        maxNewTokens: Math.min(budget, maxLen),
        rowMaxNewTokens: limits,
        rngs: [...rngs, ...Array.from({ length: filler }, () => new Rng(0))],
        history: rows.map((r) => r.t.ids),
        stopStrings: stopStringsFor(format),
        stopAfter: detectors === null ? undefined : (row, id) => row < rows.length && detectors[row]!.push(id),
        // By default one prefill shape for every segment: prompt + prefix are left-padded to PREFIX_BUCKET + maxLen
        // tokens (before jax-js's Wasm jit arena, each larger bucketed prefill allocated anew and a 30-iteration run
        // passed 4 GiB). With `prefixBucket`, to a multiple of it: less padding, one shape per bucket.
        promptBucket: this.o.prefixBucket ? this.o.prefixBucket : PREFIX_BUCKET + maxLen,
      },
      new Rng(0), // unused: every row has its own generator
    );
    rows.forEach(({ t }, i) => {
      const c = out[i]!;
      t.ids.push(...c.ids);
      t.logprobs.push(...c.logprobs);
      for (let k = 0; k < c.ids.length; k++) t.versions.push(step);
      t.rng = rngs[i]!.getState();
      t.segments++;
      stats.tokens += c.ids.length;
      if (c.finishReason === "repetition") stats.repetitionStops++;
      // A row that used its budget without reaching maxCompletionLength continues next iteration.
      t.finishReason = c.finishReason === "length" && t.ids.length < maxLen ? null : c.finishReason;
    });
    return stats;
  }

  /** Removes and returns the groups whose G members have all ended, oldest first. */
  takeComplete(model: CausalLM, format: PromptFormat): CompletedGroup[] {
    const done = this.#groups.filter((g) => g.members.every((m) => m.finishReason !== null));
    this.#groups = this.#groups.filter((g) => !done.includes(g));
    const eos = new Set(model.config.eosTokenId);
    return done.map((g) => {
      const prompt = this.#prompt(model, format, g);
      this.#prompts.delete(g.id);
      const completions = g.members.map((m): Completion => {
        const body = m.finishReason === "eos" && eos.has(m.ids[m.ids.length - 1]!) ? m.ids.slice(0, -1) : m.ids;
        return { ids: m.ids, logprobs: m.logprobs, text: model.tokenizer.decode(body), finishReason: m.finishReason! };
      });
      return { group: g, prompt, completions, versions: g.members.map((m) => m.versions) };
    });
  }

  /** JSON of the buffer (for checkpoints). */
  state(): PartialRolloutState {
    return {
      nextGroup: this.#nextGroup,
      seeder: this.#seeder.getState(),
      groups: this.#groups.map((g) => ({
        id: g.id, item: g.item, startStep: g.startStep,
        members: g.members.map((m) => ({ member: m.member, ids: m.ids, versions: runLength(m.versions), logprobs: m.logprobs, rng: m.rng, segments: m.segments, finishReason: m.finishReason })),
      })),
    };
  }

  /**
   * Restores a buffer saved by `state()`.
   * @throws RangeError when the state is malformed or its groups do not have G members
   */
  restore(s: PartialRolloutState): void {
    if (!s || !Array.isArray(s.groups) || !Number.isInteger(s.nextGroup)) throw new RangeError("partial rollouts: malformed buffer state");
    this.#seeder.setState(s.seeder);
    this.#nextGroup = s.nextGroup;
    this.#prompts.clear();
    this.#groups = s.groups.map((g) => {
      if (g.members.length !== this.o.groupSize) throw new RangeError(`partial rollouts: saved group ${g.id} has ${g.members.length} members, not ${this.o.groupSize}`);
      return {
        id: g.id, item: g.item, startStep: g.startStep,
        members: g.members.map((m) => {
          const versions = m.versions.flatMap(([v, n]) => Array.from({ length: n }, () => v));
          if (versions.length !== m.ids.length || m.logprobs.length !== m.ids.length) throw new RangeError(`partial rollouts: saved trajectory of group ${g.id} has inconsistent lengths`);
          return { member: m.member, ids: m.ids, versions, logprobs: m.logprobs, rng: m.rng, segments: m.segments, finishReason: m.finishReason };
        }),
      };
    });
  }

  #prompt(model: CausalLM, format: PromptFormat, g: TrajectoryGroup): EncodedPrompt {
    let p = this.#prompts.get(g.id);
    if (p === undefined) {
      p = preparePrompt(model, format, g.item.question);
      this.#prompts.set(g.id, p);
    }
    return p;
  }
}

/** Room for the prompt in the fixed prefill length of a segment (tokens). */
const PREFIX_BUCKET = 64;

/** `[1,1,1,2,2]` → `[[1,3],[2,2]]`. */
function runLength(v: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const x of v) {
    const last = out[out.length - 1];
    if (last && last[0] === x) last[1]++;
    else out.push([x, 1]);
  }
  return out;
}

/**
 * Ages of the segments of a trajectory in iterations at `step`: step − the version of each run of tokens of one
 * policy version (one per segment that produced tokens).
 */
export function segmentAges(versions: readonly number[], step: number): number[] {
  return runLength(versions).map(([v]) => step - v);
}
