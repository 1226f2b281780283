/**
 * Test helper: writes a run directory as `thinkrl train` lays it out (config.json, metrics.jsonl with TRL's keys,
 * evals.jsonl before/after, completions.jsonl), with deterministic made-up numbers shaped like a real run — for the
 * dashboard's tests and screenshots. `hostile` completions carry HTML/script payloads (model output is untrusted).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Completions that would run script or inject markup if a page rendered them as HTML. */
export const HOSTILE_COMPLETIONS = [
  "</script><script>window.__pwned = 1</script>",
  '<img src=x onerror="window.__pwned = 2">',
  "<b>bold?</b> & <!-- comment --> \u2028 line separator",
];

export interface FixtureOptions {
  steps: number;
  /** Steps with completions rows (every `completionsEvery`). */
  completionsEvery?: number;
  /** Seeded variation so two fixture runs differ. */
  seed?: number;
  hostile?: boolean;
  /** Extra raw text appended to metrics.jsonl (malformed lines). */
  junk?: string;
}

/** The metrics row of `step` (1-based). */
export function fixtureMetrics(step: number, seed = 0): Record<string, number> {
  const t = step / 10;
  const s = Math.sin(step * 1.7 + seed) * 0.03;
  const acc = Math.min(0.95, 0.2 + 0.5 * (1 - Math.exp(-t)) + s + 0.05 * seed);
  return {
    step,
    loss: 1e-7 * Math.cos(step),
    reward: acc + 0.099,
    reward_std: 0.2 + s,
    frac_reward_zero_std: Math.max(0, 0.5 - 0.02 * step + s),
    num_null_rewards: 0,
    kl: 0.001 * step,
    entropy: 0.12 * Math.exp(-step / 60) + 0.01,
    "clip_ratio/low_mean": 0.002 + s / 10,
    "clip_ratio/high_mean": 0.001,
    "clip_ratio/region_mean": 0.003,
    "completions/mean_length": 30 + step * 0.4 + 10 * s,
    "completions/min_length": 18 + step * 0.2,
    "completions/max_length": 44 + step * 0.6,
    "completions/clipped_ratio": step > 15 ? 0.07 : 0.01,
    grad_norm: 0.7 + s,
    learning_rate: 1e-4 * Math.min(1, step / 5),
    num_loss_sequences: 128,
    tokens_per_second: 2700 + 100 * s,
    step_seconds: 6 + s,
    "rewards/accuracy/mean": acc,
    "rewards/format/mean": 0.99,
    accuracy: acc,
    "aha/reflection_ratio": 0.1 + 0.01 * step,
    "aha/accuracy_with_reflection": acc + 0.05,
    "aha/accuracy_without_reflection": acc - 0.02,
    "time/generate": 3 + s,
    "time/reward": 0.001,
    "time/update": 3,
  };
}

/** Writes a fixture run into `dir`; returns the rows written. */
export async function writeFixtureRun(dir: string, o: FixtureOptions): Promise<{ metrics: Record<string, number>[]; completions: Record<string, unknown>[] }> {
  await mkdir(dir, { recursive: true });
  const seed = o.seed ?? 0;
  await writeFile(join(dir, "config.json"), JSON.stringify({ seed, maxSteps: o.steps, promptsPerStep: 32, numGenerations: 8, logCompletionsSteps: o.completionsEvery ?? 5 }));
  const metrics = Array.from({ length: o.steps }, (_, i) => fixtureMetrics(i + 1, seed));
  await writeFile(join(dir, "metrics.jsonl"), metrics.map((m) => JSON.stringify(m)).join("\n") + "\n" + (o.junk ?? ""));
  const evals = [
    { step: 0, label: "before RL", "eval/pass@1": 0.2 + 0.05 * seed, "eval/cons@4": 0.25 },
    { step: o.steps, label: "after RL", "eval/pass@1": 0.45 + 0.05 * seed, "eval/cons@4": 0.5 },
  ];
  await writeFile(join(dir, "evals.jsonl"), evals.map((m) => JSON.stringify(m)).join("\n") + "\n");
  const completions: Record<string, unknown>[] = [];
  const every = o.completionsEvery ?? 5;
  for (let step = every; step <= o.steps; step += every) {
    for (const [g, prompt] of ["3247-904", `${100 + step}+${7 * step}`].entries()) {
      for (let k = 0; k < 8; k++) {
        const correct = (k + step + g) % 3 === 0;
        const hostile = o.hostile && g === 0 && k < HOSTILE_COMPLETIONS.length ? HOSTILE_COMPLETIONS[k]! : null;
        completions.push({
          step,
          prompt,
          completion: hostile ?? `<think>7-4=3,14-0=4,${10 + k}-9=${1 + k}</think><answer>${correct ? 2343 : 2143 + k}</answer>`,
          gold: g === 0 ? "2343" : String(100 + step + 7 * step),
          reward: correct ? 1.1 : 0.1,
          rewards: { accuracy: correct ? 1 : 0, format: 1 },
          advantage: correct ? 1.2 : -0.6,
          finishReason: k === 7 ? "length" : "stop",
        });
      }
    }
  }
  await writeFile(join(dir, "completions.jsonl"), completions.map((m) => JSON.stringify(m)).join("\n") + "\n");
  return { metrics, completions };
}
