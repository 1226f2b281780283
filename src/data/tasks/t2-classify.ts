/**
 * `t2-classify`: the classification expert's task of Transformer² self-adaptation (§3.2, strategy (b)) — the first
 * pass's prompt (`classificationPrompt`) over a query of one of the seen tasks (drawn uniformly), with the worked
 * completion `<think>{a short reason}</think><answer>\boxed{category}</answer>`. The accuracy reward scores 1
 * exactly when `parseCategory` of the completion is the query's category, so `thinkrl train --dataset t2-classify
 * --adapter svf` trains the classification expert by the ordinary RL path.
 *
 * Queries held out by the seen tasks (their `HELD_OUT_POOL` keys at `HELD_OUT_SEED`, where `thinkrl train/eval`
 * draw them) are never used, so classification accuracy on the seen tasks' held-out queries is measured on
 * queries the classifier never saw in training — in any wording.
 */
import type { Rng } from "../../core/rng.js";
import { classificationPrompt } from "../classify.js";
import { heldOutSet, HELD_OUT_SEED } from "./split.js";
import { T2_CATEGORIES, t2ArithmeticTask, t2SearchTask, t2SequenceTask, type T2Category } from "./t2-seen.js";
import type { Problem, Task } from "./types.js";

/** The short reason the worked classification gives per category (inside `<think>`). */
const REASONS: Readonly<Record<T2Category, string>> = { arithmetic: "add or subtract", search: "reach a target", sequence: "next term" };

/** The `t2-classify` problem of a seen task's problem `p` (its `columns.category` is the label). */
export function classificationProblem(p: Problem): Problem {
  const category = p.columns.category as T2Category;
  return {
    key: `t2-classify:${p.key}`,
    prompt: classificationPrompt(p.prompt, T2_CATEGORIES),
    solution: `<think>${REASONS[category]}</think><answer>\\boxed{${category}}</answer>`,
    columns: { task: "t2-classify", category, categories: [...T2_CATEGORIES], query: p.prompt },
    difficulty: 1,
  };
}

/** `t2-classify`: classification prompts over the seen tasks' non-held-out queries. */
export function t2ClassifyTask(): Task {
  const seen = [t2ArithmeticTask(), t2SearchTask(), t2SequenceTask()];
  let excluded: Set<string> | null = null; // built on first use (three held-out pools of 512 problems)
  return {
    name: "t2-classify",
    sample(rng: Rng): Problem {
      excluded ??= new Set(seen.flatMap((t) => [...heldOutSet(t, 0, HELD_OUT_SEED).keys]));
      for (;;) {
        const p = rng.choice(seen).sample(rng);
        if (!excluded.has(p.key)) return classificationProblem(p);
      }
    },
  };
}
