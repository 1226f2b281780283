/**
 * Gradient accumulation must not keep every micro-batch's gradient alive until the optimizer step: jax-js queues
 * eager ops until a read-back, so an un-awaited `acc + grads` per micro-batch held 2 × params bytes each (on the
 * H200 a 0.5B GRPO step grew by ~3.4 GiB a micro-batch). Measured in a fresh process (see the probe's docstring).
 */
import { describe, expect, test } from "vitest";
import { spawnTsx } from "../helpers/cli.js";

describe("Learner.accumulate", () => {
  test("memory stays flat over micro-batches (the accumulated gradient is computed, not queued)", async () => {
    const r = await spawnTsx(["test/helpers/accumulate-memory.ts"], { killAfterMs: 120_000 }).done;
    expect(r.code, r.stderr).toBe(0);
    const { rss, gradBytes } = JSON.parse(r.stdout.trim().split("\n").pop()!) as { rss: number[]; gradBytes: number };
    expect(gradBytes).toBeGreaterThan(50e6);
    // Queued adds would add 2 × gradBytes per micro-batch after the first few (≥ 8 × gradBytes over 7 more). With the
    // jit-arena patch (docs/jax-patch.md) the Wasm heap grows in arena-sized steps: 2.1 × gradBytes was measured on
    // 2026-12-05, so the bound is 4 × — still half of what the bug this guards against adds.
    const growth = rss[rss.length - 1]! - rss[0]!;
    expect(growth).toBeLessThan(4 * gradBytes);
  }, 150_000);
});
