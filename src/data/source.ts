/**
 * Where prompts come from during a run: a built-in task (endless generated stream + a disjoint held-out set) or a
 * user's JSONL file (shuffled epochs; a seeded slice held out for evaluation). Both expose a resumable cursor.
 */
import { ConfigError } from "../core/errors.js";
import { loadJsonlDataset } from "./dataset.js";
import { Rng } from "../core/rng.js";
import { TASK_NAMES } from "./tasks/index.js";
import { HELD_OUT_SEED, taskSource } from "./task-source.js";

export interface PromptItem {
  /** Identifies the problem (held-out keys never appear in training). */
  key: string;
  /** The question text (before the prompt template). */
  question: string;
  /** Columns passed to the rewards (e.g. `task`, `target`, `nums`, `answer`). */
  columns: Record<string, unknown>;
  /** A worked solution in the completion format, when the source can make one (built-in tasks). */
  solution?: string;
  /** The worked solution plus a check that does real work (`Problem.checkedSolution`), for long-CoT data. */
  checkedSolution?: string;
  /** The built-in task's own difficulty measure (higher = harder), for curriculum sampling. */
  difficulty?: number;
}

export interface PromptSource {
  readonly name: string;
  /** Held-out problems for evaluation; never returned by `next()`. */
  readonly heldOut: PromptItem[];
  /** Next training problem. */
  next(): PromptItem;
  /** Resumable cursor (JSON-serialisable). */
  getState(): unknown;
  setState(state: unknown): void;
  /** Training problems of a finite source (a dataset's training rows); undefined for an endless generator. */
  readonly size?: number;
  /** Called at the start of every training step (1-based); schedules such as a curriculum follow it. */
  beginStep?(step: number): void;
  /** The step's outcome per problem drawn (prioritized sampling learns from it). */
  observe?(outcomes: readonly { key: string; tries: number; successes: number }[]): void;
  /** Extra metrics of the source for the step row (`sampling/*`). */
  metrics?(): Record<string, number>;
}

/**
 * @param dataset built-in task name, a mix of built-in tasks (`arithmetic,countdown`, optionally weighted:
 *   `arithmetic:3,countdown:1`; see `mixSource`), or path to a `.jsonl` file
 * @param numEval held-out problems to return (per task for a mix)
 * @throws ConfigError for an unknown task name or a bad mix, DatasetError for a bad file
 */
export async function openPromptSource(dataset: string, numEval: number, seed: number): Promise<PromptSource> {
  if ((TASK_NAMES as string[]).includes(dataset)) return taskSource(dataset, numEval, seed);
  if (!/\.jsonl?$/i.test(dataset) && /[,:]/.test(dataset)) return mixSource(parseTaskMix(dataset), numEval, seed);
  if (!/\.jsonl?$/i.test(dataset)) {
    throw new ConfigError(`unknown dataset "${dataset}"`, { hint: `use a built-in task (${TASK_NAMES.join(", ")}) or a .jsonl file` });
  }
  return jsonlSource(dataset, numEval, seed);
}

/** One task of a mix and its integer share of the draws. */
export interface TaskShare {
  task: string;
  weight: number;
}

/**
 * Parses `arithmetic,countdown` (equal shares) or `arithmetic:3,countdown:1` (integer weights).
 * @throws ConfigError naming the bad entry (unknown task, duplicate, weight not a positive integer)
 */
export function parseTaskMix(spec: string): TaskShare[] {
  const shares = spec.split(",").map((part) => {
    const [task = "", w, ...extra] = part.trim().split(":");
    const weight = w === undefined ? 1 : Number(w);
    if (!(TASK_NAMES as string[]).includes(task)) {
      throw new ConfigError(`unknown task "${task}" in the task mix "${spec}"`, { hint: `built-in tasks: ${TASK_NAMES.join(", ")}; a mix cannot include files` });
    }
    if (extra.length > 0 || !Number.isInteger(weight) || weight < 1) {
      throw new ConfigError(`task mix "${spec}": weight of ${task} must be an integer ≥ 1 (got "${part.trim()}")`);
    }
    return { task, weight };
  });
  const names = shares.map((s) => s.task);
  if (new Set(names).size !== names.length) throw new ConfigError(`task mix "${spec}" names a task twice`);
  return shares;
}

/**
 * Draw order of one cycle of a weighted mix: smooth weighted round-robin (as in nginx), so weights 3:1 give
 * a,a,b,a rather than a,a,a,b, and equal weights give plain round-robin. Deterministic: no RNG.
 */
export function mixSchedule(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const order: number[] = [];
  for (let k = 0; k < total; k++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    order.push(best);
  }
  return order;
}

/**
 * Several built-in tasks as one source (DeepSeek-R1 §2.3.4, "RL for all scenarios", on the tasks we have): each task
 * keeps its own training stream and held-out pool exactly as when used alone (same seeds), training draws follow
 * `mixSchedule`, and the held-out set is the tasks' held-out sets (`numEval` each) concatenated in the given order.
 */
function mixSource(shares: TaskShare[], numEval: number, seed: number): PromptSource {
  const parts = shares.map((s) => taskSource(s.task, numEval, seed));
  const order = mixSchedule(shares.map((s) => s.weight));
  let draws = 0;
  return {
    name: shares.map((s) => (s.weight === 1 ? s.task : `${s.task}:${s.weight}`)).join(","),
    heldOut: parts.flatMap((p) => p.heldOut),
    next: () => parts[order[draws++ % order.length]!]!.next(),
    getState: () => ({ draws, tasks: parts.map((p) => p.getState()) }),
    setState(s) {
      const st = s as { draws: number; tasks: unknown[] };
      draws = st.draws;
      parts.forEach((p, i) => p.setState(st.tasks[i]));
    },
  };
}

async function jsonlSource(path: string, numEval: number, seed: number): Promise<PromptSource> {
  const rows = await loadJsonlDataset(path);
  const order = new Rng(seed + HELD_OUT_SEED).shuffle(rows.map((_, i) => i));
  const nEval = Math.min(numEval, Math.floor(rows.length / 5));
  const evalIdx = order.slice(0, nEval);
  const trainIdx = order.slice(nEval);
  if (trainIdx.length === 0) throw new ConfigError(`${path}: no training rows left after holding out ${nEval} for evaluation`);
  const item = (i: number): PromptItem => ({ key: `row:${i}`, question: rows[i]!.prompt, columns: rows[i]!.columns });
  let state = { epoch: 0, cursor: 0 };
  let perm = new Rng(seed).shuffle(trainIdx);
  const reshuffle = () => {
    perm = new Rng(seed + state.epoch).shuffle(trainIdx);
  };
  return {
    name: path,
    size: trainIdx.length,
    heldOut: evalIdx.map(item),
    next() {
      if (state.cursor >= perm.length) {
        state = { epoch: state.epoch + 1, cursor: 0 };
        reshuffle();
      }
      return item(perm[state.cursor++]!);
    },
    getState: () => ({ ...state }),
    setState(s) {
      state = { ...(s as typeof state) };
      reshuffle();
    },
  };
}
