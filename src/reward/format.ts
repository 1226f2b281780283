/**
 * Format reward (DeepSeek-R1 §2.2.2 "Reward Modeling"): the completion must put its reasoning in
 * `<think> </think>` followed by its answer in `<answer> </answer>`.
 */
import type { RewardBatch, RewardFn } from "./types.js";

const TAGS = ["<think>", "</think>", "<answer>", "</answer>"] as const;

function countOf(s: string, tag: string): number {
  let n = 0;
  for (let i = s.indexOf(tag); i !== -1; i = s.indexOf(tag, i + tag.length)) n++;
  return n;
}

const isBlank = (s: string): boolean => s.trim() === "";

/**
 * Content of the single `<answer>` tag, trimmed, when the completion is well formed: optional whitespace,
 * exactly one `<think>…</think>`, optional whitespace, exactly one `<answer>…</answer>` with a non-empty
 * answer, optional whitespace, and nothing else (no repeated or nested tags).
 * @returns the answer text, or null when the format is broken. Never throws.
 */
export function extractAnswer(completion: string): string | null {
  if (typeof completion !== "string") return null;
  for (const tag of TAGS) if (countOf(completion, tag) !== 1) return null;
  const t0 = completion.indexOf("<think>");
  const t1 = completion.indexOf("</think>");
  const a0 = completion.indexOf("<answer>");
  const a1 = completion.indexOf("</answer>");
  if (!(t0 < t1 && t1 < a0 && a0 < a1)) return null;
  if (!isBlank(completion.slice(0, t0))) return null;
  if (!isBlank(completion.slice(t1 + "</think>".length, a0))) return null;
  if (!isBlank(completion.slice(a1 + "</answer>".length))) return null;
  const answer = completion.slice(a0 + "<answer>".length, a1).trim();
  return answer === "" ? null : answer;
}

/**
 * Format reward (DeepSeek-R1 §2.2.2): 1 when `extractAnswer` finds a well-formed
 * `<think>…</think><answer>…</answer>` completion, else 0. Never throws, never null.
 */
export const formatReward: RewardFn = (batch: RewardBatch) =>
  batch.completions.map((c) => (extractAnswer(c) === null ? 0 : 1));
