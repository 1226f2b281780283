/**
 * The shared training loop with a scripted trainer (no engine): step, evaluation and checkpoint schedule, the files
 * it writes, callback order, persistent vs live lines, interruption, and the learning-signal warnings.
 */
import { describe, expect, test } from "vitest";
import { learningSignalWatch, recordEvaluation, trainLoop, type RunFiles, type TrainerCallback } from "../../src/train/loop.js";

function memFiles(): RunFiles & { data: Record<string, string> } {
  const data: Record<string, string> = {};
  return {
    data,
    append: async (n, t) => void (data[n] = (data[n] ?? "") + t),
    write: async (n, t) => void (data[n] = t),
  };
}
const rows = (text: string | undefined) => (text ?? "").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const lines = () => {
  const info: string[] = [];
  const progress: string[] = [];
  return { info, progress, log: { info: (m: string) => info.push(m), progress: (m: string) => progress.push(m) } };
};

describe("trainLoop", () => {
  test("runs startStep+1…maxSteps with the eval, save, completions and logging schedules", async () => {
    const files = memFiles();
    const events: string[] = [];
    const cb: TrainerCallback = {
      onStepEnd: (e) => void events.push(`step ${e.step}`),
      onEvaluate: (e) => void events.push(`eval ${e.step}`),
      onSave: (e) => void events.push(`save ${e.step} ${e.dir}`),
      onTrainEnd: (e) => void events.push(`end ${e.step} ${e.interrupted}`),
    };
    const saved: { step: number; state: Record<string, unknown> }[] = [];
    const { info, progress, log } = lines();
    const r = await trainLoop({
      trainer: { step: async (s) => ({ metrics: { step: s, loss: s / 10 }, samples: [{ text: `c${s}` }] }), state: () => ({ cursor: 7 }) },
      files,
      log,
      maxSteps: 7,
      startStep: 1,
      saveSteps: 3,
      save: async (step, state) => (saved.push({ step, state }), `ck-${step}`),
      evalSteps: 2,
      evaluate: async (s) => ({ "eval/x": s * 100 }),
      logCompletionsSteps: 4,
      loggingSteps: 5,
      describe: (m) => `loss ${m.loss}`,
      callbacks: [cb],
      resumed: { seconds: 100 },
    });
    expect(r).toMatchObject({ step: 7, interrupted: false, lastCheckpoint: "ck-7" });
    expect(r.seconds).toBeGreaterThanOrEqual(100);
    expect(rows(files.data["metrics.jsonl"]).map((m) => m.step)).toEqual([2, 3, 4, 5, 6, 7]);
    // Evaluations at steps 2, 4, 6 (not the last: evalAtLastStep is off), merged into the row and in evals.jsonl.
    expect(rows(files.data["metrics.jsonl"]).filter((m) => "eval/x" in m).map((m) => m.step)).toEqual([2, 4, 6]);
    expect(rows(files.data["evals.jsonl"])).toEqual([2, 4, 6].map((s) => ({ step: s, label: `step ${s}`, "eval/x": s * 100 })));
    // Completions every 4 steps and at the last, so a short run can be browsed too.
    expect(rows(files.data["completions.jsonl"])).toEqual([{ step: 4, text: "c4" }, { step: 7, text: "c7" }]);
    // Checkpoints every 3 steps and at the last, with the trainer's state and the run's seconds.
    expect(saved.map((s) => s.step)).toEqual([3, 6, 7]);
    expect(saved[0]!.state).toMatchObject({ cursor: 7 });
    expect(saved[0]!.state.train_seconds as number).toBeGreaterThanOrEqual(100);
    // Persistent lines: the first step run, every 5th, the last; the others live.
    expect(info.filter((l) => l.startsWith("step")).map((l) => l.split(" ")[1])).toEqual(["2/7", "5/7", "7/7"]);
    expect(progress.map((l) => l.split(" ")[1])).toEqual(["3/7", "4/7", "6/7"]);
    expect(info.some((l) => /^step 7\/7 {2}loss 0\.7 {2}\[.* elapsed, ETA 0s\]$/.test(l))).toBe(true);
    expect(info.filter((l) => l.startsWith("saved"))).toEqual(["saved ck-3", "saved ck-6", "saved ck-7"]);
    expect(events).toEqual(["eval 2", "step 2", "step 3", "save 3 ck-3", "eval 4", "step 4", "step 5", "eval 6", "step 6", "save 6 ck-6", "step 7", "save 7 ck-7", "end 7 false"]);
  });

  test("an abort stops after the current step, which is saved", async () => {
    const stop = new AbortController();
    const saved: number[] = [];
    const r = await trainLoop({
      trainer: { step: async (s) => (s === 2 && stop.abort(), { metrics: { step: s } }), state: () => ({}) },
      files: memFiles(),
      log: lines().log,
      maxSteps: 10,
      startStep: 0,
      saveSteps: 0,
      save: async (s) => (saved.push(s), `ck-${s}`),
      describe: () => "",
      signal: stop.signal,
    });
    expect(r).toMatchObject({ step: 2, interrupted: true, lastCheckpoint: "ck-2" });
    expect(saved).toEqual([2]);
  });

  test("evalAtLastStep evaluates after the last step; recordEvaluation logs outside evaluations", async () => {
    const files = memFiles();
    await trainLoop({
      trainer: { step: async (s) => ({ metrics: { step: s } }), state: () => ({}) },
      files, log: lines().log, maxSteps: 3, startStep: 0, saveSteps: 0, save: async (s) => `ck-${s}`,
      evalSteps: 0, evalAtLastStep: true, evaluate: async () => ({ eval_loss: 1.5 }), describe: () => "",
    });
    const seen: number[] = [];
    await recordEvaluation(files, { step: 3, label: "after RL", metrics: { "eval/pass@1": 0.5 } }, [{ onEvaluate: (e) => void seen.push(e.step) }]);
    expect(rows(files.data["evals.jsonl"])).toEqual([{ step: 3, label: "step 3", eval_loss: 1.5 }, { step: 3, label: "after RL", "eval/pass@1": 0.5 }]);
    expect(seen).toEqual([3]);
  });
});

