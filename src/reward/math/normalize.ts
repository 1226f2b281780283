/**
 * String normalisation of a maths answer before comparison (the rules Math-Verify and the MATH grading scripts
 * apply, written anew): strip display wrappers, spacing commands, `\text`/`\mathrm`, units and currency words,
 * degrees, thousands separators and trailing punctuation; rewrite `\dfrac`/`\tfrac`, `\frac12`, `\sqrt2`,
 * `\binom{n}{k}` and Unicode maths into plain LaTeX that the parser accepts.
 * Pure string functions: never throw, no state.
 */

/** Answers longer than this are not normalised or compared (guards regexes and the parser). */
export const MAX_ANSWER_CHARS = 2000;

/**
 * Index just past the group that opens at `s[open]` (`{`, `(` or `[`), counting any bracket kind, or -1 when
 * unbalanced. `\{` and `\}` count as brackets too.
 */
export function matchGroup(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") {
      i++; // an escaped char (e.g. `\{`, `\%`) is not a group delimiter of its own command
      const d = s[i];
      if (d === "{" || d === "[" || d === "(") depth++;
      else if (d === "}" || d === "]" || d === ")") depth--;
      else continue;
    } else if (c === "{" || c === "(" || c === "[") depth++;
    else if (c === "}" || c === ")" || c === "]") depth--;
    else continue;
    if (depth === 0) return i + 1;
    if (depth < 0) return -1;
  }
  return -1;
}

/** Content of the brace group starting at `s[i]` (which must be `{`) and the index after it, or null. */
export function braceGroup(s: string, i: number): { body: string; end: number } | null {
  if (s[i] !== "{") return null;
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return { body: s.slice(i + 1, j), end: j + 1 };
  }
  return null;
}

/** Replace every `\cmd{body}` by `f(body)` (balanced braces; nested occurrences handled by repetition). */
function mapCommand(s: string, cmd: string, f: (body: string) => string): string {
  for (let guard = 0; guard < 64; guard++) {
    const at = s.lastIndexOf(cmd + "{");
    if (at === -1) return s;
    const g = braceGroup(s, at + cmd.length);
    if (!g) return s;
    s = s.slice(0, at) + f(g.body) + s.slice(g.end);
  }
  return s;
}

/** One LaTeX argument at `s[i]`: a brace group, a command name, or a single char. */
function latexArg(s: string, i: number): { body: string; end: number } | null {
  while (s[i] === " ") i++;
  if (i >= s.length) return null;
  if (s[i] === "{") return braceGroup(s, i);
  if (s[i] === "\\") {
    const m = /^\\[a-zA-Z]+/.exec(s.slice(i));
    return m ? { body: m[0], end: i + m[0].length } : null;
  }
  return { body: s[i]!, end: i + 1 };
}

/** `\frac12`, `\frac1{x}`, `\frac{1}2`, `\sqrt2`, `\binom{n}{k}` → fully braced forms (binom → factorials). */
function braceShorthands(s: string): string {
  let out = "";
  let i = 0;
  for (let guard = 0; guard < 10_000 && i < s.length; guard++) {
    const m = /\\(frac|sqrt|binom)(?![a-zA-Z])/g;
    m.lastIndex = i;
    const hit = m.exec(s);
    if (!hit) break;
    out += s.slice(i, hit.index);
    let j = hit.index + hit[0].length;
    const cmd = hit[1]!;
    let opt = "";
    if (cmd === "sqrt" && s[j] === "[") {
      const close = matchGroup(s, j);
      if (close === -1) return out + s.slice(hit.index);
      opt = s.slice(j, close);
      j = close;
    }
    const a = latexArg(s, j);
    if (!a) return out + s.slice(hit.index);
    if (cmd === "sqrt") {
      out += `\\sqrt${opt}{${a.body}}`;
      i = a.end;
      continue;
    }
    const b = latexArg(s, a.end);
    if (!b) return out + s.slice(hit.index);
    out += cmd === "frac" ? `\\frac{${a.body}}{${b.body}}` : `\\frac{(${a.body})!}{(${b.body})!((${a.body})-(${b.body}))!}`;
    i = b.end;
  }
  return out + s.slice(i);
}

