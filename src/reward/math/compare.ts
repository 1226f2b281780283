/**
 * Structure of a normalised answer (relations, sets, tuples/intervals, unions, matrices, plain expressions) and
 * the equivalence rules between structures. Leaves (single expressions) are compared by a callback: the sync
 * fast path decides plain numbers and text only; the worker adds symbolic comparison (see `symbolic.ts`).
 * Pure functions; never throw on any input string.
 */
import { MAX_ANSWER_CHARS, matchGroup, normalizeAnswer } from "./normalize.js";
import { parsePlainNumber, rationalCompare } from "./numbers.js";

export type RelOp = "=" | "<" | "<=" | ">" | ">=" | "!=" | "in";

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
}

/** Deepest nesting parsed; deeper answers are rejected (never compared). */
const MAX_DEPTH = 24;

const REL_TOKENS: [string, RelOp][] = [
  ["\\leq", "<="],
  ["\\geq", ">="],
  ["\\neq", "!="],
  ["\\approx", "="],
  ["\\in", "in"],
  ["<=", "<="],
  [">=", ">="],
  ["<", "<"],
  [">", ">"],
  ["=", "="],
];

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

/** Parse a normalised answer into its structure. Never throws; pathological input becomes a leaf. */
export function parseAnswer(s: string, percent = false, depth = 0): AnswerNode {
  s = s.trim();
  if (depth > MAX_DEPTH || s === "") return leafOf(s, percent);
  const mat = /^\\begin\{([pbBvV]?matrix|smallmatrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/.exec(s);
  if (mat) {
    const rows = splitTop(mat[2]!, ["\\\\"]).parts.filter((r) => r !== "");
    return { k: "matrix", rows: rows.map((r) => splitTop(r, ["&"]).parts.map((c) => parseAnswer(c, false, depth + 1))) };
  }
  const union = splitTop(s, ["\\cup"]);
  if (union.parts.length > 1) return { k: "union", items: union.parts.map((p) => parseAnswer(p, false, depth + 1)) };
  const rel = splitTop(s, REL_TOKENS.map(([t]) => t));
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

/** Flip `>`/`>=` chains into `<`/`<=` by reversing the arguments. */
function orient(n: Extract<AnswerNode, { k: "rel" }>): { ops: RelOp[]; args: AnswerNode[] } {
  if (n.ops.every((o) => o === ">" || o === ">=")) {
    return { ops: n.ops.map((o) => (o === ">" ? "<" : "<=")).reverse(), args: [...n.args].reverse() };
  }
  return { ops: n.ops, args: n.args };
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
  // x = 3 vs 3 (either side), when the other side is not an equation.
  for (const [a, b, swap] of [
    [gold, pred, false],
    [pred, gold, true],
  ] as const) {
    if (a.k === "rel" && a.ops.length === 1 && a.ops[0] === "=" && isVariable(a.args[0]!) && !(b.k === "rel")) {
      return swap ? eq(b, a.args[1]!) : eq(a.args[1]!, b);
    }
  }
  if (gold.k === "rel" && pred.k === "rel") return compareRelations(gold, pred, h, eq);
  const gs = relAsSet(gold);
  const ps = relAsSet(pred);
  if (gs || ps) return gs && ps ? eq(gs, ps) : gs ? eq(gs, pred) : eq(gold, ps!);
  if (gold.k === "set" || pred.k === "set") {
    const items = (n: AnswerNode) => (n.k === "set" || (n.k === "seq" && n.open === "") ? n.items : n.k === "leaf" ? [n] : null);
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
  const a = orient(g);
  const b = orient(p);
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
  if (a.ops.length === 1 && sameOps(a.ops, b.ops) && a.ops[0] !== "in" && h.proportional) {
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
 * Sync leaf comparison: identical strings, exact rational equality of plain numbers, and text (a run of three
 * or more letters outside a command, e.g. `Paris`) compared as strings. Anything else is undecided (null).
 */
export function plainLeaf(a: string, b: string): Verdict {
  if (a === b) return true;
  const x = parsePlainNumber(a);
  const y = parsePlainNumber(b);
  if (x && y) return rationalCompare(x, y) === 0;
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
  const p = normalizeAnswer(pred);
  if (g.latex === "" || p.latex === "" || g.latex.length > MAX_ANSWER_CHARS || p.latex.length > MAX_ANSWER_CHARS) return false;
  if (g.latex === p.latex && g.percent === p.percent) return true;
  const letter = choiceLetter(g.latex, false);
  if (letter !== null) return choiceLetter(p.latex, true) === letter;
  return compareAnswers(parseAnswer(g.latex, g.percent), parseAnswer(p.latex, p.percent), hooks, o);
}
