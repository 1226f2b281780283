/**
 * Readability filters of DeepSeek-R1 stage 3 (§2.3.3, "Reasoning data": "we have filtered out chain-of-thought with
 * mixed languages, long paragraphs, and code blocks"). Each is a switch; each looks at the chain of thought (the
 * text inside `<think>…</think>`, or the whole completion when it has no think tags). The paper gives no
 * thresholds: ours are config fields.
 */
import { chainOfThought, scriptProportion, type Script } from "../reward/language.js";

export interface ReadabilityFilters {
  /** Drop a sample whose CoT words are not (almost all) in the target language's script. Default off. */
  mixedLanguage: boolean;
  /**
   * Smallest share of CoT words in the target script that passes `mixedLanguage` (default 0.95: a stray Greek
   * `π` or a Latin variable name in a Chinese CoT is not "mixed language"). CoTs with no words pass.
   */
  mixedLanguageMinShare: number;
  /** Drop a sample with a CoT paragraph (text between blank lines) longer than this many characters; null = off. */
  longParagraphs: number | null;
  /** Drop a sample whose CoT contains a fenced code block (``` or ~~~). Default off. */
  codeBlocks: boolean;
}

export type ReadabilityReason = "mixed_language" | "long_paragraph" | "code_block";

/** Reasons in the order they are checked (a sample is counted under the first that applies). */
export const READABILITY_REASONS: readonly ReadabilityReason[] = ["mixed_language", "long_paragraph", "code_block"];

const LETTER = /\p{L}/u;
const FENCE = /^[ \t]*(```|~~~)/m;

/** Longest paragraph of `text` in characters (code points); paragraphs are separated by blank lines. */
export function longestParagraph(text: string): number {
  return Math.max(0, ...text.split(/\n[ \t]*\n/).map((p) => [...p.trim()].length));
}

/**
 * The first filter a completion fails, or null when it passes every enabled filter.
 * @param scripts the target language's scripts (e.g. `["Latin"]` for `en`), used by `mixedLanguage`
 */
export function readabilityReject(completion: string, f: ReadabilityFilters, scripts: readonly Script[]): ReadabilityReason | null {
  const cot = chainOfThought(completion) ?? completion;
  if (f.mixedLanguage && LETTER.test(cot) && scriptProportion(cot, scripts) < f.mixedLanguageMinShare) return "mixed_language";
  if (f.longParagraphs !== null && longestParagraph(cot) > f.longParagraphs) return "long_paragraph";
  if (f.codeBlocks && FENCE.test(cot)) return "code_block";
  return null;
}
