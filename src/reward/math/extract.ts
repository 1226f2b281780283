/**
 * Final-answer extraction from a model's maths completion (the extraction rules of Math-Verify and the MATH
 * graders, written anew): the last `\boxed{…}`/`\fbox{…}`, the last `<answer>…</answer>`, a "final answer is …"
 * phrase, the last display or inline maths span, the last number — tried in a configurable priority order.
 * Pure string functions: never throw, no state.
 */
import { braceGroup, MAX_ANSWER_CHARS, stripMathDelimiters } from "./normalize.js";

/** Where an answer can be taken from; see `findMathAnswer`. */
export type MathAnswerSource = "boxed" | "answer_tag" | "final_answer" | "last_math" | "last_number";

export interface ExtractOptions {
  /**
   * Sources tried in order; the first that finds something wins.
   * Default: `["boxed", "answer_tag", "final_answer", "last_math", "last_number"]`.
   */
  priority?: readonly MathAnswerSource[];
}

export const DEFAULT_PRIORITY: readonly MathAnswerSource[] = ["boxed", "answer_tag", "final_answer", "last_math", "last_number"];

/** Completions longer than this are only searched in their last part (the answer is at the end). */
const MAX_SCAN_CHARS = 20_000;

/** Content of the last `\boxed{…}` / `\fbox{…}` (balanced; nested boxes unwrapped; `\boxed 5` accepted). */
function lastBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)(?![a-zA-Z])/g;
  let at = -1;
  let len = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    at = m.index;
    len = m[0].length;
  }
  // Walk backwards over boxes until one is complete (a truncated last box falls back to the previous one).
  while (at !== -1) {
    let i = at + len;
    while (text[i] === " ") i++;
    if (text[i] === "{") {
      const g = braceGroup(text, i);
      if (g) {
        const inner = lastBoxed(g.body);
        return (inner ?? g.body).trim();
      }
    } else {
      const m = /^[^\s$]+/.exec(text.slice(i));
      if (m) return m[0].replace(/[.,;]+$/, "");
    }
    const prev = text.slice(0, at);
    const re2 = /\\(?:boxed|fbox)(?![a-zA-Z])/g;
    at = -1;
    for (let m = re2.exec(prev); m; m = re2.exec(prev)) {
      at = m.index;
      len = m[0].length;
    }
  }
  return null;
}

function lastAnswerTag(text: string): string | null {
  const end = text.lastIndexOf("</answer>");
  if (end === -1) return null;
  const start = text.lastIndexOf("<answer>", end);
  if (start === -1) return null;
  const body = text.slice(start + "<answer>".length, end);
  return lastBoxed(body) ?? body.trim();
}

/** Strip decoration from an answer phrase: markdown, a leading colon or "is", a trailing full stop. */
function cleanPhrase(s: string): string {
  let t = s.replace(/\*\*|__|`/g, "").trim();
  t = t.replace(/^(?:is|was|=|:)\s*/i, "").replace(/^:\s*/, "");
  const boxed = lastBoxed(t);
  if (boxed !== null) return boxed;
  const math = /\$\$([\s\S]+?)\$\$|\$([^$]+)\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)/.exec(t);
  if (math) return (math[1] ?? math[2] ?? math[3] ?? math[4]!).trim();
  return t.replace(/[.\s]+$/, "").trim();
}

function finalAnswerPhrase(text: string): string | null {
  const re = /(?:final answer|the answer)(?:\s+is)?\s*[:=]?\s*/gi;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m;
  if (!last) return null;
  const rest = text.slice(last.index + last[0].length);
  // The phrase ends at the end of the line (display maths may span lines).
  const line = /^\s*(?:\$\$[\s\S]*?\$\$|\\\[[\s\S]*?\\\])/.exec(rest)?.[0] ?? rest.split("\n")[0]!;
  // A plain-text phrase ends at its sentence's full stop ("is 3. Check: …"); maths spans are kept whole.
  const sentence = /^\s*(?:\$|\\\(|\\\[|\\boxed|\\fbox)/.test(line) ? line : line.split(/\.(?:\s|$)/)[0]!;
  const out = cleanPhrase(sentence);
  return out === "" ? null : out;
}

function lastMathSpan(text: string): string | null {
  const re = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$([^$]+?)\$/g;
  let last: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m[1] ?? m[2] ?? m[3] ?? m[4]!;
  return last === null ? null : last.trim();
}

function lastNumber(text: string): string | null {
  const re = /-?\d[\d,]*(?:\.\d+)?(?:\s*\/\s*\d+)?%?|-?\.\d+%?/g;
  let last: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m[0];
  if (last === null) return null;
  last = last.replace(/,+$/, "");
  // `1,2,3` is a list, not a thousands-separated number: keep only the last item then.
  if (last.includes(",") && !/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?$/.test(last)) last = last.slice(last.lastIndexOf(",") + 1);
  return last;
}

const FINDERS: Record<MathAnswerSource, (text: string) => string | null> = {
  boxed: lastBoxed,
  answer_tag: lastAnswerTag,
  final_answer: finalAnswerPhrase,
  last_math: lastMathSpan,
  last_number: lastNumber,
};

/**
 * The final answer of a completion and where it was found, or null when no source in `priority` finds one.
 * Never throws.
 */
export function findMathAnswer(text: string, opts: ExtractOptions = {}): { answer: string; source: MathAnswerSource } | null {
  if (typeof text !== "string") return null;
  const t = text.length > MAX_SCAN_CHARS ? text.slice(-MAX_SCAN_CHARS) : text;
  for (const source of opts.priority ?? DEFAULT_PRIORITY) {
    const find = FINDERS[source];
    if (!find) continue;
    try {
      const raw = find(t);
      if (raw === null) continue;
      const answer = stripMathDelimiters(raw.replace(/\*\*|__/g, ""));
      if (answer !== "" && answer.length <= MAX_ANSWER_CHARS) return { answer, source };
    } catch {
      // a finder bug must not fail the reward: try the next source
    }
  }
  return null;
}

/**
 * The final answer of a maths completion (see `findMathAnswer` for the sources and their default order), or
 * null. Example: `extractMathAnswer("so the total is $\\boxed{\\frac{1}{2}}$.") === "\\frac{1}{2}"`.
 */
export function extractMathAnswer(text: string, opts: ExtractOptions = {}): string | null {
  return findMathAnswer(text, opts)?.answer ?? null;
}
