/**
 * The cross-entropy method (CEM) over a box, as Transformer² uses it to search the expert weights α of its few-shot
 * adaptation (Sun et al. 2025, arXiv 2501.06252, §3.2 "few-shot adaptation"; Rubinstein 1999): each iteration draws
 * a population from N(μ, diag σ²) clipped to [lower, upper], scores it, and refits μ and σ to the elite (the best
 * `eliteFraction` of the population). Scores are compared lexicographically (higher is better), so a primary score
 * with ties broken by a secondary one — few-shot accuracy, then the mean log-likelihood of the correct answers — is
 * one score vector. Pure: no model, no engine; the caller's `score` does the work.
 */
import { ConfigError } from "../core/errors.js";
import { gaussian, type Rng } from "../core/rng.js";

/** A score vector, compared lexicographically (element 0 first); higher is better. */
export type CemScore = readonly number[];

export interface CemOptions {
  /** Dimension of the search (K experts, or K × layers for per-layer α). */
  dim: number;
  /** Samples per iteration. Transformer² setting: 32. */
  population: number;
  /** Share of the population refit to (elite count = max(2, round(population × share))). Default 0.2. */
  eliteFraction: number;
  /** At most this many iterations (≤ 50 in the paper's setting). */
  iterations: number;
  /** Initial mean μ₀ (a number for every dimension, or one per dimension). The paper: 1/K. */
  initMean: number | readonly number[];
  /** Initial standard deviation σ₀ of every dimension. The paper's setting: 0.5. */
  initStd: number;
  /** Box of the search: samples are clipped to [lower, upper]. Default [0, 1]. */
  lower?: number;
  upper?: number;
  /** Stops early when every σ is below this (converged). Default 1e-3. */
  minStd?: number;
  rng: Rng;
  /** Called after each iteration. */
  onIteration?: (it: CemIteration) => void;
}

/** One iteration's record. */
export interface CemIteration {
  iteration: number;
  /** μ and σ refit to this iteration's elite. */
  mean: number[];
  std: number[];
  /** Best score of this iteration's population, and the best so far. */
  iterationBest: CemScore;
  best: CemScore;
  /** Samples scored so far (population × iterations). */
  evaluations: number;
}

export interface CemResult {
  /** The best sample ever scored, and its score. */
  best: number[];
  bestScore: CemScore;
  /** The final μ and σ. */
  mean: number[];
  std: number[];
  iterations: number;
  /** Samples scored in all. */
  evaluations: number;
  history: CemIteration[];
}

/** Lexicographic comparison of score vectors: > 0 when `a` is better. NaN counts as the worst value. */
export function compareScores(a: CemScore, b: CemScore): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = Number.isNaN(a[i] ?? NaN) ? -Infinity : a[i]!;
    const y = Number.isNaN(b[i] ?? NaN) ? -Infinity : b[i]!;
    if (x !== y) return x > y ? 1 : -1;
  }
  return 0;
}

/** Elite count of a population: max(2, round(population × fraction)), at most the population. */
export function eliteCount(population: number, fraction: number): number {
  return Math.min(population, Math.max(2, Math.round(population * fraction)));
}

/**
 * Maximises `score` over [lower, upper]^dim by CEM.
 * @param score scores a whole population at once (so the caller may batch): one score vector per sample, in order
 * @returns the best sample ever scored (ties: the earliest), the final μ and σ, and the per-iteration history
 * @throws ConfigError for a non-positive dimension/population/iteration count, an elite fraction outside (0, 1],
 *   an initial mean of the wrong length, or a `score` that returns the wrong number of scores
 */
export async function cem(score: (population: number[][]) => Promise<CemScore[]>, o: CemOptions): Promise<CemResult> {
  const lower = o.lower ?? 0;
  const upper = o.upper ?? 1;
  const minStd = o.minStd ?? 1e-3;
  const posInt = (name: string, v: number) => {
    if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(`CEM: ${name} must be an integer ≥ 1 (got ${v})`);
  };
  posInt("dim", o.dim);
  posInt("population", o.population);
  posInt("iterations", o.iterations);
  if (!(o.eliteFraction > 0 && o.eliteFraction <= 1)) throw new ConfigError(`CEM: eliteFraction must be in (0, 1] (got ${o.eliteFraction})`);
  if (!(o.initStd >= 0)) throw new ConfigError(`CEM: initStd must be ≥ 0 (got ${o.initStd})`);
  if (!(upper > lower)) throw new ConfigError(`CEM: the box [${lower}, ${upper}] is empty`);
  const mean = typeof o.initMean === "number" ? new Array<number>(o.dim).fill(o.initMean) : [...o.initMean];
  if (mean.length !== o.dim) throw new ConfigError(`CEM: initMean has ${mean.length} values for ${o.dim} dimensions`);
  const std = new Array<number>(o.dim).fill(o.initStd);
  const nElite = eliteCount(o.population, o.eliteFraction);
  let best: number[] = mean.map((m) => Math.min(upper, Math.max(lower, m)));
  let bestScore: CemScore | null = null;
  let evaluations = 0;
  const history: CemIteration[] = [];
  for (let it = 1; it <= o.iterations; it++) {
    const pop = Array.from({ length: o.population }, () => mean.map((m, d) => Math.min(upper, Math.max(lower, m + std[d]! * gaussian(o.rng)))));
    const scores = await score(pop);
    if (scores.length !== pop.length) throw new ConfigError(`CEM: score returned ${scores.length} scores for ${pop.length} samples`);
    evaluations += pop.length;
    const order = pop.map((_, i) => i).sort((a, b) => compareScores(scores[b]!, scores[a]!) || a - b);
    const top = order[0]!;
    if (bestScore === null || compareScores(scores[top]!, bestScore) > 0) {
      best = pop[top]!;
      bestScore = scores[top]!;
    }
    const elite = order.slice(0, nElite).map((i) => pop[i]!);
    for (let d = 0; d < o.dim; d++) {
      const mu = elite.reduce((s, x) => s + x[d]!, 0) / elite.length;
      mean[d] = mu;
      std[d] = Math.sqrt(elite.reduce((s, x) => s + (x[d]! - mu) ** 2, 0) / elite.length);
    }
    const rec: CemIteration = { iteration: it, mean: [...mean], std: [...std], iterationBest: scores[top]!, best: bestScore, evaluations };
    history.push(rec);
    o.onIteration?.(rec);
    if (std.every((s) => s < minStd)) break;
  }
  return { best, bestScore: bestScore ?? [], mean, std, iterations: history.length, evaluations, history };
}
