/**
 * Which charts the dashboard draws (browser-safe; the page and the server share it): a curated default layout of the
 * quantities people watch in an RL run — reward, held-out accuracy, response length (the R1-Zero "length grows"
 * curve), entropy, KL, clip ratios, zero-std groups, gradient norm, learning rate, throughput, phase timings — then
 * every other key of `metrics.jsonl`, grouped by its prefix (`rewards/`, `time/`, `clip_ratio/`, …). Nothing is
 * tied to a fixed list of keys: a key no panel names still gets a chart.
 */

/** Where a panel's points come from: the step rows (`metrics.jsonl`) or the evaluations (`evals.jsonl`). */
export type PanelSource = "metrics" | "evals";

export interface Panel {
  /** Stable id (DOM id, tests). */
  id: string;
  title: string;
  source: PanelSource;
  /** Keys drawn as lines, in order. */
  keys: string[];
  /** A shaded band between two keys (e.g. min/max response length around the mean). */
  band?: { low: string; high: string; label: string };
  /** Values are shares in [0, 1]: the axis shows percentages. */
  percent?: boolean;
  /** Logarithmic y axis (learning rate, grad norm spanning decades are still linear by default). */
  log?: boolean;
}

interface CuratedPanel {
  id: string;
  title: string;
  source?: PanelSource;
  /** Keys or patterns: a `*` matches one or more characters other than `/`. */
  keys: string[];
  band?: { low: string; high: string; label: string };
  percent?: boolean;
}

/** The default layout, in reading order (a panel whose keys none of the runs has is left out). */
export const CURATED_PANELS: readonly CuratedPanel[] = [
  { id: "reward", title: "Reward (total and per function)", keys: ["reward", "rewards/*/mean"] },
  { id: "heldout", title: "Held-out accuracy (evaluations)", source: "evals", keys: ["eval/pass@1", "eval/cons@*"], percent: true },
  { id: "heldout_more", title: "Held-out: other rates", source: "evals", keys: ["eval/pass@*", "eval/*_rate"], percent: true },
  { id: "heldout_length", title: "Held-out: mean response length", source: "evals", keys: ["eval/mean_length"] },
  { id: "accuracy", title: "Training accuracy and reflection (\"aha\")", keys: ["accuracy", "aha/reflection_ratio", "aha/accuracy_with_reflection", "aha/accuracy_without_reflection"], percent: true },
  {
    id: "length",
    title: "Response length (tokens: mean, min–max band)",
    keys: ["completions/mean_length"],
    band: { low: "completions/min_length", high: "completions/max_length", label: "min–max" },
  },
  { id: "truncation", title: "Truncated completions", keys: ["completions/clipped_ratio"], percent: true },
  { id: "entropy", title: "Entropy (nats/token)", keys: ["entropy"] },
  { id: "kl", title: "KL to the reference", keys: ["kl"] },
  { id: "clip", title: "Clip ratios", keys: ["clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean"], percent: true },
  { id: "zero_std", title: "Groups with zero reward std (no signal)", keys: ["frac_reward_zero_std"], percent: true },
  { id: "grad_norm", title: "Gradient norm", keys: ["grad_norm"] },
  { id: "learning_rate", title: "Learning rate", keys: ["learning_rate"] },
  { id: "throughput", title: "Throughput (generated tokens/s)", keys: ["tokens_per_second"] },
  { id: "timings", title: "Step and phase timings (s)", keys: ["step_seconds", "time/*"] },
];

/** Keys never charted: the x axis. */
const NOT_CHARTED = new Set(["step"]);

function patternRegex(p: string): RegExp {
  return new RegExp(`^${p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]+")}$`);
}

/** Keys of `available` matching `pattern` (`*` = one path segment), in `available`'s order. */
export function matchKeys(pattern: string, available: readonly string[]): string[] {
  if (!pattern.includes("*")) return available.includes(pattern) ? [pattern] : [];
  const re = patternRegex(pattern);
  return available.filter((k) => re.test(k));
}

/** A key's group: the text before its first `/` (`rewards/accuracy/mean` → `rewards`), or the key itself. */
export function keyGroup(key: string): string {
  const i = key.indexOf("/");
  return i < 0 ? key : key.slice(0, i);
}

/**
 * The panels for the keys the runs have: the curated ones first (only those with data), then one panel per prefix
 * group for every key they do not show (a key without a prefix gets a panel of its own).
 * @param metricKeys every key seen in the runs' `metrics.jsonl` rows, in first-seen order
 * @param evalKeys every key seen in their `evals.jsonl` rows
 */
export function layoutPanels(metricKeys: readonly string[], evalKeys: readonly string[] = []): Panel[] {
  const shown = new Set<string>();
  const shownEval = new Set<string>();
  const panels: Panel[] = [];
  for (const c of CURATED_PANELS) {
    const source = c.source ?? "metrics";
    const avail = source === "metrics" ? metricKeys : evalKeys;
    const done = source === "metrics" ? shown : shownEval;
    const keys = [...new Set(c.keys.flatMap((p) => matchKeys(p, avail)))].filter((k) => !done.has(k));
    const band = c.band && avail.includes(c.band.low) && avail.includes(c.band.high) ? c.band : undefined;
    if (keys.length === 0) continue;
    for (const k of keys) done.add(k);
    if (band) done.add(band.low).add(band.high);
    panels.push({ id: c.id, title: c.title, source, keys, ...(band ? { band } : {}), ...(c.percent ? { percent: true } : {}) });
  }
  const groups = new Map<string, string[]>();
  for (const k of metricKeys) {
    // In-loop evaluations are merged into step rows as eval/…; evals.jsonl has them all (with before/after RL).
    if (shown.has(k) || NOT_CHARTED.has(k) || (k.startsWith("eval/") && evalKeys.includes(k))) continue;
    const g = keyGroup(k);
    groups.set(g, [...(groups.get(g) ?? []), k]);
  }
  for (const [g, keys] of groups) {
    panels.push({ id: `group-${g.replace(/[^A-Za-z0-9_-]/g, "_")}`, title: keys.length === 1 && keys[0] === g ? g : `${g}/…`, source: "metrics", keys });
  }
  return panels;
}

/** Every key of `rows` (objects), in first-seen order. */
export function keysOf(rows: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}
