/**
 * Preference pairs for long2short DPO (Kimi k1.5 §2.4): from n samples of each prompt (`thinkrl sample --keep all`),
 * "the shortest correct solution is the positive sample, while longer responses are treated as negative samples,
 * including both wrong longer responses and correct longer responses (1.5 times longer than the chosen positive)".
 *
 * Per prompt:
 * - chosen = the shortest correct sample (correctness reward ≥ 1, readable, scorable); ties → lower sample index;
 * - rejected = every wrong sample longer than the chosen one, and every correct sample at least `longRatio` (1.5) ×
 *   the chosen one's length; a wrong answer no longer than the chosen one is not used (the paper's negatives are
 *   "longer responses"; pairing a short wrong answer would teach correctness, not brevity);
 * - one pair per rejected sample, at most `maxPairsPerPrompt` (default: no cap; n = 8 gives at most 7), longest
 *   rejected first when capped. Every rejected sample is a separate piece of evidence about the same chosen
 *   answer; the cap keeps prompts with many failures from dominating when that matters.
 * Prompts without a correct sample, or without a qualifying rejected one, give no pair.
 *
 * Length is in tokens (`provenance.tokens`) when every sample of the prompt has it, else in characters.
 * Output rows are TRL's preference layout: `prompt`, `chosen`, `rejected` (strings, or for a chat prompt TRL's
 * conversational form: `prompt` the messages before the reply, `chosen`/`rejected` one assistant message each), plus
 * `chosen_length`, `rejected_length`, `rejected_kind` (`wrong` | `long-correct`) and `prompt_key`.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ConfigError, DatasetError } from "../core/errors.js";

/** Kimi k1.5 §2.4: correct answers this many times longer than the chosen one are negatives too. */
export const LONG_CORRECT_RATIO = 1.5;

export interface PairOptions {
  /** Correct answers at least this many times longer than the chosen one are rejected too. Default 1.5. */
  longRatio?: number;
  /** At most this many pairs per prompt (longest rejected first). Default: no cap. */
  maxPairsPerPrompt?: number;
  /** Reward whose score ≥ 1 means correct. Default: the rows' `provenance.correct_reward`, else `accuracy`. */
  correctReward?: string;
}

/** One scored sample, as `sample --keep all` writes it. */
export interface SampleRow {
  prompt: string;
  completion: string;
  messages?: { role: string; content: string }[];
  rewards: Record<string, number | null>;
  provenance: { prompt_key: string; sample_index: number; tokens: number | null; keep?: string; correct_reward?: string; readability?: string | null };
}

export interface PreferencePair {
  prompt: string | { role: string; content: string }[];
  chosen: string | { role: string; content: string }[];
  rejected: string | { role: string; content: string }[];
  chosen_length: number;
  rejected_length: number;
  rejected_kind: "wrong" | "long-correct";
  prompt_key: string;
}

export interface PairStats {
  prompts: number;
  /** Prompts with no correct sample. */
  noCorrect: number;
  /** Prompts with a correct sample but nothing longer to reject. */
  noRejected: number;
  pairs: number;
  wrong: number;
  longCorrect: number;
}

/**
 * Builds the pairs of all prompts (see the module comment), in prompt order of first appearance.
 * @throws ConfigError for a ratio < 1 or a cap < 1, rows kept by another policy than `all` (the failures are missing),
 *   or a correctness reward that no row has
 */
