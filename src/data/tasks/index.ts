/** Built-in tasks (generated from a seed), the task registry and the held-out/train split. */
import { ConfigError } from "../../core/errors.js";
import { arithmeticTask, type ArithmeticOptions } from "./arithmetic.js";
import { countdownTask, type CountdownOptions } from "./countdown.js";
import { multiplicationTask, type MultiplicationOptions } from "./multiplication.js";
import type { Task, TaskName } from "./types.js";

export type { Problem, Task, TaskName } from "./types.js";
export { arithmeticTask, arithmeticProblem, ARITHMETIC_DEFAULTS, type ArithmeticOptions, type ArithmeticOp } from "./arithmetic.js";
export { countdownTask, countdownKey, COUNTDOWN_DEFAULTS, type CountdownOptions } from "./countdown.js";
export { multiplicationTask, multiplicationProblem, MULTIPLICATION_DEFAULTS, type MultiplicationOptions } from "./multiplication.js";
export { heldOutSet, trainStream, HELD_OUT_POOL } from "./split.js";

/** Options of every built-in task; each task reads only its own fields. */
export type TaskOptions = Partial<ArithmeticOptions> & Partial<CountdownOptions> & Partial<MultiplicationOptions>;

const TASKS = {
  arithmetic: (o: TaskOptions) => arithmeticTask({ minDigits: o.minDigits, maxDigits: o.maxDigits, ops: o.ops, mulMaxDigits: o.mulMaxDigits }),
  countdown: (o: TaskOptions) => countdownTask({ n: o.n, nmax: o.nmax, tmax: o.tmax }),
  multiplication: (o: TaskOptions) => multiplicationTask({ aMaxDigits: o.aMaxDigits, bDigitWeights: o.bDigitWeights }),
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
