/**
 * `thinkrl verify "<gold>" "<text>"`: extract the final answer from a completion and verify it against the gold.
 * Exit status as `diff` / `cmp`: 0 equivalent, 1 not equivalent (or no answer found), 2 bad input.
 */
import { ConfigError, ThinkrlError } from "../../core/errors.js";
import { defaultMathVerifier, findMathAnswer, resolveVerifyOptions, verifyAnswer } from "../../reward/math/index.js";

/** Exit statuses of `thinkrl verify` (as `diff` and `cmp`). */
export const VERIFY_EXIT = { equivalent: 0, different: 1, badInput: 2 } as const;

/** Where an extracted answer came from, in words (the extraction rule that fired). */
const SOURCE_WORDS: Record<string, string> = {
  boxed: "the last \\boxed{}",
  answer_tag: "the last <answer> tag",
  gsm8k: "GSM8K's #### marker",
  final_answer: 'a "final answer is" / "Answer:" phrase',
  last_math: "the last maths span",
  bare: "the whole text (a bare expression)",
  choice: "a letter choice in the text",
  last_number: "the last number",
};

export interface RunVerifyOptions {
  /** Math-Verify's `float_rounding` (default 6). */
  floatRounding?: number;
  /** Math-Verify's `strict` (default true). */
  strict?: boolean;
  /** Extract the answer from `text` (default true); false compares `text` itself as the answer. */
  extract?: boolean;
}

/**
 * Prints the extracted answer, the rule that found it, and the verdict.
 * @returns `VERIFY_EXIT.equivalent` when the extracted answer equals `gold`, else `VERIFY_EXIT.different`
 * @throws ThinkrlError when `gold` is empty or an option is invalid (the CLI exits `VERIFY_EXIT.badInput` then)
 */
export async function runVerify(gold: string, text: string, opts: RunVerifyOptions = {}): Promise<number> {
  if (gold.trim() === "") throw new ThinkrlError("verify: <gold> is empty", { hint: 'e.g. thinkrl verify "1/2" "the answer is \\boxed{0.5}"' });
  let o;
  try {
    o = resolveVerifyOptions({ floatRounding: opts.floatRounding, strict: opts.strict });
  } catch (e) {
    throw e instanceof ConfigError ? new ThinkrlError(e.message.replace(/^verify: floatRounding/, "--float-rounding")) : e;
  }
  const found = opts.extract === false ? (text.trim() === "" ? null : { answer: text.trim(), source: "given" }) : findMathAnswer(text, { gold });
  const where = found ? (SOURCE_WORDS[found.source] ?? "the text as given (--no-extract)") : "";
  console.log(`extracted: ${found ? `${found.answer}  (rule: ${found.source}, ${where})` : "(none)"}`);
  try {
    const ok = found !== null && (await verifyAnswer(gold, found.answer, o));
    console.log(`gold:      ${gold}`);
    console.log(`verdict:   ${ok ? "correct" : "incorrect"}${o.floatRounding !== 6 || !o.strict ? `  (floatRounding ${o.floatRounding}, strict ${o.strict})` : ""}`);
    return ok ? VERIFY_EXIT.equivalent : VERIFY_EXIT.different;
  } finally {
    await defaultMathVerifier().close();
  }
}
