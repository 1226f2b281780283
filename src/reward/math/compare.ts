/**
 * Structure of a normalised answer (relations, sets, tuples/intervals, unions, matrices, plain expressions) and
 * the equivalence rules between structures. Leaves (single expressions) are compared by a callback: the sync
 * fast path decides plain numbers and text only; the worker adds symbolic comparison (see `symbolic.ts`).
 * Pure functions; never throw on any input string.
 */
import { MAX_ANSWER_CHARS, matchGroup, normalizeAnswer, readCommaNumber } from "./normalize.js";
import { isDecimalLiteral, parsePlainNumber, plainNumbersEqual } from "./numbers.js";

/** Relations; `~` is `\approx`, `sub`/`subeq` are `\subset`/`\subseteq` (`\supset`/`\supseteq` flipped into them). */
export type RelOp = "=" | "~" | "<" | "<=" | ">" | ">=" | "!=" | "in" | "sub" | "subeq" | "sup" | "supeq";

/** A parsed answer. `seq` covers tuples, lists and intervals (`open`/`close` are `(`, `[`, `)`, `]` or `""`). */
export type AnswerNode =
  | { k: "leaf"; s: string; percent: boolean }
  | { k: "rel"; ops: RelOp[]; args: AnswerNode[] }
  | { k: "set"; items: AnswerNode[] }
  | { k: "seq"; open: string; close: string; items: AnswerNode[] }
  | { k: "union"; items: AnswerNode[] }
  | { k: "matrix"; rows: AnswerNode[][] };

/** Verdict of a leaf comparison: `null` means the comparator cannot decide (the sync path then defers). */
export type Verdict = boolean | null;

export interface CompareHooks {
  /** Are two single expressions equal? */
  leaf(a: string, b: string): Verdict;
  /**
   * Is `(a1) - (b1)` a constant multiple of `(a2) - (b2)`? `positive` requires the factor to be > 0 (inequalities
   * keep their direction). Lets `2x = 4` match `x = 2`. Optional (the sync path has none).
   */
  proportional?(a1: string, b1: string, a2: string, b2: string, positive: boolean): Verdict;
}

export interface CompareOptions {
  /** `50\%` matches `0.5` as well as `50` (a percent sign on one side only). */
  percentAsDecimal: boolean;
  /** Digits both sides are rounded to when one is a decimal (Math-Verify's `float_rounding`). */
  floatRounding: number;
  /** Math-Verify's `strict`: false lets a set equal a tuple (and variables match by position, in the symbolic leaf). */
  strict: boolean;
}

/** Deepest nesting parsed; deeper answers are rejected (never compared). */
const MAX_DEPTH = 24;

const REL_TOKENS: [string, RelOp][] = [
  ["\\leq", "<="],
  ["\\geq", ">="],
  ["\\neq", "!="],
  ["\\approx", "~"],
  ["\\in", "in"],
  ["\\subseteq", "subeq"],
  ["\\subset", "sub"],
  ["\\supseteq", "supeq"],
  ["\\supset", "sup"],
  ["!=", "!="],
  ["<=", "<="],
  [">=", ">="],
  ["<", "<"],
  [">", ">"],
  ["=", "="],
];

const REL_TOKEN_STRINGS = REL_TOKENS.map(([t]) => t);

/** Split `s` at top-level (bracket depth 0) occurrences of the given tokens (commands must end at a non-letter). */
function splitTop(s: string, tokens: readonly string[]): { parts: string[]; seps: string[] } {
  const parts: string[] = [];
  const seps: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") {
      const d = s[i + 1];
      if (d === "{" || d === "(" || d === "[") {
        depth++;
        i++;
        continue;
      }
      if (d === "}" || d === ")" || d === "]") {
        depth--;
        i++;
        continue;
      }
    } else if (c === "{" || c === "(" || c === "[") {
      depth++;
      continue;
    } else if (c === "}" || c === ")" || c === "]") {
      depth--;
      continue;
    }
    if (depth !== 0) continue;
    for (const t of tokens) {
      if (!s.startsWith(t, i)) continue;
      if (t.startsWith("\\") && /[a-zA-Z]/.test(s[i + t.length] ?? "")) continue;
      parts.push(s.slice(start, i));
      seps.push(t);
      i += t.length - 1;
      start = i + 1;
      break;
    }
    if (c === "\\") {
      const m = /^\\[a-zA-Z]+/.exec(s.slice(i, i + 32));
      if (m && start <= i) i += m[0].length - 1;
    }
  }
  parts.push(s.slice(start));
  return { parts: parts.map((p) => p.trim()), seps };
}

