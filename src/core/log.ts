/** Where long-running library work reports to (the CLI prints it; a browser page or a test collects it). */
export interface RunLog {
  /** A line to keep (results, warnings, checkpoints). */
  info(msg: string): void;
  /** Transient progress: a terminal redraws one live line; logs keep at most an occasional copy. */
  progress(msg: string): void;
}

/** A log that drops everything. */
export const SILENT_LOG: RunLog = Object.freeze({ info: () => {}, progress: () => {} });

/** `83` → `1m23s`, `4000` → `1h06m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** `1 sample`, `4 samples`: a count with its noun, singular for exactly 1. @param many the plural (default word + "s") */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
