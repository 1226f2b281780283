/**
 * Alerts for a run going wrong, from its `metrics.jsonl` rows (browser-safe; the page shows them above the charts):
 * truncation above 5% (rewards cannot judge cut-off answers), entropy collapse (the policy stopped exploring), a
 * NaN / missing number, and the share of zero-std groups stuck high (no learning signal).
 */

export type AlertLevel = "error" | "warning";

export interface Alert {
  /** Stable id (`truncation`, `entropy_collapse`, `nan`, `zero_std`). */
  id: string;
  level: AlertLevel;
  message: string;
}

/** Thresholds of the alerts. */
export const ALERT_THRESHOLDS = Object.freeze({
  /** Latest `completions/clipped_ratio` above this share. */
  truncation: 0.05,
  /** Latest entropy below this fraction of the mean of the first `entropyBaselineSteps` steps … */
  entropyCollapseFraction: 0.1,
  entropyBaselineSteps: 3,
  /** … once the run has at least this many steps. */
  entropyMinSteps: 5,
  /** `frac_reward_zero_std` at or above this share … */
  zeroStd: 0.9,
  /** … for this many consecutive latest steps. */
  zeroStdSteps: 5,
});

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * The alerts for one run's step rows (oldest first).
 * @returns at most one alert per kind, the most severe first
 */
export function runAlerts(rows: readonly Record<string, unknown>[], t = ALERT_THRESHOLDS): Alert[] {
  const out: Alert[] = [];
  if (rows.length === 0) return out;
  // NaN: JSON writes NaN and ±Infinity as null; a string "NaN" is not a number either.
  for (const r of rows) {
    const bad = Object.entries(r).find(([k, v]) => k !== "step" && (v === null || (typeof v === "string" && /^-?(nan|inf)/i.test(v)) || (typeof v === "number" && !Number.isFinite(v))));
    if (bad) {
      out.push({ id: "nan", level: "error", message: `step ${String(r.step)}: ${bad[0]} is not a number (${String(bad[1])})` });
      break;
    }
  }
  const last = rows[rows.length - 1]!;
  const trunc = num(last["completions/clipped_ratio"]);
  if (trunc !== undefined && trunc > t.truncation) {
    out.push({ id: "truncation", level: "warning", message: `${pct(trunc)} of completions truncated at step ${String(last.step)} (above ${pct(t.truncation)}): raise --max-completion-length or check that answers end` });
  }
  const ent = rows.map((r) => num(r.entropy)).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (ent.length >= t.entropyMinSteps) {
    const base = ent.slice(0, t.entropyBaselineSteps).reduce((a, b) => a + b, 0) / Math.min(ent.length, t.entropyBaselineSteps);
    const now = ent[ent.length - 1]!;
    if (base > 0 && now < t.entropyCollapseFraction * base) {
      out.push({ id: "entropy_collapse", level: "warning", message: `entropy collapsed: ${now.toPrecision(3)} nats/token, ${pct(now / base)} of its start (${base.toPrecision(3)}): the policy stopped exploring (lower the learning rate?)` });
    }
  }
  const zs = rows.slice(-t.zeroStdSteps).map((r) => num(r.frac_reward_zero_std));
  if (zs.length === t.zeroStdSteps && zs.every((v) => v !== undefined && v >= t.zeroStd)) {
    out.push({ id: "zero_std", level: "warning", message: `${pct(zs[zs.length - 1]!)} of groups had all-equal rewards for the last ${t.zeroStdSteps} steps: almost no learning signal (task too hard or too easy, or a reward cannot parse the answers)` });
  }
  return out;
}