/** Does the bracket opening at 0 close exactly at the end of `s`? */
const wrapped = (s: string, skip = 0): boolean => matchGroup(s, skip) === s.length;

function leafOf(s: string, percent = false): AnswerNode {
  const m = /^(.*?)(?:\\%|%)$/.exec(s);
  if (m && m[1] !== "") return { k: "leaf", s: m[1]!.trim(), percent: true };
  return { k: "leaf", s, percent };
}

const MATRIX_ENV = /\\begin\{([pbBvV]?matrix|smallmatrix|array)\}(?:\{[^}]*\})?([\s\S]*?)\\end\{\1\}/g;
/** Largest matrix side evaluated in a matrix expression. */
const MAX_MATRIX_SIDE = 8;

/** Cells of a matrix body (`a & b \\ c & d`), rows of strings. */
function matrixCells(body: string): string[][] {
  return splitTop(body, ["\\\\"]).parts.filter((r) => r !== "").map((r) => splitTop(r, ["&"]).parts);
}

type Cells = string[][];

function matrixProduct(a: Cells, b: Cells): Cells | null {
  if (a[0]!.length !== b.length) return null;
  return a.map((row) => b[0]!.map((_, j) => row.map((x, k) => `(${x})\\cdot(${b[k]![j]})`).join("+")));
}

/**
 * A sum of products of matrices and scalars written out (`A + B`, `A B`, `3A - B`, with `\cdot`/`\times` or
 * nothing between factors), evaluated cell by cell into LaTeX cell strings; null when `s` is not one (or the
 * shapes do not match).
 */
function matrixExpression(s: string): Cells | null {
  const envs: Cells[] = [];
  const t = s.replace(MATRIX_ENV, (_m, _k, body: string) => {
    envs.push(matrixCells(body));
    return `\\M{${envs.length - 1}}`;
  });
  if (envs.length === 0 || t.includes("\\begin{")) return null;
  if (envs.some((m) => m.length === 0 || m.length > MAX_MATRIX_SIDE || m.some((r) => r.length !== m[0]!.length || r.length > MAX_MATRIX_SIDE))) return null;
  const { parts, seps } = splitTop(t, ["+", "-"]);
  let total: Cells | null = null;
  for (let i = 0; i < parts.length; i++) {
    const negate = i > 0 && seps[i - 1] === "-";
    if (parts[i] === "" && i === 0) continue;
    const pieces = parts[i]!.split(/\\M\{(\d+)\}/);
    // pieces: scalar text, matrix index, operator text, matrix index, …, trailing text
    const scalar = pieces[0]!.replace(/\\(?:cdot|times)$/, "").trim();
    if (pieces.length < 3 || pieces.at(-1)!.trim() !== "") return null;
    let m: Cells | null = envs[Number(pieces[1])]!;
    for (let k = 3; k < pieces.length; k += 2) {
      if (!/^\s*(?:\\cdot|\\times)?\s*$/.test(pieces[k - 1]!)) return null;
      m = matrixProduct(m, envs[Number(pieces[k])]!);
      if (!m) return null;
    }
    const sign = (i === 0 && seps.length > 0 && parts[0] === "") || negate ? "-" : "";
    const c = `${sign}${scalar === "" ? "1" : scalar === "-" ? "-1" : scalar}`;
    const term: Cells = c === "1" ? m : m.map((r) => r.map((x) => `(${c})\\cdot(${x})`));
    if (total === null) total = term;
    else {
      if (total.length !== term.length || total[0]!.length !== term[0]!.length) return null;
      const prev: Cells = total;
      total = prev.map((r, a) => r.map((x, b) => `(${x})+(${term[a]![b]})`));
    }
  }
  return total;
}

