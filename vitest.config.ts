import { availableParallelism } from "node:os";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * The slowest test files (docs/benchmarks.md, "Test suite time"), slowest first. They start first, so that the
 * workers finish together instead of one of them starting a two-minute file near the end. vitest orders files by
 * the durations of the previous run when it has them (node_modules/.vite), but a fresh clone (CI) has none and would
 * order by file size. A file missing from the list just runs after these.
 */
const SLOW_FIRST = [
  "test/cli/real-layout-train.test.ts",
  "test/train/resume.test.ts",
  "test/browser/chromium.test.ts",
  "test/browser/webgpu-kernels.test.ts",
  "test/cli/adapters.test.ts",
  "test/cli/generate.test.ts",
  "test/adapt/self-adapt.test.ts",
  "test/train/grpo-learns.test.ts",
  "test/adapt/adapter-resume.test.ts",
  "test/adapt/lora-sft.test.ts",
  "test/train/partial-resume.test.ts",
  "test/cli/errors.test.ts",
  "test/cli/adapt.test.ts",
  "test/cli/verify-format-hints.test.ts",
];

/** vitest's own order (failed first, then by last duration or size), with `SLOW_FIRST` moved to the front. */
class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((p) => f.moduleId.replaceAll("\\", "/").endsWith(p));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    const sorted = await super.sort(files);
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.gpu.test.ts"],
    pool: "forks",
    // vitest's default is one worker fewer than the cores: one worker on the 2-core CI machine, where most files
    // spend much of their time waiting (child processes, Chromium, the Wasm pool's threads). Two or more run files
    // side by side (THINKRL_TEST_WORKERS overrides; 1 gives the old serial run).
    maxWorkers: Number(process.env.THINKRL_TEST_WORKERS) || Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: SlowFirstSequencer },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
