/**
 * Finite problem pools and how training draws from them (Kimi k1.5, arXiv 2501.12599, §2.3.4 "Sampling
 * Strategies"): uniform epochs, prioritized sampling ∝ (1 − s_i) on each problem's success rate, and a curriculum
 * that trains on every problem first and on the hard ones only from a switch step on.
 *
 * A pool keeps per-problem statistics (rollouts and successes) whatever the strategy, so they accumulate over the
 * run; `getState()` holds them with the sampler's generator, so a resumed run draws exactly as the stopped one
 * would have.
 */
import { ConfigError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { PromptItem, PromptSource } from "./source.js";

export type SamplingStrategy = "uniform" | "prioritized" | "curriculum";
export const SAMPLING_STRATEGIES: readonly SamplingStrategy[] = ["uniform", "prioritized", "curriculum"];

/** The rollouts of one problem in a step: how many were sampled and how many succeeded (fractions allowed). */
export interface ProblemOutcome {
  key: string;
  tries: number;
  successes: number;
}

export interface PoolOptions {
  strategy: SamplingStrategy;
  seed: number;
  /** Prioritized: the smallest weight a problem keeps, in (0, 1]. Default 0.05. */
  priorityFloor?: number;
  /** Curriculum: the first step (1-based) that draws only hard problems. */
  curriculumSwitchStep?: number;
  /** Curriculum: the hardest share of the pool drawn from the switch on, in (0, 1]. Default 0.5. */
  curriculumHardFraction?: number;
}

/** Prioritized sampling's default floor: a problem solved every time is still drawn 1/20 as often as an unsolved one. */
export const DEFAULT_PRIORITY_FLOOR = 0.05;

/**
 * Success rate s_i of a problem (Kimi §2.3.4): its successes ÷ rollouts over the whole run so far; 0 before its
 * first visit, so unseen problems carry the largest weight.
 */
export function successRate(stats: { tries: number; successes: number } | undefined): number {
  return stats && stats.tries > 0 ? stats.successes / stats.tries : 0;
}

/** Prioritized sampling's weight of a problem: max(1 − s_i, floor) (Kimi §2.3.4, with a floor so solved ones stay drawable). */
export function priorityWeight(s: number, floor: number): number {
  return Math.max(1 - s, floor);
}

/** A `PromptSource` over a finite pool that learns from outcomes and follows a step schedule. */
export interface PoolSource extends PromptSource {
  readonly pool: readonly PromptItem[];
  readonly strategy: SamplingStrategy;
  /** Called at the start of every step (1-based): the curriculum switches on it. */
  beginStep(step: number): void;
  /** Records a step's outcomes (unknown keys are ignored). */
  observe(outcomes: readonly ProblemOutcome[]): void;
  /** The pool's per-problem difficulty (higher = harder), when the curriculum has one. */
  difficulty: number[] | null;
  /** Sampling probability of each pool problem for the next draw (the current strategy and statistics). */
  probabilities(): number[];
  /** `sampling/*` metrics: share of the pool visited, mean success rate of visited problems, pool share in play. */
  metrics(): Record<string, number>;
}

interface PoolState {
  rng: number[];
  step: number;
  epoch: number;
  cursor: number;
  stats: Record<string, { tries: number; successes: number }>;
  difficulty: number[] | null;
}

/**
 * Draws a finite pool from a source: `n` distinct problems in draw order, or (n = 0) every problem of one pass over
 * a finite source (until the first key repeats).
 * @throws ConfigError when the source yields fewer than `n` distinct problems within 100,000 consecutive repeats
 */
export function drawPool(source: PromptSource, n: number): PromptItem[] {
  const seen = new Set<string>();
  const pool: PromptItem[] = [];
  let repeats = 0;
  while (n === 0 || pool.length < n) {
    const p = source.next();
    if (seen.has(p.key)) {
      if (n === 0) break;
      if (++repeats >= 100_000) throw new ConfigError(`${source.name} yields only ${pool.length} distinct training problems (asked for a pool of ${n})`, { hint: "use a smaller --train-pool" });
      continue;
    }
    repeats = 0;
    seen.add(p.key);
    pool.push(p);
  }
  return pool;
}

/**
 * A pool source. `uniform` and `curriculum` draw shuffled passes (each problem once per pass: over the whole pool,
 * or over the hard share after the switch); `prioritized` draws each problem independently with probability
 * ∝ max(1 − s_i, floor) (with replacement).
 * @param heldOut the base source's held-out problems (never in `pool`)
 * @throws ConfigError for an empty pool or options out of range
 */
export function poolSource(name: string, pool: readonly PromptItem[], heldOut: PromptItem[], o: PoolOptions): PoolSource {
  if (pool.length === 0) throw new ConfigError(`${name}: the training pool is empty`);
  const floor = o.priorityFloor ?? DEFAULT_PRIORITY_FLOOR;
  const hardFraction = o.curriculumHardFraction ?? 0.5;
  if (!(floor > 0 && floor <= 1)) throw new ConfigError(`priorityFloor must be in (0, 1] (got ${floor})`);
  if (!(hardFraction > 0 && hardFraction <= 1)) throw new ConfigError(`curriculumHardFraction must be in (0, 1] (got ${hardFraction})`);
  const switchStep = o.curriculumSwitchStep ?? Number.POSITIVE_INFINITY;
  const rng = new Rng(o.seed);
  const index = new Map(pool.map((p, i) => [p.key, i]));
  let st: Omit<PoolState, "rng"> = { step: 0, epoch: 0, cursor: 0, stats: {}, difficulty: null };
  let perm: number[] | null = null;

  /** The problems a pass runs over now: all, or (curriculum after the switch) the hardest share. */
  const active = (): number[] => {
    const all = pool.map((_, i) => i);
    if (o.strategy !== "curriculum" || st.step < switchStep) return all;
    if (st.difficulty === null) throw new ConfigError("curriculum sampling needs a difficulty per problem (none was set)");
    const d = st.difficulty;
    const k = Math.max(1, Math.round(hardFraction * pool.length));
    // Hardest first; ties keep pool order (stable sort), so the subset is deterministic.
    return all.sort((a, b) => d[b]! - d[a]!).slice(0, k).sort((a, b) => a - b);
  };
  const newPass = () => {
    perm = new Rng(o.seed + 7919 * (st.epoch + 1)).shuffle(active());
  };
  const src: PoolSource = {
    name,
    heldOut,
    pool,
    strategy: o.strategy,
    get difficulty() {
      return st.difficulty;
    },
    set difficulty(d: number[] | null) {
      if (d !== null && (d.length !== pool.length || d.some((x) => !Number.isFinite(x)))) {
        throw new ConfigError(`difficulty: need one finite number per pool problem (${pool.length}; got ${d.length})`);
      }
      st.difficulty = d;
    },
    beginStep(step) {
      const before = active().length;
      st.step = step;
      // The curriculum's switch starts a new pass over the hard share.
      if (o.strategy === "curriculum" && active().length !== before) {
        st.epoch++;
        st.cursor = 0;
        perm = null;
      }
    },
    next() {
      if (o.strategy === "prioritized") {
        const w = pool.map((p) => priorityWeight(successRate(st.stats[p.key]), floor));
        const total = w.reduce((a, b) => a + b, 0);
        let u = rng.next() * total;
        for (let i = 0; i < w.length; i++) {
          u -= w[i]!;
          if (u < 0) return pool[i]!;
        }
        return pool[pool.length - 1]!;
      }
      if (perm === null) newPass();
      if (st.cursor >= perm!.length) {
        st.epoch++;
        st.cursor = 0;
        newPass();
      }
      return pool[perm![st.cursor++]!]!;
    },
    observe(outcomes) {
      for (const x of outcomes) {
        if (!index.has(x.key) || !(x.tries > 0)) continue;
        const s = (st.stats[x.key] ??= { tries: 0, successes: 0 });
        s.tries += x.tries;
        s.successes += Math.min(x.tries, Math.max(0, x.successes));
      }
    },
    probabilities() {
      if (o.strategy === "prioritized") {
        const w = pool.map((p) => priorityWeight(successRate(st.stats[p.key]), floor));
        const total = w.reduce((a, b) => a + b, 0);
        return w.map((x) => x / total);
      }
      const act = active();
      const p = new Array<number>(pool.length).fill(0);
      for (const i of act) p[i] = 1 / act.length;
      return p;
    },
    metrics() {
      const visited = Object.keys(st.stats);
      const rates = visited.map((k) => successRate(st.stats[k]));
      return {
        "sampling/pool_visited": visited.length / pool.length,
        "sampling/mean_success_rate": rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : 0,
        "sampling/pool_solved": rates.filter((r) => r >= 1).length / pool.length,
        "sampling/active_problems": o.strategy === "prioritized" ? pool.length : active().length,
      };
    },
    getState: (): PoolState => ({ rng: rng.getState(), ...structuredClone(st) }),
    setState(s) {
      const v = s as PoolState;
      if (typeof v !== "object" || v === null || !Array.isArray(v.rng) || typeof v.stats !== "object") {
        throw new ConfigError(`${name}: the checkpoint's sampler state is not a pool's (was the run started with another --sampling?)`);
      }
      rng.setState(v.rng);
      st = { step: v.step, epoch: v.epoch, cursor: v.cursor, stats: structuredClone(v.stats), difficulty: v.difficulty ?? st.difficulty };
      perm = null;
      if (o.strategy !== "prioritized") newPass();
    },
  };
  return src;
}

/** Pool size of a built-in task when prioritized or curriculum sampling is asked for without `--train-pool`. */
export const DEFAULT_TASK_POOL = 1024;

export interface TrainingSourceOptions extends PoolOptions {
  /** Pool size; 0 = every training row of a finite source, `DEFAULT_TASK_POOL` problems of an endless one. */
  trainPool: number;
}

/**
 * The source a training run draws from: `base` itself for uniform sampling without a pool (the endless stream or the
 * dataset's shuffled epochs, unchanged), else a `poolSource` over a pool drawn from `base` once.
 */
export function trainingSource(base: PromptSource, o: TrainingSourceOptions): PromptSource {
  if (o.strategy === "uniform" && o.trainPool === 0) return base;
  const n = o.trainPool > 0 ? o.trainPool : base.size !== undefined ? 0 : DEFAULT_TASK_POOL;
  return poolSource(base.name, drawPool(base, n), base.heldOut, o);
}

/** Where a curriculum's difficulty comes from (`TrainConfig.difficulty`). */
export type DifficultySource = "auto" | "column" | "task" | "measured";

/**
 * The pool's difficulty from the data: `column` (a numeric `difficulty` column on every row), `task` (a built-in
 * task's own measure), `auto` (column, else task). Returns "measure" when it must be measured from the model
 * (`measured`, or `auto` without either).
 * @throws ConfigError naming the first problem without the asked-for difficulty
 */
export function dataDifficulty(pool: readonly PromptItem[], mode: DifficultySource): number[] | "measure" {
  const column = (p: PromptItem) => (typeof p.columns.difficulty === "number" && Number.isFinite(p.columns.difficulty) ? p.columns.difficulty : undefined);
  if (mode === "measured") return "measure";
  if (mode === "column" || (mode === "auto" && pool.every((p) => column(p) !== undefined))) {
    const bad = pool.find((p) => column(p) === undefined);
    if (bad) throw new ConfigError(`--difficulty column: problem ${bad.key} has no numeric "difficulty" column`, { hint: "add one to every row, or use --difficulty measured" });
    return pool.map((p) => column(p)!);
  }
  if (mode === "task" || (mode === "auto" && pool.every((p) => p.difficulty !== undefined))) {
    const bad = pool.find((p) => p.difficulty === undefined);
    if (bad) throw new ConfigError(`--difficulty task: problem ${bad.key} is not from a built-in task`, { hint: "use --difficulty column or measured" });
    return pool.map((p) => p.difficulty!);
  }
  return "measure";
}
