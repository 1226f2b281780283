/**
 * A built-in task as a prompt source (browser-safe; `source.ts` adds files and mixes, which need Node): an endless
 * seeded training stream and a disjoint held-out set.
 */
import { Rng } from "../core/rng.js";
import type { PromptItem, PromptSource } from "./source.js";
import { getTask, heldOutSet, HELD_OUT_SEED, trainStream, type Problem } from "./tasks/index.js";

export { HELD_OUT_SEED };

/**
 * The built-in task `name` as a source: `numEval` held-out problems, training problems drawn with `seed`.
 * @throws ConfigError for an unknown task name
 */
export function taskSource(name: string, numEval: number, seed: number): PromptSource {
  const task = getTask(name);
  const { problems, keys } = heldOutSet(task, numEval, HELD_OUT_SEED);
  const rng = new Rng(seed);
  const draw = trainStream(task, rng, keys);
  const toItem = (p: Problem): PromptItem => ({
    key: p.key,
    question: p.prompt,
    columns: p.columns,
    solution: p.solution,
    ...(p.checkedSolution === undefined ? {} : { checkedSolution: p.checkedSolution }),
    difficulty: p.difficulty,
  });
  return {
    name,
    heldOut: problems.map(toItem),
    next: () => toItem(draw()),
    getState: () => rng.getState(),
    setState: (s) => rng.setState(s as number[]),
  };
}
