/**
 * Final-answer extraction from a model's maths completion (the extraction rules of Math-Verify and the MATH
 * graders, written anew): the last `\boxed{…}`/`\fbox{…}`, the last `<answer>…</answer>`, GSM8K's `#### N`
 * marker, a "final answer is …" / "Answer: …" phrase, the last display or inline maths span (a `$` before a
 * number in prose is a currency sign, not maths), a short text that is itself an expression, a letter choice
 * (when the gold is one), the last number not inside a word — tried in a configurable priority order. GSM8K's
 * `<<a*b=c>>` calculator annotations are removed first. Pure string functions: never throw, no state.
 */
import { braceGroup, MAX_ANSWER_CHARS, stripMathDelimiters } from "./normalize.js";

/** Where an answer can be taken from; see `findMathAnswer`. */
export type MathAnswerSource = "boxed" | "answer_tag" | "gsm8k" | "final_answer" | "last_math" | "bare" | "choice" | "last_number";

export interface ExtractOptions {
  /**
   * Sources tried in order; the first that finds something wins.
   * Default: `["boxed", "answer_tag", "gsm8k", "final_answer", "last_math", "bare", "choice", "last_number"]`.
   */
  priority?: readonly MathAnswerSource[];
  /** The gold answer, when known: a letter-choice gold (`B`, `(B)`, `\text{(B)}`) turns the `choice` source on. */
  gold?: string;
}

export const DEFAULT_PRIORITY: readonly MathAnswerSource[] = ["boxed", "answer_tag", "gsm8k", "final_answer", "last_math", "bare", "choice", "last_number"];

/** Every source, for option validation. */
export const MATH_ANSWER_SOURCES: readonly MathAnswerSource[] = DEFAULT_PRIORITY;

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
  if (text.includes("**") || text.includes("__")) text = text.replace(/\*\*|__/g, "");
  const re = /(?:final answer|the answer|\banswer(?=\s*:))(?:\s+is)?\s*[:=]?\s*/gi;
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

/** Does maths-span content that starts with a number read as prose (`2 per egg and `)? Then its `$` was currency. */
const PROSE = /(?:^|\s)[a-zA-Z]{2,}(?=\s|[,.;:!?]|$)/;

/**
 * The last maths span. Display spans `$$…$$`, `\[…\]`; inline `\(…\)` and `$…$` on one line (`\$` inside is a
 * dollar sign). A `$` directly before a digit is a currency sign, not an opening delimiter, when the span it
 * would open reads as prose or its closing `$` is itself directly before a digit (`costs $3 / 6 = $0.5`).
 */
function lastMathSpan(text: string): string | null {
  let last: { at: number; body: string } | null = null;
  const display = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)/g;
  for (let m = display.exec(text); m; m = display.exec(text)) {
    const body = m[1] ?? m[2] ?? m[3]!;
    if (body.trim() !== "") last = { at: m.index, body };
  }
  // Inline `$…$` spans never cross a line: the last line that has one holds the last.
  for (let end = text.length; end > (last?.at ?? -1); ) {
    const start = text.lastIndexOf("\n", end - 1) + 1;
    const span = start < end && text.includes("$", start) ? lastInlineDollar(text.slice(start, end)) : null;
    if (span) {
      if (last === null || start + span.at >= last.at) last = { at: start + span.at, body: span.body };
      break;
    }
    end = start - 1;
  }
  return last === null ? null : (last as { body: string }).body.trim();
}

/** The last inline `$…$` span of one line (see `lastMathSpan` for the currency rule), or null. */
function lastInlineDollar(line: string): { at: number; body: string } | null {
  const dollars: number[] = [];
  for (let i = line.indexOf("$"); i !== -1; i = line.indexOf("$", i + 1)) {
    if (line[i - 1] === "\\") continue;
    if (line[i + 1] === "$") {
      i++;
      continue;
    }
    dollars.push(i);
  }
  const beforeDigit = (i: number) => /\d|\.\d/y.test(line.slice(i + 1, i + 3));
  let found: { at: number; body: string } | null = null;
  for (let k = 0; k + 1 < dollars.length; k++) {
    const open = dollars[k]!;
    const close = dollars[k + 1]!;
    const body = line.slice(open + 1, close);
    if (beforeDigit(open) && (PROSE.test(body.replace(/\\[a-zA-Z]+(?:\{[^{}]*\})?/g, " ")) || beforeDigit(close))) continue;
    if (beforeDigit(close) && /\s$/.test(body)) continue;
    if (body.trim() !== "") found = { at: open, body };
    k++; // the closing `$` is used
  }
  return found;
}

