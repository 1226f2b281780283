/** A one-line progress bar with rate and ETA for long CLI commands (rewritten in place on a TTY). */

/** `h:mm:ss` or `m:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * `label [#######-----------] 12/40 30% 1.5/s ETA 0:19 extra`.
 * @param rate items per second measured in this process (ETA = remaining / rate; `?` until known)
 */
export function formatProgress(label: string, done: number, total: number, rate: number | null, extra = "", width = 24): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const fill = Math.round(frac * width);
  const eta = rate !== null && rate > 0 ? formatDuration((total - done) / rate) : "?";
  const r = rate === null ? "" : ` ${rate >= 10 ? rate.toFixed(0) : rate.toFixed(2)}/s`;
  return `${label} [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${done}/${total} ${Math.floor(frac * 100)}%${r} ETA ${eta}${extra ? ` ${extra}` : ""}`;
}

export interface ProgressBar {
  /** @param doneThisRun items finished by this process (the rate excludes work resumed from an earlier run) */
  update(done: number, total: number, doneThisRun: number, extra?: string): void;
  /** Clears the line (TTY). */
  end(): void;
}

/** Off a TTY, the least time between two plain progress lines (ms), the first and the last line excepted. */
export const PLAIN_INTERVAL_MS = 5000;

/**
 * On a TTY: redraws at most every 100 ms. Otherwise (a log file, a pipe): plain lines, one when a new 10% step of
 * progress is reached and at least `PLAIN_INTERVAL_MS` have passed since the last line, plus the first and the
 * final (done = total) lines — so a log gets at most 11 lines, and fewer for a quick run.
 * @param now clock in ms (injected for tests)
 */
export function progressBar(stream: NodeJS.WriteStream, label: string, now: () => number = () => performance.now()): ProgressBar {
  const t0 = now();
  let last = -Infinity;
  let lastDecile = -1;
  let finished = false;
  return {
    update(done, total, doneThisRun, extra = "") {
      const t = now();
      const rate = doneThisRun > 0 ? doneThisRun / ((t - t0) / 1000) : null;
      const line = formatProgress(label, done, total, rate, extra);
      if (stream.isTTY) {
        if (t - last < 100 && done < total) return;
        last = t;
        stream.write(`\r\x1b[2K${line}`);
      } else {
        const decile = total > 0 ? Math.min(10, Math.floor((10 * done) / total)) : 10;
        const final = decile === 10;
        if (final ? finished : decile === lastDecile || (lastDecile >= 0 && t - last < PLAIN_INTERVAL_MS)) return;
        lastDecile = decile;
        last = t;
        finished = final;
        stream.write(`${line}\n`);
      }
    },
    end() {
      if (stream.isTTY) stream.write("\r\x1b[2K");
    },
  };
}