/** Parse a normalised answer into its structure. Never throws; pathological input becomes a leaf. */
export function parseAnswer(s: string, percent = false, depth = 0): AnswerNode {
  s = s.trim();
  if (depth > MAX_DEPTH || s === "") return leafOf(s, percent);
  // `\left[\begin{array}…\end{array}\right]`, `(\begin{pmatrix}…\end{pmatrix})`: the brackets are the matrix's own.
  if (s.includes("\\begin{")) {
    const wrappedMatrix = /^[([]\s*(\\begin\{([pbBvV]?matrix|smallmatrix|array)\}[\s\S]*\\end\{\2\})\s*[)\]]$/.exec(s);
    if (wrappedMatrix && !/\\begin\{/.test(wrappedMatrix[1]!.slice(1))) s = wrappedMatrix[1]!;
    const mat = /^\\begin\{([pbBvV]?matrix|smallmatrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/.exec(s);
    if (mat && !/\\begin\{/.test(mat[2]!)) {
      return { k: "matrix", rows: matrixCells(mat[2]!).map((r) => r.map((c) => parseAnswer(c, false, depth + 1))) };
    }
    const m = matrixExpression(s);
    if (m) return { k: "matrix", rows: m.map((r) => r.map((c) => parseAnswer(c, false, depth + 1))) };
  }
  // `x=3, y=-1`: a list of relations is a list before it is a relation.
  if (s.includes(",") && /[=<>\\]/.test(s)) {
    const commaList = splitTop(s, [","]);
    if (commaList.parts.length > 1 && commaList.parts.every((p) => p !== "" && splitTop(p, REL_TOKEN_STRINGS).parts.length > 1)) {
      return { k: "seq", open: "", close: "", items: commaList.parts.map((p) => parseAnswer(p, false, depth + 1)) };
    }
  }
  const union = splitTop(s, ["\\cup"]);
  if (union.parts.length > 1) return { k: "union", items: union.parts.map((p) => parseAnswer(p, false, depth + 1)) };
  const rel = splitTop(s, REL_TOKEN_STRINGS);
  if (rel.parts.length > 1 && rel.parts.every((p) => p !== "")) {
    const ops = rel.seps.map((t) => REL_TOKENS.find(([x]) => x === t)![1]);
    return { k: "rel", ops, args: rel.parts.map((p) => parseAnswer(p, false, depth + 1)) };
  }
  if (s.startsWith("\\{") && s.endsWith("\\}") && wrapped(s)) {
    const inner = s.slice(2, -2).trim();
    const items = inner === "" ? [] : splitTop(inner, [","]).parts;
    return { k: "set", items: items.map((p) => parseAnswer(p, false, depth + 1)) };
  }
  if (s === "\\emptyset") return { k: "set", items: [] };
  if ("([".includes(s[0]!) && ")]".includes(s.at(-1)!) && wrapped(s)) {
    const inner = s.slice(1, -1);
    const items = splitTop(inner, [","]).parts;
    if (items.length > 1) return { k: "seq", open: s[0]!, close: s.at(-1)!, items: items.map((p) => parseAnswer(p, false, depth + 1)) };
    if (s[0] === "(" && s.at(-1) === ")") return parseAnswer(inner, percent, depth + 1);
  }
  const list = splitTop(s, [","]);
  if (list.parts.length > 1) return { k: "seq", open: "", close: "", items: list.parts.map((p) => parseAnswer(p, false, depth + 1)) };
  return leafOf(s, percent);
}

/** A lone variable name: `x`, `y_1`, `\theta`, `f(x)`. */
const isVariable = (n: AnswerNode): boolean =>
  n.k === "leaf" && !n.percent && /^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9]+\}?)?(?:\([a-z,]*\))?$/.test(n.s) && !/^\\(?:pi|infty)$/.test(n.s);

const FLIP: Partial<Record<RelOp, RelOp>> = { ">": "<", ">=": "<=", sup: "sub", supeq: "subeq" };

/** Flip `>`/`>=` (and `\supset`/`\supseteq`) chains into `<`/`<=` (`\subset`/`\subseteq`) by reversing the arguments. */
function orient(n: Extract<AnswerNode, { k: "rel" }>): { ops: RelOp[]; args: AnswerNode[] } {
  if (n.ops.every((o) => FLIP[o] !== undefined)) return { ops: n.ops.map((o) => FLIP[o]!).reverse(), args: [...n.args].reverse() };
  return { ops: n.ops, args: n.args };
}

/** An equation chain: `=` and `\approx` only (`x = 5+5+1 = 11`, `x = 1/3 \approx 0.33`). */
const isEquationChain = (n: AnswerNode): n is Extract<AnswerNode, { k: "rel" }> => n.k === "rel" && n.ops.every((o) => o === "=" || o === "~");

/**
 * The value an equation chain answers with: its last side, except that an approximation is not the answer when
 * an exact value stands before it (`x = 1/3 \approx 0.3` answers 1/3; `x \approx 11` answers 11).
 */
function answerSide(n: Extract<AnswerNode, { k: "rel" }>): AnswerNode {
  const k = n.ops.indexOf("~");
  if (k > 0 || (k === 0 && !isVariable(n.args[0]!))) return n.args[k]!;
  return n.args.at(-1)!;
}

/** `x = a = b = c` → `x = c` (an assignment chain compares as its first and answering sides); others unchanged. */
function collapseAssignment(n: AnswerNode): AnswerNode {
  if (!isEquationChain(n) || !isVariable(n.args[0]!) || (n.args.length === 2 && n.ops[0] === "=")) return n;
  return { k: "rel", ops: ["="], args: [n.args[0]!, answerSide(n)] };
}

const INF: AnswerNode = { k: "leaf", s: "\\infty", percent: false };
const NEG_INF: AnswerNode = { k: "leaf", s: "-\\infty", percent: false };

/** `x < 3` → `(-\infty, 3)`, `1 \leq x < 2` → `[1, 2)`, `x \in [1,2]` → `[1,2]`; else null. */
function relAsSet(n: AnswerNode): AnswerNode | null {
  if (n.k !== "rel") return null;
  if (n.ops.length === 1 && n.ops[0] === "in" && isVariable(n.args[0]!)) return n.args[1]!;
  const { ops, args } = orient(n);
  if (!ops.every((o) => o === "<" || o === "<=")) return null;
  const br = (o: RelOp, open: boolean) => (o === "<=" ? (open ? "[" : "]") : open ? "(" : ")");
  if (args.length === 2 && isVariable(args[0]!)) return { k: "seq", open: "(", close: br(ops[0]!, false), items: [NEG_INF, args[1]!] };
  if (args.length === 2 && isVariable(args[1]!)) return { k: "seq", open: br(ops[0]!, true), close: ")", items: [args[0]!, INF] };
  if (args.length === 3 && isVariable(args[1]!))
    return { k: "seq", open: br(ops[0]!, true), close: br(ops[1]!, false), items: [args[0]!, args[2]!] };
  return null;
}

/** Three-valued logic: false dominates in `and`, true in `or`; null = undecided. */
function and(a: Verdict, b: () => Verdict): Verdict {
  if (a === false) return false;
  const c = b();
  if (c === false) return false;
  return a === null || c === null ? null : true;
}

function allPairs(a: AnswerNode[], b: AnswerNode[], eq: (x: AnswerNode, y: AnswerNode) => Verdict): Verdict {
  if (a.length !== b.length) return false;
  let v: Verdict = true;
  for (let i = 0; i < a.length && v !== false; i++) v = and(v, () => eq(a[i]!, b[i]!));
  return v;
}

/** Multiset match (each item of `a` paired with a distinct equal item of `b`), greedy. */
function unordered(a: AnswerNode[], b: AnswerNode[], eq: (x: AnswerNode, y: AnswerNode) => Verdict): Verdict {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  let undecided = false;
  for (const x of a) {
    let found = false;
    for (let j = 0; j < b.length; j++) {
      if (used[j]) continue;
      const v = eq(x, b[j]!);
      if (v === true) {
        used[j] = true;
        found = true;
        break;
      }
      if (v === null) undecided = true;
    }
    if (!found) return undecided ? null : false;
  }
  return true;
}

function leafCompare(a: Extract<AnswerNode, { k: "leaf" }>, b: Extract<AnswerNode, { k: "leaf" }>, h: CompareHooks, o: CompareOptions): Verdict {
  if (a.percent === b.percent) return h.leaf(a.s, b.s);
  const plain = h.leaf(a.s, b.s);
  if (plain === true || !o.percentAsDecimal) return plain;
  // One side carries a percent sign: 50% ≡ 0.5.
  const [pct, other] = a.percent ? [a.s, b.s] : [b.s, a.s];
  const r = parsePlainNumber(pct);
  const scaled = r ? `${r.num}/${r.den * 100n}` : `\\frac{${pct}}{100}`;
  const v = h.leaf(scaled, other);
  return v === true ? true : plain === null || v === null ? null : false;
}

/**
 * Are two parsed answers equivalent? `gold` and `pred` are not symmetric only in one way: a variable assignment
 * (`x = 3`) on either side matches its value. Returns null when a leaf comparison was undecided.
 */
export function compareAnswers(gold: AnswerNode, pred: AnswerNode, h: CompareHooks, o: CompareOptions, depth = 0): Verdict {
  if (depth > MAX_DEPTH) return false;
  const eq = (x: AnswerNode, y: AnswerNode) => compareAnswers(x, y, h, o, depth + 1);
  if (gold.k === "leaf" && pred.k === "leaf") return leafCompare(gold, pred, h, o);
  // As Math-Verify: an equation answers with its (last) value when the gold is not a relation (`x = 5+6 = 11` vs
  // 11); a gold assignment `x = 3` matches its value.
  if (isEquationChain(pred) && gold.k !== "rel") return eq(gold, answerSide(pred));
  if (isEquationChain(gold) && isVariable(gold.args[0]!) && pred.k !== "rel") return eq(answerSide(gold), pred);
  if (gold.k === "rel" && pred.k === "rel") return compareRelations(collapseAssignment(gold) as typeof gold, collapseAssignment(pred) as typeof pred, h, eq);
  const gs = relAsSet(gold);
  const ps = relAsSet(pred);
  if (gs || ps) return gs && ps ? eq(gs, ps) : gs ? eq(gs, pred) : eq(gold, ps!);
  if (gold.k === "set" || pred.k === "set") {
    const items = (n: AnswerNode) =>
      n.k === "set" || (n.k === "seq" && (n.open === "" || (!o.strict && n.open === "(" && n.close === ")"))) ? n.items : n.k === "leaf" ? [n] : null;
    const a = items(gold);
    const b = items(pred);
    return a && b ? unordered(a, b, eq) : false;
  }
  if (gold.k === "seq" && pred.k === "seq") {
    if (gold.open === "" && pred.open === "") return unordered(gold.items, pred.items, eq);
    // A bare list matches a tuple in order, never an interval with a bracket.
    const bare = gold.open === "" ? pred : pred.open === "" ? gold : null;
    if (bare) return bare.open === "(" && bare.close === ")" ? allPairs(gold.items, pred.items, eq) : false;
    if (gold.open !== pred.open || gold.close !== pred.close) return false;
    return allPairs(gold.items, pred.items, eq);
  }
  if (gold.k === "union" && pred.k === "union") return unordered(gold.items, pred.items, eq);
  if (gold.k === "matrix" || pred.k === "matrix") {
    const flat = (n: AnswerNode): AnswerNode[] | null =>
      n.k === "matrix" ? (n.rows.length === 1 || n.rows.every((r) => r.length === 1) ? n.rows.flat() : null) : n.k === "seq" ? n.items : null;
    if (gold.k === "matrix" && pred.k === "matrix") {
      if (gold.rows.length !== pred.rows.length) return false;
      let v: Verdict = true;
      for (let r = 0; r < gold.rows.length && v !== false; r++) v = and(v, () => allPairs(gold.rows[r]!, pred.rows[r]!, eq));
      return v;
    }
    const a = flat(gold);
    const b = flat(pred);
    return a && b ? allPairs(a, b, eq) : false;
  }
  return false;
}

function compareRelations(
  g: Extract<AnswerNode, { k: "rel" }>,
  p: Extract<AnswerNode, { k: "rel" }>,
  h: CompareHooks,
  eq: (x: AnswerNode, y: AnswerNode) => Verdict,
): Verdict {
  const approx = (n: { ops: RelOp[]; args: AnswerNode[] }) => ({ ops: n.ops.map((x): RelOp => (x === "~" ? "=" : x)), args: n.args });
  const a = approx(orient(g));
  const b = approx(orient(p));
  const sameOps = (x: RelOp[], y: RelOp[]) => x.length === y.length && x.every((o, i) => o === y[i]);
  let v: Verdict = false;
  if (sameOps(a.ops, b.ops)) v = allPairs(a.args, b.args, eq);
  if (v === true) return true;
  // Symmetric relations: a = b ≡ b = a.
  if (a.ops.length === 1 && (a.ops[0] === "=" || a.ops[0] === "!=") && sameOps(a.ops, b.ops)) {
    const w = allPairs(a.args, [...b.args].reverse(), eq);
    if (w === true) return true;
    if (w === null) v = null;
  }
  // Rearranged single relations: 2x = 4 ≡ x - 2 = 0.
  if (a.ops.length === 1 && sameOps(a.ops, b.ops) && ["=", "!=", "<", "<="].includes(a.ops[0]!) && h.proportional) {
    const [l1, r1] = a.args;
    const [l2, r2] = b.args;
    if (l1!.k === "leaf" && r1!.k === "leaf" && l2!.k === "leaf" && r2!.k === "leaf") {
      const w = h.proportional(l1.s, r1.s, l2.s, r2.s, a.ops[0] !== "=" && a.ops[0] !== "!=");
      if (w === true) return true;
      if (w === null) v = null;
    }
  }
  return v;
}

/**
 * Sync leaf comparison: identical strings, plain numbers (exact rationals; rounded to `floatRounding` digits when
 * either is written as a decimal, as Math-Verify's `float_rounding`), and text (a run of three
 * or more letters outside a command, e.g. `Paris`) compared as strings. Anything else is undecided (null).
 */
export function plainLeaf(a: string, b: string, o: Pick<CompareOptions, "floatRounding">): Verdict {
  if (a === b) return true;
  const x = parsePlainNumber(a);
  const y = parsePlainNumber(b);
  if (x && y) return plainNumbersEqual(x, y, isDecimalLiteral(a), isDecimalLiteral(b), o.floatRounding);
  if (isText(a) || isText(b)) return false;
  return null;
}

/** Text answers (words) are compared as strings: `Paris` is not the product P·a·r·i·s. */
export const isText = (s: string): boolean => /(?:^|[^\\a-zA-Z])[a-zA-Z]{3,}|\d\s+\d/.test(s) || s.startsWith("'");


/** Multiple-choice letter of an answer (`C`, `(C)`, `\text{(C)}`, `C)`, `option C`), or null. */
export function choiceLetter(s: string, loose: boolean): string | null {
  const t = s.replace(/^(?:option|choice|answer)\s*:?\s*/i, "").trim();
  const m = loose ? /^[([]?([A-Ea-e])(?:[)\]:.]|$|[)\]]?\s)/.exec(t) : /^\(?([A-E])\)?$/.exec(t);
  return m ? m[1]!.toUpperCase() : null;
}

/**
 * Full decision on two raw answers: normalise, multiple-choice letters, structure, then `compareAnswers`.
 * Returns null when a leaf comparison was undecided by `hooks`.
 */
export function decideAnswer(gold: string, pred: string, hooks: CompareHooks, o: CompareOptions): Verdict {
  const g = normalizeAnswer(gold);
  if (g.latex === "" || g.latex.length > MAX_ANSWER_CHARS) return false;
  const p = normalizeAnswer(pred, { commaNumbers: "list" });
  if (p.latex === "" || p.latex.length > MAX_ANSWER_CHARS) return false;
  if (g.latex === p.latex && g.percent === p.percent) return true;
  const letter = choiceLetter(g.latex, false);
  if (letter !== null) return choiceLetter(p.latex, true) === letter;
  const goldNode = parseAnswer(g.latex, g.percent);
  // The gold's type decides how a comma-number prediction is read: `1,234` / `1,5` are 1234 / 1.5 against a
  // single value, lists against a tuple or set.
  if (goldNode.k === "leaf") p.latex = readCommaNumber(p.latex, "scalar");
  if (g.latex === p.latex && g.percent === p.percent) return true;
  return compareAnswers(goldNode, parseAnswer(p.latex, p.percent), hooks, o);
}
