/**
 * Where prompts come from during a run: a built-in task (endless generated stream + a disjoint held-out set) or a
 * user's JSONL file (shuffled epochs; a seeded slice held out for evaluation). Both expose a resumable cursor.
 */
import { ConfigError } from "../errors.js";
import { loadJsonlDataset } from "./dataset.js";
import { Rng } from "./rng.js";
import { getTask, heldOutSet, trainStream, TASK_NAMES } from "./tasks/index.js";

export interface PromptItem {
  /** Identifies the problem (held-out keys never appear in training). */
  key: string;
  /** The question text (before the prompt template). */
  question: string;
  /** Columns passed to the rewards (e.g. `task`, `target`, `nums`, `answer`). */
  columns: Record<string, unknown>;
  /** A worked solution in the completion format, when the source can make one (built-in tasks). */
  solution?: string;
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
}

/** Seed offset of the held-out pool, so the evaluation set does not depend on the training seed's stream. */
const HELD_OUT_SEED = 10_000;

/**
 * @param dataset built-in task name or path to a `.jsonl` file
 * @param numEval held-out problems to return
 * @throws ConfigError for an unknown task name, DatasetError for a bad file
 */
export async function openPromptSource(dataset: string, numEval: number, seed: number): Promise<PromptSource> {
  if ((TASK_NAMES as string[]).includes(dataset)) return taskSource(dataset, numEval, seed);
  if (!/\.jsonl?$/i.test(dataset)) {
    throw new ConfigError(`unknown dataset "${dataset}"`, { hint: `use a built-in task (${TASK_NAMES.join(", ")}) or a .jsonl file` });
  }
  return jsonlSource(dataset, numEval, seed);
}

function taskSource(name: string, numEval: number, seed: number): PromptSource {
  const task = getTask(name);
  const { problems, keys } = heldOutSet(task, numEval, HELD_OUT_SEED);
  const rng = new Rng(seed);
  const draw = trainStream(task, rng, keys);
  const toItem = (p: { key: string; prompt: string; solution: string; columns: Record<string, unknown> }): PromptItem => ({
    key: p.key,
    question: p.prompt,
    columns: p.columns,
    solution: p.solution,
  });
  return {
    name,
    heldOut: problems.map(toItem),
    next: () => toItem(draw()),
    getState: () => rng.getState(),
    setState: (s) => rng.setState(s as number[]),
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