/** Unit and currency words removed after a number (plural forms included by the optional `s`/`es`). */
const UNIT_WORDS = [
  "square",
  "sq",
  "cubic",
  "units?",
  "unit",
  "dollars?",
  "cents?",
  "euros?",
  "pounds?",
  "yuan",
  "rupees?",
  "usd",
  "cm",
  "mm",
  "km",
  "meters?",
  "metres?",
  "centimeters?",
  "kilometers?",
  "millimeters?",
  "inch(?:es)?",
  "in",
  "feet",
  "foot",
  "ft",
  "yards?",
  "yd",
  "miles?",
  "mi",
  "mph",
  "kg",
  "grams?",
  "kilograms?",
  "lbs?",
  "ounces?",
  "oz",
  "liters?",
  "litres?",
  "ml",
  "gallons?",
  "seconds?",
  "secs?",
  "minutes?",
  "mins?",
  "hours?",
  "hrs?",
  "days?",
  "weeks?",
  "months?",
  "years?",
  "degrees?",
  "deg",
  "radians?",
  "rad",
  "people",
  "persons?",
  "students?",
  "apples?",
  "items?",
  "ways?",
  "times",
  "points?",
  "per",
].join("|");
/** One-letter units (m, g, l, s, h) only count after a space: `5m` may be a product, `5 m` is a length. */
const SHORT_UNITS = "m|g|l|s|h";
const TRAILING_UNITS = new RegExp(
  `^(.*?[\\d}.)])(?:(?:\\s*(?:${UNIT_WORDS})|\\s+(?:${SHORT_UNITS}))(?:\\s*\\^\\{?[23]\\}?|²|³)?\\.?(?![a-z]))+\\s*$`,
  "i",
);

const UNICODE: [RegExp, string][] = [
  [/−|–|—/g, "-"],
  [/×/g, "\\times "],
  [/·|⋅/g, "\\cdot "],
  [/÷/g, "\\div "],
  [/≤|⩽/g, "\\leq "],
  [/≥|⩾/g, "\\geq "],
  [/≠/g, "\\neq "],
  [/π/g, "\\pi "],
  [/∞/g, "\\infty "],
  [/√/g, "\\sqrt"],
  [/∪/g, "\\cup "],
  [/∩/g, "\\cap "],
  [/∈/g, "\\in "],
  [/∅/g, "\\emptyset "],
  [/°/g, "^\\circ"],
  [/²/g, "^2"],
  [/³/g, "^3"],
  [/½/g, "\\frac{1}{2}"],
];

/** Strip one layer of `$…$`, `$$…$$`, `\[…\]`, `\(…\)` around the whole string. */
export function stripMathDelimiters(s: string): string {
  for (let guard = 0; guard < 4; guard++) {
    const t = s.trim();
    const m = /^\$\$([\s\S]*)\$\$$/.exec(t) ?? /^\$([^$]*)\$$/.exec(t) ?? /^\\\[([\s\S]*)\\\]$/.exec(t) ?? /^\\\(([\s\S]*)\\\)$/.exec(t);
    if (!m) return t;
    s = m[1]!;
  }
  return s.trim();
}

/** Result of `normalizeAnswer`: the LaTeX string, and whether a trailing percent sign was removed. */
export interface NormalizedAnswer {
  latex: string;
  percent: boolean;
}

export interface NormalizeOptions {
  /**
   * How a whole answer made of digits and commas is read. `"auto"` (default; a gold answer): only a valid
   * thousands grouping (`7,425,000`: 1–3 digits not starting with 0, then groups of 3) is one number.
   * `"scalar"` (a prediction against a single-value gold): also `1000,99` / `0,111` / `1,5` are decimal commas.
   * `"list"` (a prediction against a tuple or set gold): commas always separate items. Spaces
   * (`1 000`) and `\,` (`1\,000`) between digit groups are thousands separators either way.
   */
  commaNumbers?: "auto" | "scalar" | "list";
}