export function buildPairs(rows: readonly SampleRow[], o: PairOptions = {}): { pairs: PreferencePair[]; stats: PairStats } {
  const ratio = o.longRatio ?? LONG_CORRECT_RATIO;
  const cap = o.maxPairsPerPrompt ?? Number.POSITIVE_INFINITY;
  if (!(ratio >= 1)) throw new ConfigError(`pairs: the long-correct ratio must be ≥ 1 (got ${ratio})`);
  if (!(cap >= 1)) throw new ConfigError(`pairs: max pairs per prompt must be ≥ 1 (got ${cap})`);
  const other = rows.find((r) => r.provenance.keep !== undefined && r.provenance.keep !== "all");
  if (other) throw new ConfigError(`pairs: the samples were kept with --keep ${other.provenance.keep}; pairs needs every sample (thinkrl sample --keep all)`);
  if (o.correctReward !== undefined && rows.length > 0 && !rows.some((r) => o.correctReward! in r.rewards)) {
    throw new ConfigError(`pairs: no sample has the reward "${o.correctReward}" (they have ${Object.keys(rows[0]!.rewards).join(", ")})`);
  }
  const byPrompt = new Map<string, SampleRow[]>();
  for (const r of rows) {
    const k = r.provenance.prompt_key;
    byPrompt.set(k, [...(byPrompt.get(k) ?? []), r]);
  }
  const stats: PairStats = { prompts: byPrompt.size, noCorrect: 0, noRejected: 0, pairs: 0, wrong: 0, longCorrect: 0 };
  const pairs: PreferencePair[] = [];
  for (const [key, group] of byPrompt) {
    const byTokens = group.every((r) => typeof r.provenance.tokens === "number");
    const len = (r: SampleRow) => (byTokens ? r.provenance.tokens! : [...r.completion].length);
    const rewardName = o.correctReward ?? group[0]!.provenance.correct_reward ?? "accuracy";
    const score = (r: SampleRow) => r.rewards[rewardName];
    const usable = group.filter((r) => !r.provenance.readability && score(r) !== null && score(r) !== undefined);
    const correct = usable.filter((r) => score(r)! >= 1).sort((a, b) => len(a) - len(b) || a.provenance.sample_index - b.provenance.sample_index);
    const chosen = correct[0];
    if (chosen === undefined) {
      stats.noCorrect++;
      continue;
    }
    const c = len(chosen);
    const rejected = usable
      .filter((r) => r !== chosen && (score(r)! >= 1 ? len(r) >= ratio * c : len(r) > c))
      .sort((a, b) => len(b) - len(a) || a.provenance.sample_index - b.provenance.sample_index)
      .slice(0, cap);
    if (rejected.length === 0) stats.noRejected++;
    for (const r of rejected) {
      const kind = score(r)! >= 1 ? "long-correct" : "wrong";
      if (kind === "wrong") stats.wrong++;
      else stats.longCorrect++;
      pairs.push({ ...preferenceText(chosen, r), chosen_length: c, rejected_length: len(r), rejected_kind: kind, prompt_key: key });
    }
  }
  stats.pairs = pairs.length;
  return { pairs, stats };
}

/** TRL's text form, or its conversational form when the sample carries a chat history. */
function preferenceText(chosen: SampleRow, rejected: SampleRow): Pick<PreferencePair, "prompt" | "chosen" | "rejected"> {
  const history = chosen.messages?.slice(0, -1);
  if (history && history.length > 0 && (history.length > 1 || history[0]!.content !== chosen.prompt)) {
    return { prompt: history, chosen: [{ role: "assistant", content: chosen.completion }], rejected: [{ role: "assistant", content: rejected.completion }] };
  }
  return { prompt: chosen.prompt, chosen: chosen.completion, rejected: rejected.completion };
}

/**
 * Reads a `sample --keep all` file.
 * @throws DatasetError naming `file:line` for a line that is not JSON or lacks the fields `buildPairs` reads
 */
export async function readSampleRows(file: string): Promise<SampleRow[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new DatasetError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const rows: SampleRow[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const where = `${file}:${i + 1}`;
    let r: SampleRow;
    try {
      r = JSON.parse(line) as SampleRow;
    } catch {
      throw new DatasetError(`${where}: not valid JSON`);
    }
    if (typeof r.prompt !== "string" || typeof r.completion !== "string" || typeof r.rewards !== "object" || r.rewards === null) {
      throw new DatasetError(`${where}: a sample row needs prompt, completion and rewards (write it with thinkrl sample --keep all)`);
    }
    if (typeof r.provenance?.prompt_key !== "string" || typeof r.provenance.sample_index !== "number") {
      throw new DatasetError(`${where}: provenance.prompt_key and provenance.sample_index are missing (write it with thinkrl sample --keep all)`);
    }
    rows.push(r);
  }
  return rows;
}

/** `thinkrl pairs`: reads samples, builds pairs, writes JSONL atomically. */
export async function runPairs(input: string, out: string, o: PairOptions = {}): Promise<PairStats> {
  const { pairs, stats } = buildPairs(await readSampleRows(input), o);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(`${out}.tmp`, pairs.map((p) => JSON.stringify(p) + "\n").join(""));
  await rename(`${out}.tmp`, out);
  return stats;
}
