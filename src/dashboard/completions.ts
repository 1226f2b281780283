/**
 * The completions browser's queries over `completions.jsonl` rows (browser-safe): which steps have rows, a step's rows
 * filtered to correct / wrong / truncated and paged, and one prompt's completions across steps (to compare the same
 * question's answers as training goes). Rows are untrusted model output: this module only selects them; the page
 * renders every field as text.
 */

/** A `completions.jsonl` row as the trainers write it (`train/grpo.ts` `CompletionSample` plus `step`). */
export interface CompletionRow {
  step: number;
  prompt: string;
  completion: string;
  gold?: string | null;
  reward?: number | null;
  rewards?: Record<string, number | null>;
  advantage?: number;
  /** `stop` / `length` (truncated) / …, when the trainer recorded it. */
  finishReason?: string;
  /** Probe rows (a fixed held-out prompt set sampled every logged step) carry `probe: true`. */
  probe?: boolean;
}

export type CompletionFilter = "all" | "correct" | "wrong" | "truncated";
export const COMPLETION_FILTERS: readonly CompletionFilter[] = ["all", "correct", "wrong", "truncated"];

/** Reward functions whose score ≥ 1 means a correct answer, in order of preference. */
const CORRECTNESS_REWARDS = ["accuracy", "math_accuracy", "code"];

/** Whether the row's answer was judged correct (null when no correctness reward scored it). */
export function isCorrect(r: CompletionRow): boolean | null {
  for (const name of CORRECTNESS_REWARDS) {
    const v = r.rewards?.[name];
    if (typeof v === "number") return v >= 1;
  }
  return null;
}

/** Whether the completion hit the length limit. */
export function isTruncated(r: CompletionRow): boolean {
  return r.finishReason === "length";
}

/** Whether `r` passes `filter`. */
export function passes(r: CompletionRow, filter: CompletionFilter): boolean {
  if (filter === "correct") return isCorrect(r) === true;
  if (filter === "wrong") return isCorrect(r) === false;
  if (filter === "truncated") return isTruncated(r);
  return true;
}

export interface CompletionQuery {
  /** Only this step (default: every step). */
  step?: number;
  filter?: CompletionFilter;
  /** Only rows of this exact prompt. */
  prompt?: string;
  /** Only probe rows (true) or only training rows (false). */
  probe?: boolean;
  offset?: number;
  /** Page size (default 50, at most `MAX_PAGE`). */
  limit?: number;
}

export const MAX_PAGE = 500;

export interface CompletionPage {
  /** Matching rows before paging. */
  total: number;
  offset: number;
  rows: CompletionRow[];
}

/** The page of rows matching `q`. */
export function queryCompletions(rows: readonly CompletionRow[], q: CompletionQuery): CompletionPage {
  const filter = q.filter ?? "all";
  const match = rows.filter(
    (r) => (q.step === undefined || r.step === q.step) && (q.prompt === undefined || r.prompt === q.prompt) && (q.probe === undefined || (r.probe === true) === q.probe) && passes(r, filter),
  );
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(q.limit ?? 50)));
  return { total: match.length, offset, rows: match.slice(offset, offset + limit) };
}

/** The steps that have rows, ascending, with their row counts. */
export function completionSteps(rows: readonly CompletionRow[]): { step: number; rows: number }[] {
  const m = new Map<number, number>();
  for (const r of rows) m.set(r.step, (m.get(r.step) ?? 0) + 1);
  return [...m].sort((a, b) => a[0] - b[0]).map(([step, n]) => ({ step, rows: n }));
}

/**
 * Prompts that were sampled at more than one step (the probe set's prompts first), for the side-by-side view.
 * @returns each prompt with the steps it appears at
 */
export function repeatedPrompts(rows: readonly CompletionRow[], max = 50): { prompt: string; probe: boolean; steps: number[] }[] {
  const m = new Map<string, { probe: boolean; steps: Set<number> }>();
  for (const r of rows) {
    const e = m.get(r.prompt) ?? { probe: false, steps: new Set<number>() };
    e.steps.add(r.step);
    e.probe ||= r.probe === true;
    m.set(r.prompt, e);
  }
  return [...m]
    .filter(([, e]) => e.steps.size > 1)
    .map(([prompt, e]) => ({ prompt, probe: e.probe, steps: [...e.steps].sort((a, b) => a - b) }))
    .sort((a, b) => Number(b.probe) - Number(a.probe) || b.steps.length - a.steps.length)
    .slice(0, max);
}

/**
 * At most `maxBytes` of rows (JSON size) for an exported report, the latest steps kept whole: rows of the newest
 * steps first until the next step would not fit.
 * @returns the kept rows (in their original order) and how many were left out
 */
export function capCompletions(rows: readonly CompletionRow[], maxBytes: number): { rows: CompletionRow[]; omitted: number } {
  const bySteps = completionSteps(rows).map((s) => s.step).reverse();
  const keep = new Set<number>();
  let bytes = 0;
  for (const step of bySteps) {
    const size = rows.filter((r) => r.step === step).reduce((n, r) => n + JSON.stringify(r).length + 1, 0);
    if (bytes + size > maxBytes) break;
    bytes += size;
    keep.add(step);
  }
  const kept = rows.filter((r) => keep.has(r.step));
  return { rows: kept, omitted: rows.length - kept.length };
}