describe("learningSignalWatch", () => {
  const step = (w: TrainerCallback, m: Record<string, number>) => w.onStepEnd!({ step: 1, maxSteps: 9, metrics: m, samples: [] });

  test("warns once when every completion is truncated or every group is zero-std for 3 steps in a row", () => {
    const { info, log } = lines();
    const w = learningSignalWatch(log, { maxCompletionLength: 48 });
    const dead = { frac_reward_zero_std: 1, "completions/clipped_ratio": 1 };
    step(w, dead);
    step(w, dead);
    expect(info).toEqual([]);
    step(w, dead);
    step(w, dead);
    expect(info).toHaveLength(2);
    expect(info[0]).toMatch(/^warning: every completion of the last 3 steps hit maxCompletionLength 48.*--max-completion-length/);
    expect(info[1]).toMatch(/^warning: no learning signal for 3 steps .*frac_reward_zero_std 100%/);
  });

  test("a step with signal resets the count", () => {
    const { info, log } = lines();
    const w = learningSignalWatch(log, { maxCompletionLength: 48 });
    for (const z of [1, 1, 0.5, 1, 1]) step(w, { frac_reward_zero_std: z, "completions/clipped_ratio": 0 });
    expect(info).toEqual([]);
  });

  test("zero-std groups with a gradient (REINFORCE: r = ±1 without a baseline, or one rollout per prompt) are a signal", () => {
    const { info, log } = lines();
    const w = learningSignalWatch(log, { maxCompletionLength: 48 });
    for (let i = 0; i < 4; i++) step(w, { frac_reward_zero_std: 1, grad_norm: 0.3, "completions/clipped_ratio": 0 });
    expect(info).toEqual([]);
  });
});
