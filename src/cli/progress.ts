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

/**
 * On a TTY: redraws at most every 100 ms. Otherwise: one plain line per 10% of progress (logs stay short).
 * @param now clock in ms (injected for tests)
 */
export function progressBar(stream: NodeJS.WriteStream, label: string, now: () => number = () => performance.now()): ProgressBar {
  const t0 = now();
  let last = -Infinity;
  let lastDecile = -1;
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
        const decile = total > 0 ? Math.floor((10 * done) / total) : 10;
        if (decile === lastDecile) return;
        lastDecile = decile;
        stream.write(`${line}\n`);
      }
    },
    end() {
      if (stream.isTTY) stream.write("\r\x1b[2K");
    },
  };
}
