import { expect, test } from "vitest";
import { formatDuration, formatProgress, progressBar } from "../../src/cli/progress.js";

test("progress line shows count, percent, rate and ETA from this run's rate", () => {
  expect(formatProgress("sample", 30, 120, 1.5, "rows 40", 12)).toBe("sample [###---------] 30/120 25% 1.50/s ETA 1:00 rows 40");
  expect(formatProgress("sample", 0, 10, null, "", 4)).toBe("sample [----] 0/10 0% ETA ?");
  expect(formatDuration(3725)).toBe("1:02:05");
});

test("without a TTY a slow run prints one line per 10% of progress", () => {
  const written: string[] = [];
  const stream = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  let t = 0;
  const bar = progressBar(stream, "x", () => t);
  for (let i = 0; i <= 100; i++) {
    t += 1000; // 10 s per 10%
    bar.update(i, 100, i);
  }
  expect(written).toHaveLength(11);
  expect(written[10]).toMatch(/^x \[#+\] 100\/100 100% .* ETA 0:00\n$/);
});

test("without a TTY lines are at least 5 s apart, first and last line excepted", () => {
  const written: string[] = [];
  const stream = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  let t = 0;
  const bar = progressBar(stream, "x", () => t);
  for (let i = 0; i <= 1000; i++) {
    t += 10; // 10 s in all: one update every 10 ms
    bar.update(i, 1000, i);
  }
  bar.update(1000, 1000, 1000); // a repeated final update prints nothing more
  expect(written.map((l) => l.split(" ")[2])).toEqual(["0/1000", "500/1000", "1000/1000"]);
});

test("without a TTY a few updates of a tiny run print at most one line each", () => {
  const written: string[] = [];
  const stream = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  const bar = progressBar(stream, "x", () => 0);
  for (let i = 0; i <= 3; i++) bar.update(i, 3, i);
  expect(written.map((l) => l.split(" ")[2])).toEqual(["0/3", "3/3"]);
});
