/** Kernel-dispatch counts for the benchmarks' `--profile` (jax-js profiler marks). */

/**
 * Counts the kernels/routines dispatched while `fn` runs, by label. Imports jax-js lazily, so callers may load this
 * module before the engine is initialised.
 */
export async function kernelCounts(fn: () => Promise<unknown>): Promise<{ total: number; byLabel: Map<string, number> }> {
  const { profiler } = await import("@jax-js/jax");
  performance.clearMeasures();
  profiler.startTrace();
  await fn();
  profiler.stopTrace();
  const byLabel = new Map<string, number>();
  const entries = performance.getEntriesByType("measure");
  for (const e of entries) byLabel.set(e.name, (byLabel.get(e.name) ?? 0) + 1);
  performance.clearMeasures();
  return { total: entries.length, byLabel };
}

/** The six most frequent labels, `label ×count, …`. */
export function topKernels(m: Map<string, number>): string {
  return [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ×${v}`).join(", ");
}
