/** Built-in tasks (generated from a seed), the task registry and the held-out/train split. */
import { ConfigError } from "../../core/errors.js";
import { arithmeticTask, type ArithmeticOptions } from "./arithmetic.js";
import { countdownTask, type CountdownOptions } from "./countdown.js";
import { multiplicationTask, type MultiplicationOptions } from "./multiplication.js";
import { t2ClassifyTask } from "./t2-classify.js";
import { t2ArithmeticTask, t2SearchHardTask, t2SearchTask, t2SequenceTask } from "./t2-seen.js";
import { t2ComposedTask, t2Sum3Task } from "./t2-unseen.js";
import type { Task, TaskName } from "./types.js";

export type { Problem, Task, TaskName } from "./types.js";
export { arithmeticTask, arithmeticProblem, ARITHMETIC_DEFAULTS, type ArithmeticOptions, type ArithmeticOp } from "./arithmetic.js";
export { countdownTask, countdownKey, COUNTDOWN_DEFAULTS, type CountdownOptions } from "./countdown.js";
export { multiplicationTask, multiplicationProblem, MULTIPLICATION_DEFAULTS, type MultiplicationOptions } from "./multiplication.js";
export { heldOutSet, trainStream, HELD_OUT_POOL, HELD_OUT_SEED } from "./split.js";
export { T2_CATEGORIES, type T2Category, t2ArithmeticTask, t2SearchTask, t2SequenceTask, t2SearchHardTask } from "./t2-seen.js";
export { t2Sum3Task, t2ComposedTask } from "./t2-unseen.js";
export { t2ClassifyTask, classificationProblem } from "./t2-classify.js";

/** The Transformer² seen tasks (one expert each; `columns.category` in `T2_CATEGORIES` order). */
export const T2_SEEN_TASKS = ["t2-arithmetic", "t2-search", "t2-sequence"] as const satisfies readonly TaskName[];
/** The Transformer² unseen tasks (never in the T2 model's cold start). */
export const T2_UNSEEN_TASKS = ["t2-sum3", "t2-composed", "t2-search-hard"] as const satisfies readonly TaskName[];

/** Options of every built-in task; each task reads only its own fields. */
export type TaskOptions = Partial<ArithmeticOptions> & Partial<CountdownOptions> & Partial<MultiplicationOptions>;

const TASKS = {
  arithmetic: (o: TaskOptions) => arithmeticTask({ minDigits: o.minDigits, maxDigits: o.maxDigits, ops: o.ops, mulMaxDigits: o.mulMaxDigits }),
  countdown: (o: TaskOptions) => countdownTask({ n: o.n, nmax: o.nmax, tmax: o.tmax }),
  multiplication: (o: TaskOptions) => multiplicationTask({ aMaxDigits: o.aMaxDigits, bDigitWeights: o.bDigitWeights }),
  "t2-arithmetic": () => t2ArithmeticTask(),
  "t2-search": () => t2SearchTask(),
  "t2-sequence": () => t2SequenceTask(),
  "t2-classify": () => t2ClassifyTask(),
  "t2-sum3": () => t2Sum3Task(),
  "t2-composed": () => t2ComposedTask(),
  "t2-search-hard": () => t2SearchHardTask(),
} satisfies Record<TaskName, (o: TaskOptions) => Task>;

/** Valid task names, in registry order. */
export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

/** Build a built-in task by name. Unknown name or invalid options → ConfigError. */
export function getTask(name: string, opts: TaskOptions = {}): Task {
  if (!Object.hasOwn(TASKS, name)) {
    throw new ConfigError(`unknown task '${name}' (valid: ${TASK_NAMES.join(", ")})`);
  }
  return TASKS[name as TaskName](opts);
}
