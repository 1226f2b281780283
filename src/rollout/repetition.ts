/**
 * Repetition stop for generation (Kimi k1.5 §2.6.2: "repeat detection … identifies repetitive sequences in the
 * generated content and terminates them early"). Kimi gives no rule; thinkrl ends a trajectory when its latest
 * n-gram of tokens has occurred `maxCount` times in the completion (overlapping occurrences count). A degenerate loop
 * of period p repeats every n-gram of it once per p tokens, so it stops after about maxCount·p + n tokens.
 */

export interface RepetitionStopOptions {
  /** n-gram size in tokens (≥ 1). */
  ngramSize: number;
  /** Occurrences of the latest n-gram that end the trajectory (≥ 2). */
  maxCount: number;
}

/** Incremental detector for one trajectory: O(n) per token, a map of the n-grams seen so far. */
export class RepetitionDetector {
  readonly #counts = new Map<string, number>();
  readonly #tail: number[] = [];

  /**
   * @param prefix completion tokens written before (a continued trajectory's prefix): counted, never reported
   * @throws RangeError for ngramSize < 1 or maxCount < 2
   */
  constructor(readonly o: RepetitionStopOptions, prefix: readonly number[] = []) {
    if (!(Number.isInteger(o.ngramSize) && o.ngramSize >= 1)) throw new RangeError(`repetition stop: ngramSize must be an integer ≥ 1 (got ${o.ngramSize})`);
    if (!(Number.isInteger(o.maxCount) && o.maxCount >= 2)) throw new RangeError(`repetition stop: maxCount must be an integer ≥ 2 (got ${o.maxCount})`);
    for (const id of prefix) this.push(id);
  }

  /** Adds a token. @returns true when the n-gram it completes has now occurred `maxCount` times */
  push(id: number): boolean {
    this.#tail.push(id);
    if (this.#tail.length > this.o.ngramSize) this.#tail.shift();
    if (this.#tail.length < this.o.ngramSize) return false;
    const key = this.#tail.join(",");
    const n = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, n);
    return n >= this.o.maxCount;
  }
}