/** GSM8K's final-answer marker: what follows the last `####` on its line. */
function gsm8kMarker(text: string): string | null {
  if (!text.includes("####")) return null;
  const re = /^[ \t]*####[ \t]*(.*)$/gm;
  let last: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m[1]!;
  if (last === null) return null;
  const out = last.replace(/[.\s]+$/, "").trim();
  return out === "" ? null : out;
}

/**
 * A short completion that is itself the answer (`\sqrt{8}`, `(3,-1)`, `x^2 + 1`, `B`): one line of at most 200
 * characters with no words (three letters in a row outside a LaTeX command).
 */
function bareAnswer(text: string): string | null {
  const t = text.trim();
  if (t === "" || t.length > 200 || t.includes("\n")) return null;
  if (/[a-zA-Z]{3,}/.test(t.replace(/\\[a-zA-Z]+/g, " ").replace(/\b(?:sin|cos|tan|log|ln|exp|sqrt|pi|inf)\b/g, " "))) return null;
  return t.replace(/[.;,]+$/, "");
}

/** The letter of a choice-style gold (`B`, `(B)`, `\text{(B)}`, `B)`), or null. */
export function goldChoiceLetter(gold: string | undefined): string | null {
  if (typeof gold !== "string") return null;
  const t = stripMathDelimiters(gold).replace(/\\text(?:bf|rm)?\s*\{([^{}]*)\}/g, "$1").trim();
  return /^\(?([A-E])\)?$/.exec(t)?.[1] ?? null;
}

/** A letter choice in prose: "option C", "(C)", or a letter ending the text ("… is C."). */
function choiceInText(text: string): string | null {
  const tail = text.slice(-2000);
  const pick = (re: RegExp): string | null => {
    let last: string | null = null;
    for (let m = re.exec(tail); m; m = re.exec(tail)) last = m[1]!;
    return last;
  };
  return (
    pick(/\b(?:option|choice)\s*(?:is\s*)?:?\s*\(?([A-Ea-e])\)?(?![A-Za-z])/gi)?.toUpperCase() ??
    pick(/(?<![A-Za-z])\(([A-E])\)(?![A-Za-z])/g) ??
    pick(/(?<![A-Za-z\\])([A-E])[.)]?\s*$/g)
  );
}

/**
 * The last number that is not part of a word (`AZYUK2A` has none): integers, decimals (point or comma),
 * fractions `a/b`, thousands grouped by commas or spaces (`7,425,000`, `1 000`), a trailing `%`. A run like
 * `1,2,3` is a list: its last item is taken. The comma reading (`1,234` thousands or `1,5` decimal) is left to
 * the verifier, which knows the gold's type.
 */
function lastNumber(text: string): string | null {
  const re = /(?<![\p{L}\d.,_\\])-?(?:[1-9]\d{0,2}(?: \d{3})+(?![\d,])(?:\.\d+)?|\d[\d,]*(?:\.\d+)?|\.\d+)(?:\s*\/\s*\d+)?%?/gu;
  let last: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m[0];
  if (last === null) return null;
  last = last.replace(/,+$/, "").replace(/ /g, "");
  // `1,2,3` is a list: keep only the last item then (a thousands grouping or one decimal comma stays whole).
  if (last.includes(",") && !/^-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?%?$/.test(last) && !/^-?\d+,\d+%?$/.test(last)) {
    last = last.slice(last.lastIndexOf(",") + 1);
  }
  return last === "" ? null : last;
}

const FINDERS: Record<MathAnswerSource, (text: string, opts: ExtractOptions) => string | null> = {
  boxed: lastBoxed,
  answer_tag: lastAnswerTag,
  gsm8k: gsm8kMarker,
  final_answer: finalAnswerPhrase,
  last_math: lastMathSpan,
  bare: bareAnswer,
  choice: (text, opts) => (goldChoiceLetter(opts.gold) === null ? null : choiceInText(text)),
  last_number: lastNumber,
};

/**
 * The final answer of a completion and where it was found, or null when no source in `priority` finds one.
 * Never throws.
 */
export function findMathAnswer(text: string, opts: ExtractOptions = {}): { answer: string; source: MathAnswerSource } | null {
  if (typeof text !== "string") return null;
  // GSM8K calculator annotations (`<<9*2=18>>`) are bookkeeping, not text.
  const raw = text.length > MAX_SCAN_CHARS ? text.slice(-MAX_SCAN_CHARS) : text;
  let clean: string | null = null;
  const stripped = () => (clean ??= raw.includes("<<") ? raw.replace(/<<[^<>\n]{0,200}>>/g, "") : raw);
  for (const source of opts.priority ?? DEFAULT_PRIORITY) {
    const find = FINDERS[source];
    if (!find) continue;
    try {
      const found = find(source === "boxed" || source === "answer_tag" ? raw : stripped(), opts);
      if (found === null) continue;
      const answer = stripMathDelimiters(found.replace(/\*\*|__/g, ""));
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
