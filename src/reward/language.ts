/**
 * Language-consistency reward (DeepSeek-R1 §2.3.2 "Reasoning-oriented Reinforcement Learning"): R1-Zero's chains
 * of thought mix languages; stage 2 adds, to the accuracy reward, the proportion of chain-of-thought words that
 * are in the target language. We approximate "language" by Unicode script (Latin, Han, Cyrillic, …): words are
 * segmented with `Intl.Segmenter` (ICU dictionaries split Chinese/Japanese/Thai into words), and a word's script
 * is the script of the majority of its letters.
 */
import { ConfigError } from "../core/errors.js";
import type { RewardBatch, RewardContext, RewardFn } from "./types.js";

/** Scripts we recognise (Unicode `Script` property values). */
export const SCRIPTS = [
  "Latin", "Han", "Hiragana", "Katakana", "Hangul", "Cyrillic", "Greek", "Arabic", "Hebrew",
  "Devanagari", "Bengali", "Tamil", "Telugu", "Thai", "Georgian", "Armenian", "Ethiopic",
] as const;
export type Script = (typeof SCRIPTS)[number];

/** Language code → scripts whose words count as that language (a script-level proxy: en and fr are both Latin). */
export const LANGUAGE_SCRIPTS: Readonly<Record<string, readonly Script[]>> = {
  en: ["Latin"], fr: ["Latin"], de: ["Latin"], es: ["Latin"], it: ["Latin"], pt: ["Latin"], nl: ["Latin"],
  pl: ["Latin"], tr: ["Latin"], vi: ["Latin"], id: ["Latin"],
  zh: ["Han"], ja: ["Han", "Hiragana", "Katakana"], ko: ["Hangul", "Han"],
  ru: ["Cyrillic"], uk: ["Cyrillic"], bg: ["Cyrillic"], el: ["Greek"], ar: ["Arabic"], fa: ["Arabic"],
  he: ["Hebrew"], hi: ["Devanagari"], bn: ["Bengali"], ta: ["Tamil"], te: ["Telugu"], th: ["Thai"],
  ka: ["Georgian"], hy: ["Armenian"], am: ["Ethiopic"],
};

const SCRIPT_RE: ReadonlyMap<Script, RegExp> = new Map(SCRIPTS.map((s) => [s, new RegExp(`\\p{Script=${s}}`, "u")]));
const LETTER = /\p{L}/u;
/** `und` = root locale: ICU picks the dictionary by the characters' script, not by a locale. */
const SEGMENTER = new Intl.Segmenter("und", { granularity: "word" });
/** Longest chain of thought we segment, in characters (bounds the cost of hostile output). */
const MAX_COT_CHARS = 200_000;

/** Script of most of the word's letters; null for words without letters (numbers, symbols) or unknown scripts. */
export function wordScript(word: string): Script | null {
  const counts = new Map<Script, number>();
  let letters = 0;
  for (const ch of word) {
    if (!LETTER.test(ch)) continue;
    letters++;
    for (const [s, re] of SCRIPT_RE)
      if (re.test(ch)) {
        counts.set(s, (counts.get(s) ?? 0) + 1);
        break;
      }
  }
  if (letters === 0) return null;
  let best: Script | null = null;
  let bestN = 0;
  for (const [s, n] of counts) if (n > bestN) [best, bestN] = [s, n];
  return best;
}

/**
 * Chain of thought of a completion: the text inside `<think>…</think>`; text before `</think>` when the prompt
 * template already opened `<think>`; text after `<think>` when the completion was cut off. Null without tags.
 */
export function chainOfThought(completion: string): string | null {
  const open = completion.indexOf("<think>");
  const start = open === -1 ? 0 : open + "<think>".length;
  const close = completion.indexOf("</think>", start);
  if (open === -1 && close === -1) return null;
  return completion.slice(start, close === -1 ? undefined : close);
}

/**
 * Proportion of the words of `text` (words with at least one letter; numbers and symbols are ignored) whose
 * script is one of `scripts`. 0 when there are no such words.
 */
export function scriptProportion(text: string, scripts: readonly Script[]): number {
  let total = 0;
  let inTarget = 0;
  for (const seg of SEGMENTER.segment(text.slice(0, MAX_COT_CHARS))) {
    if (!seg.isWordLike) continue;
    const s = wordScript(seg.segment);
    if (s === null && !LETTER.test(seg.segment)) continue;
    total++;
    if (s !== null && scripts.includes(s)) inTarget++;
  }
  return total === 0 ? 0 : inTarget / total;
}

/** Scripts for a target given as a language code (`"en"`, `"zh"`) or a script name (`"Cyrillic"`); null if unknown. */
export function targetScripts(target: string): readonly Script[] | null {
  if (Object.hasOwn(LANGUAGE_SCRIPTS, target)) return LANGUAGE_SCRIPTS[target]!;
  const base = target.toLowerCase().split(/[-_]/)[0]!; // "zh-CN" → "zh"
  if (Object.hasOwn(LANGUAGE_SCRIPTS, base)) return LANGUAGE_SCRIPTS[base]!;
  const script = SCRIPTS.find((s) => s.toLowerCase() === target.toLowerCase());
  return script ? [script] : null;
}

export interface LanguageConsistencyOptions {
  /**
   * Target language code (`"en"`, `"zh"`, …, see `LANGUAGE_SCRIPTS`) or script name (`"Latin"`, `"Han"`, …).
   * Default: the row's `language` column, else `"en"`.
   */
  target?: string;
}

/**
 * Language-consistency reward (DeepSeek-R1 §2.3.2):
 *   r_i = #(CoT words in the target script) / #(CoT words),
 * with CoT = the `<think>` block (see `chainOfThought`) and words = `Intl.Segmenter` word segments with a letter.
 * No tags or no words → 0. A row whose `language` column names an unknown language → null (cannot judge).
 * R1 sums it with the accuracy reward (and notes a slight drop in reasoning scores for more readability).
 * @throws ConfigError at construction when `target` is unknown. The returned RewardFn never throws.
 */
export function languageConsistency(opts: LanguageConsistencyOptions = {}): (batch: RewardBatch, ctx?: RewardContext) => (number | null)[] {
  const fixed = opts.target === undefined ? undefined : targetScripts(opts.target);
  if (fixed === null)
    throw new ConfigError(`languageConsistency: unknown target '${opts.target}'`, {
      hint: `use a language code (${Object.keys(LANGUAGE_SCRIPTS).join(", ")}) or a script (${SCRIPTS.join(", ")})`,
    });
  return (batch: RewardBatch) =>
    batch.completions.map((c, i) => {
      try {
        let scripts: readonly Script[] | null | undefined = fixed;
        if (scripts === undefined) {
          const col = Array.isArray(batch.language) ? batch.language[i] : undefined;
          scripts = typeof col === "string" && col !== "" ? targetScripts(col) : LANGUAGE_SCRIPTS.en!;
        }
        if (scripts === null) return null;
        const cot = typeof c === "string" ? chainOfThought(c) : null;
        return cot === null ? 0 : scriptProportion(cot, scripts);
      } catch {
        return 0;
      }
    });
}

/** Registry default: target from the `language` column, else English. */
export const languageConsistencyReward: RewardFn = languageConsistency();
