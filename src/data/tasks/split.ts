/**
 * Held-out evaluation set and training stream that never overlap, as in the reference experiment
 * (shared/reference/tiny_grpo.py): a fixed pool of problems is drawn from its own seed and every key in it
 * is excluded from training, even when fewer of them are used for evaluation.
 */
import { ConfigError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import type { Problem, Task } from "./types.js";

/** Seed offset of the held-out pool, so the evaluation set does not depend on the training seed's stream. */
export const HELD_OUT_SEED = 10_000;
/** Minimum number of problem keys reserved for evaluation, whatever `n` is (so eval size can change between runs). */
export const HELD_OUT_POOL = 512;
/** Consecutive rejected draws after which a generator is declared exhausted (task space too small). */
const MAX_REJECTS = 100_000;

/**
 * Draw `max(n, HELD_OUT_POOL)` distinct problems from `new Rng(seed)`.
 * @returns the first `n` of them and the keys of the whole pool (pass `keys` to `trainStream`).
 * Throws ConfigError when the task cannot produce that many distinct problems.
 */
export function heldOutSet(task: Task, n: number, seed: number): { problems: Problem[]; keys: Set<string> } {
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`heldOutSet: n must be a non-negative integer (got ${n})`);
  const rng = new Rng(seed);
  const pool = Math.max(n, HELD_OUT_POOL);
  const problems: Problem[] = [];
  const keys = new Set<string>();
  let rejects = 0;
  while (problems.length < pool) {
    const p = task.sample(rng);
    if (keys.has(p.key)) {
      if (++rejects >= MAX_REJECTS) {
        throw new ConfigError(`heldOutSet: task ${task.name} yielded only ${keys.size} distinct problems (need ${pool})`, {
          hint: "use harder task options (more digits / larger numbers)",
        });
      }
      continue;
    }
    rejects = 0;
    keys.add(p.key);
    problems.push(p);
  }
  return { problems: problems.slice(0, n), keys };
}

/**
 * Endless training stream: each call draws from `rng` until a problem whose key is not in `exclude`.
 * The rng is advanced in place, so `rng.getState()` after a call resumes the stream exactly.
 * The returned function throws ConfigError if MAX_REJECTS consecutive draws are all excluded.
 */
export function trainStream(task: Task, rng: Rng, exclude: ReadonlySet<string>): () => Problem {
  return () => {
    for (let i = 0; i < MAX_REJECTS; i++) {
      const p = task.sample(rng);
      if (!exclude.has(p.key)) return p;
    }
    throw new ConfigError(`trainStream: ${MAX_REJECTS} consecutive ${task.name} problems were all held out`, {
      hint: "the task has too few distinct problems; use harder task options",
    });
  };
}
