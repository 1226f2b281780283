/**
 * Evaluation problems: from dataset files (JSONL or Parquet) in the common layouts, or from a training prompt source
 * (`fromPromptItems`: built-in tasks' held-out sets, a training file's held-out rows).
 *
 * | layout   | question field                    | gold answer                                    | e.g.                      |
 * |----------|-----------------------------------|------------------------------------------------|---------------------------|
 * | `gsm8k`  | `question`                        | text after the last `####` of `answer`         | openai/gsm8k              |
 * | `math`   | `problem`                         | last `\boxed{…}` of `solution`                 | MATH, MATH-500            |
 * | `aime`   | `problem` (or `question`)         | `answer`, an integer (number or digit string)  | AIME 2024/2025            |
 * | `fields` | `question`, `problem` or `prompt` | `answer` as written (string or number)         | any, `thinkrl train` rows |
 *
 * `auto` (the default) picks the layout from the first row. `questionField` / `answerField` override a layout's
 * field names.
 */
import { DatasetError } from "../core/errors.js";
import { readRecords, type LocatedRecord } from "../data/formats/records.js";
import type { PromptItem } from "../data/source.js";
import { findMathAnswer } from "../reward/math/extract.js";

export type BenchmarkLayout = "gsm8k" | "math" | "aime" | "fields";
export const BENCHMARK_LAYOUTS: readonly (BenchmarkLayout | "auto")[] = ["auto", "gsm8k", "math", "aime", "fields"];

/** One evaluation problem. */
export interface EvalProblem {
  /** `id` / `unique_id` field, else `row-<n>` (1-based). */
  id: string;
  question: string;
  /** The gold final answer; null when the problem is judged from `columns` (built-in tasks). */
  gold: string | null;
  /** Columns for reward-based judges (built-in tasks: `task`, `target`, `nums`). */
  columns: Record<string, unknown>;
}

export interface BenchmarkReadOptions {
  layout?: BenchmarkLayout | "auto";
  questionField?: string;
  answerField?: string;
  /** Read at most this many rows (from the top). */
  limit?: number;
}

interface LayoutSpec {
  question: readonly string[];
  answer: readonly string[];
  /** Gold answer from the answer field's value, or an error message. */
  gold(v: unknown): string | { error: string };
}

const asText = (v: unknown): string | null => (typeof v === "string" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : null);

const LAYOUTS: Record<BenchmarkLayout, LayoutSpec> = {
  gsm8k: {
    question: ["question"],
    answer: ["answer"],
    gold(v) {
      const s = asText(v);
      const at = s?.lastIndexOf("####") ?? -1;
      if (s === null || at < 0) return { error: "has no '####' final answer" };
      const g = s.slice(at + 4).trim();
      return g === "" ? { error: "has an empty answer after '####'" } : g;
    },
  },
  math: {
    question: ["problem"],
    answer: ["solution"],
    gold(v) {
      const s = asText(v);
      return (s !== null ? findMathAnswer(s, { priority: ["boxed"] })?.answer : undefined) ?? { error: "has no \\boxed{} answer" };
    },
  },
  aime: {
    question: ["problem", "question"],
    answer: ["answer"],
    gold(v) {
      const s = asText(v)?.trim() ?? "";
      return /^[-+]?\d+$/.test(s) ? String(Number(s)) : { error: `is not an integer (got ${JSON.stringify(v)})` };
    },
  },
  fields: {
    question: ["question", "problem", "prompt"],
    answer: ["answer"],
    gold(v) {
      const s = asText(v);
      return s === null || s.trim() === "" ? { error: "must be a non-empty string or a number" } : s.trim();
    },
  },
};

/** Layout of a dataset judged from its first row (see the module comment). */
export function detectLayout(first: Record<string, unknown>): BenchmarkLayout {
  if (typeof first.answer === "string" && first.answer.includes("####")) return "gsm8k";
  if (typeof first.problem === "string" && typeof first.solution === "string" && first.answer === undefined) return "math";
  if (typeof first.problem === "string" && /^\s*[-+]?\d+\s*$/.test(asText(first.answer) ?? "")) return "aime";
  return "fields";
}

/**
 * Problems from located records.
 * @throws DatasetError naming `file:row` and the field when a question or gold answer is missing or malformed
 */
export function toProblems(records: LocatedRecord[], o: BenchmarkReadOptions = {}): { layout: BenchmarkLayout; problems: EvalProblem[] } {
  if (records.length === 0) return { layout: "fields", problems: [] };
  const layout = o.layout === undefined || o.layout === "auto" ? detectLayout(records[0]!.value) : o.layout;
  const spec = LAYOUTS[layout];
  if (spec === undefined) throw new DatasetError(`unknown benchmark layout "${String(layout)}"`, { hint: `use one of ${BENCHMARK_LAYOUTS.join(", ")}` });
  const qFields = o.questionField ? [o.questionField] : spec.question;
  const aFields = o.answerField ? [o.answerField] : spec.answer;
  const rows = o.limit !== undefined ? records.slice(0, o.limit) : records;
  const problems = rows.map(({ where, value }, i) => {
    const qf = qFields.find((f) => value[f] !== undefined) ?? qFields[0]!;
    const question = value[qf];
    if (typeof question !== "string" || question.trim() === "") {
      throw new DatasetError(`${where}: question field '${qf}' must be a non-empty string (layout ${layout})`, { hint: "set --question-field" });
    }
    const af = aFields.find((f) => value[f] !== undefined) ?? aFields[0]!;
    if (value[af] === undefined) throw new DatasetError(`${where}: answer field '${af}' is missing (layout ${layout})`, { hint: "set --answer-field or --layout" });
    const gold = spec.gold(value[af]);
    if (typeof gold !== "string") throw new DatasetError(`${where}: answer field '${af}' ${gold.error} (layout ${layout})`);
    const id = asText(value.id) ?? asText(value.unique_id) ?? `row-${i + 1}`;
    return { id, question, gold, columns: { answer: gold } };
  });
  return { layout, problems };
}

/** Reads a `.jsonl` / `.parquet` benchmark file. @throws DatasetError (file:row) for bad files or rows */
export async function loadBenchmark(path: string, o: BenchmarkReadOptions = {}): Promise<{ layout: BenchmarkLayout; problems: EvalProblem[] }> {
  return toProblems(await readRecords(path), o);
}

/**
 * Problems from a prompt source's items (e.g. `openPromptSource(…).heldOut`), judged by their columns
 * (`accuracyJudge`); the gold answer shown in results is the `target` or `answer` column, else (classification
 * tasks such as `t2-classify`) the `category` column.
 */
export function fromPromptItems(items: readonly PromptItem[]): EvalProblem[] {
  return items.map((p) => {
    const g = p.columns.target ?? p.columns.answer ?? p.columns.category;
    return { id: p.key, question: p.question, gold: g === undefined || g === null ? null : String(g), columns: p.columns };
  });
}
