/**
 * GPU time per kernel label for the GPU benchmark's `--profile`: jax-js's profiler marks carry WebGPU timestamp-query
 * start/end times (each kernel's compute pass on the device), so summing their durations by label shows where a
 * program's device time goes. Imports jax-js lazily, so callers may load this module before the engine starts.
 */

/** Per-label dispatch count and summed device time (ms) while `fn` ran, largest first; `totalMs` sums them all. */
export async function kernelTimes(fn: () => Promise<unknown>, opts: { byExpression?: boolean } = {}): Promise<{ totalMs: number; dispatches: number; byLabel: { label: string; count: number; ms: number; exp?: string }[] }> {
  const { profiler } = await import("@jax-js/jax");
  performance.clearMeasures();
  profiler.startTrace();
  await fn();
  profiler.stopTrace();
  await new Promise((r) => setTimeout(r, 500)); // the last timestamp batch is read back asynchronously
  const m = new Map<string, { count: number; ms: number; exp?: string }>();
  let totalMs = 0;
  const entries = performance.getEntriesByType("measure");
  for (const e of entries) {
    // jax-js labels a kernel `Kernel[size]`; its reduction (op:size) and expression tell kernels of one size apart.
    const props = new Map((((e as PerformanceMeasure).detail as { devtools?: { properties?: [string, string][] } } | null)?.devtools?.properties ?? []).map(([k, v]) => [k, v]));
    const red = props.get("reduction");
    // With `byExpression`, kernels of one label but different expressions are kept apart.
    const key = (red ? `${e.name} reduce ${red}` : e.name) + (opts.byExpression ? ` ${props.get("exp")?.slice(0, 300)}` : "");
    const x = m.get(key) ?? { count: 0, ms: 0, exp: props.get("exp")?.slice(0, 300) };
    x.count++;
    x.ms += e.duration;
    totalMs += e.duration;
    m.set(key, x);
  }
  performance.clearMeasures();
  const byLabel = [...m.entries()].map(([label, x]) => ({ label, ...x })).sort((a, b) => b.ms - a.ms);
  return { totalMs, dispatches: entries.length, byLabel };
}

/** The `n` labels with the most device time, `label ×count ms`, as one line. */
export function topKernelTimes(t: Awaited<ReturnType<typeof kernelTimes>>, n = 12): string {
  return t.byLabel.slice(0, n).map((x) => `${x.label} ×${x.count} ${x.ms.toFixed(1)} ms`).join(", ");
}