const THOUSANDS = /^[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$/;
const DECIMAL_COMMA = /^[-+]?\d+,\d+$/;

/**
 * A whole answer of digits and commas read by `mode` (see `NormalizeOptions.commaNumbers`): `7,425,000` →
 * `7425000` unless `"list"`; `1000,99` → `1000.99` when `"scalar"`; anything else unchanged. Never throws.
 */
export function readCommaNumber(s: string, mode: "auto" | "scalar" | "list"): string {
  if (mode === "list" || !s.includes(",")) return s;
  if (THOUSANDS.test(s)) return s.replace(/,/g, "");
  if (mode === "scalar" && DECIMAL_COMMA.test(s)) return s.replace(",", ".");
  return s;
}

/**
 * Normalise an extracted answer for comparison.
 * @returns the normalised LaTeX and whether it ended in a percent sign (`50\%`, `50%`, `50 percent`, `50 pct`,
 *   `50 percentage`), which the verifier treats as a flag (see `percentAsDecimal`). Never throws; oversized input
 *   is returned as-is.
 */
export function normalizeAnswer(raw: string, opts: NormalizeOptions = {}): NormalizedAnswer {
  let s = typeof raw === "string" ? raw : "";
  if (s.length > MAX_ANSWER_CHARS) return { latex: s, percent: false };
  s = s.replace(/\*\*|__|`/g, "");
  s = stripMathDelimiters(s);
  s = s.replace(/\$/g, " ");
  if (/[^\x00-\x7f]/.test(s)) for (const [re, to] of UNICODE) s = s.replace(re, to);
  s = s.replace(/\{,\}/g, ","); // 1{,}000
  s = s.replace(/(?<!\\)\\[!,;: ]|\\(?:quad|qquad|thinspace|medspace|thickspace|enspace)(?![a-zA-Z])|~/g, " ");
  // LaTeX commands (skipped for the many answers that have none).
  if (s.includes("\\")) {
    s = s.replace(/\\(?:boxed|fbox)\s*(?=\{)/g, "");
    s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits)/g, " ");
    // \left( → (, \left\{ → \{, \left. → nothing; also \bigl( etc.
    s = s.replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)(?![a-zA-Z])\s*\.?/g, "");
    s = s.replace(/\\(?:dfrac|tfrac|cfrac)(?![a-zA-Z])/g, "\\frac");
    s = s.replace(/\\(?:dbinom|tbinom)(?![a-zA-Z])/g, "\\binom");
    s = s.replace(/\\(?:le|leqslant)(?![a-zA-Z])/g, "\\leq").replace(/\\(?:ge|geqslant)(?![a-zA-Z])/g, "\\geq");
    s = s.replace(/\\(?:ne)(?![a-zA-Z])/g, "\\neq").replace(/\\lt(?![a-zA-Z])/g, "<").replace(/\\gt(?![a-zA-Z])/g, ">");
    s = s.replace(/\\varnothing(?![a-zA-Z])/g, "\\emptyset");
    // Degrees: ^\circ, ^{\circ}, \degree.
    s = s.replace(/\^\s*\{?\s*\\circ\s*\}?|\\degree(?![a-zA-Z])/g, "");
    // \text-like wrappers: keep their content as plain text.
    for (const cmd of ["\\text", "\\textnormal", "\\textsf", "\\texttt", "\\textbf", "\\textit", "\\textrm", "\\mbox", "\\mathrm", "\\mathbf", "\\mathit", "\\boldsymbol", "\\bf"])
      s = mapCommand(s, cmd, (b) => ` ${b} `);
    s = s.replace(/\\(?:mathrm|text|textnormal|textbf|mathbf)\s*(?=[a-zA-Z0-9])/g, "");
  }
  // Currency signs.
  s = s.replace(/\\\$|€|£|¥|\bUSD\b|\bRs\.?/g, " ");
  // Percent → flag.
  let percent = false;
  const pm = /^(.*?)\s*(?:\\%|%|\bpercentage\b|\bpercent\b|\bper cent\b|\bpct\b)\s*\.?\s*$/i.exec(s);
  if (pm && /\S/.test(pm[1]!)) {
    percent = true;
    s = pm[1]!;
  }
  s = s.replace(/\s+/g, " ").trim();
  // Leading words ("The answer is", "x is") are left to the extractor; trailing units are removed here.
  for (let guard = 0; guard < 3; guard++) {
    const um = TRAILING_UNITS.exec(s);
    if (!um) break;
    s = um[1]!.trim();
  }
  s = s.replace(/^[\s=]+/, "").replace(/[\s.,;:]+$/, "");
  // Thousands separators: the whole answer is one number written as 1 234 567(.89) or 1\,234; commas by `commaNumbers`.
  if (/^[-+]?\d{1,3}(?:(?:\\,| )\d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/\\,| /g, "");
  else s = readCommaNumber(s, opts.commaNumbers ?? "auto");
  s = braceShorthands(s);
  s = s.replace(/_([a-zA-Z0-9])/g, "_{$1}"); // x_1+x_2 is x_{1}+x_{2}, not x_{1+x_2}
  s = s.replace(/\s*([{}()[\],^_=+\-*/<>|&])\s*/g, "$1").replace(/\s+/g, " ");
  // `2 \pi` → `2\pi`, `\times 10` → `\times10` (a command name ends at its last letter).
  s = s.replace(/ (?=\\[a-zA-Z])/g, "").replace(/(\\[a-zA-Z]+) (?=[^a-zA-Z])/g, "$1").trim();
  return { latex: s, percent };
}
