/**
 * The browser-safe half of the code-execution reward: finding the program in a completion, reading a row's tests
 * and comparing outputs. Running programs is Node only (`reward.ts`, `sandbox.ts`).
 */

export type CodeLanguage = "python" | "javascript";
export const CODE_LANGUAGES: readonly CodeLanguage[] = ["python", "javascript"];

/** One test: a stdin/stdout pair, or code (asserts) run after the solution in the same program. */
export type CodeTest = { kind: "io"; input: string; output: string } | { kind: "assert"; code: string };

const FENCE_LANG: Readonly<Record<string, CodeLanguage>> = {
  python: "python", py: "python", python3: "python",
  javascript: "javascript", js: "javascript", node: "javascript", nodejs: "javascript",
};

/**
 * Program text and fence language of a completion: the last ``` fenced block inside the last
 * `<answer>…</answer>`, else the last fenced block after `</think>` (or in the whole completion without
 * `</think>`), else the raw `<answer>` content. Null when there is none.
 */
export function extractCode(completion: string): { code: string; fence: CodeLanguage | null } | null {
  const a1 = completion.lastIndexOf("</answer>");
  const a0 = a1 === -1 ? -1 : completion.lastIndexOf("<answer>", a1);
  const answer = a0 === -1 ? null : completion.slice(a0 + "<answer>".length, a1);
  const thinkEnd = completion.lastIndexOf("</think>");
  const afterThink = thinkEnd === -1 ? completion : completion.slice(thinkEnd + "</think>".length);
  for (const region of answer === null ? [afterThink] : [answer, afterThink]) {
    const fences = [...region.matchAll(/```([\w+#.-]*)[^\n]*\n([\s\S]*?)```/g)];
    const last = fences.at(-1);
    if (last) return { code: last[2]!, fence: FENCE_LANG[last[1]!.toLowerCase()] ?? null };
  }
  if (answer !== null && answer.trim() !== "") return { code: answer.trim() + "\n", fence: null };
  return null;
}

/**
 * Tests of a row's `tests` column: an array of `{input, output}` (stdin/stdout) and/or strings (assert code, one
 * test each), `{inputs: string[], outputs: string[]}` (APPS layout), a single assert-code string, or any of these
 * as a JSON string. Null when absent, empty or malformed (→ the row cannot be judged).
 */
export function parseTests(v: unknown): CodeTest[] | null {
  if (typeof v === "string") {
    const t = v.trim();
    if (t.startsWith("[") || t.startsWith("{")) {
      try {
        return parseTests(JSON.parse(t));
      } catch {
        /* not JSON: assert code that starts with a bracket */
      }
    }
    return t === "" ? null : [{ kind: "assert", code: v }];
  }
  if (Array.isArray(v)) {
    const out: CodeTest[] = [];
    for (const x of v) {
      if (typeof x === "string") out.push({ kind: "assert", code: x });
      else if (x !== null && typeof x === "object" && typeof (x as { input?: unknown }).input === "string" && typeof (x as { output?: unknown }).output === "string")
        out.push({ kind: "io", input: (x as { input: string }).input, output: (x as { output: string }).output });
      else return null;
    }
    return out.length === 0 ? null : out;
  }
  if (v !== null && typeof v === "object") {
    const { inputs, outputs } = v as { inputs?: unknown; outputs?: unknown };
    if (Array.isArray(inputs) && Array.isArray(outputs) && inputs.length === outputs.length)
      return parseTests(inputs.map((input, k) => ({ input, output: outputs[k] })));
  }
  return null;
}

/** Output comparison: CRLF → LF, trailing whitespace of each line and trailing blank lines ignored. */
export function normalizeOutput(s: string): string {
  return s.replace(/\r\n?/g, "\n").split("\n").map((l) => l.trimEnd()).join("\n").replace(/\n+$/, "");
}
