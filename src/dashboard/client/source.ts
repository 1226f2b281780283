/**
 * Where the page's data comes from: the dashboard server's JSON API (live: polled), or the data inlined in an
 * exported report (a snapshot). Both answer the same questions, with the same query code (`../completions.ts`).
 */
import { completionSteps, queryCompletions, repeatedPrompts, type CompletionPage, type CompletionQuery, type CompletionRow } from "../completions.js";
import type { ReportData } from "../export.js";
import type { RunInfo } from "../run-reader.js";

export type Row = Record<string, unknown>;

export interface CompletionIndex {
  steps: { step: number; rows: number }[];
  repeated: { prompt: string; probe: boolean; steps: number[] }[];
}

export interface DataSource {
  /** True when the runs may still grow (the page polls). */
  readonly live: boolean;
  /** When the snapshot was taken (exported reports). */
  readonly exportedAt?: string;
  runs(): Promise<RunInfo[]>;
  rows(run: number, file: "metrics" | "evals", from: number): Promise<{ generation: number; rows: Row[] }>;
  completions(run: number, q: CompletionQuery): Promise<CompletionPage>;
  completionIndex(run: number): Promise<CompletionIndex>;
  /** Completion rows an export left out (0 when live). */
  omittedCompletions(run: number): number;
}

async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

/** The dashboard server's API (same origin). */
export class HttpSource implements DataSource {
  readonly live = true;
  async runs(): Promise<RunInfo[]> {
    return (await getJson<{ runs: RunInfo[] }>("/api/runs")).runs;
  }
  rows(run: number, file: "metrics" | "evals", from: number): Promise<{ generation: number; rows: Row[] }> {
    return getJson(`/api/runs/${run}/rows?file=${file}&from=${from}`);
  }
  completions(run: number, q: CompletionQuery): Promise<CompletionPage> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    return getJson(`/api/runs/${run}/completions?${p}`);
  }
  completionIndex(run: number): Promise<CompletionIndex> {
    return getJson(`/api/runs/${run}/completion-index`);
  }
  omittedCompletions(): number {
    return 0;
  }
}

/** An exported report's inlined data. */
export class InlineSource implements DataSource {
  readonly live = false;
  readonly exportedAt: string;
  constructor(private readonly data: ReportData) {
    this.exportedAt = data.exportedAt;
  }
  async runs(): Promise<RunInfo[]> {
    return this.data.runs.map((r) => r.info);
  }
  async rows(run: number, file: "metrics" | "evals", from: number): Promise<{ generation: number; rows: Row[] }> {
    const r = this.data.runs[run]!;
    return { generation: r.info.files[file === "metrics" ? "metrics.jsonl" : "evals.jsonl"].generation, rows: (file === "metrics" ? r.metrics : r.evals).slice(from) };
  }
  async completions(run: number, q: CompletionQuery): Promise<CompletionPage> {
    return queryCompletions(this.data.runs[run]!.completions, q);
  }
  async completionIndex(run: number): Promise<CompletionIndex> {
    const rows: CompletionRow[] = this.data.runs[run]!.completions;
    return { steps: completionSteps(rows), repeated: repeatedPrompts(rows) };
  }
  omittedCompletions(run: number): number {
    return this.data.runs[run]!.omittedCompletions;
  }
}
