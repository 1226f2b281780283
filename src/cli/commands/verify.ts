/**
 * `thinkrl verify "<gold>" "<text>"`: extract the final answer from a completion and verify it against the gold.
 * Exit status as `diff` / `cmp`: 0 equivalent, 1 not equivalent (or no answer found), 2 bad input.
 */
import { ThinkrlError } from "../../core/errors.js";
import { defaultMathVerifier, findMathAnswer, verifyAnswer } from "../../reward/math/index.js";

/** Exit statuses of `thinkrl verify` (as `diff` and `cmp`). */
export const VERIFY_EXIT = { equivalent: 0, different: 1, badInput: 2 } as const;

/**
 * Prints the extracted answer (with where it was found) and the verdict.
 * @returns `VERIFY_EXIT.equivalent` when the extracted answer equals `gold`, else `VERIFY_EXIT.different`
 * @throws ThinkrlError when `gold` is empty (the CLI exits `VERIFY_EXIT.badInput` then)
 */
export async function runVerify(gold: string, text: string): Promise<number> {
  if (gold.trim() === "") throw new ThinkrlError("verify: <gold> is empty", { hint: 'e.g. thinkrl verify "1/2" "the answer is \\boxed{0.5}"' });
  const found = findMathAnswer(text);
  console.log(`extracted: ${found ? `${found.answer}  (from ${found.source})` : "(none)"}`);
  try {
    const ok = found !== null && (await verifyAnswer(gold, found.answer));
    console.log(`gold:      ${gold}`);
    console.log(`verdict:   ${ok ? "correct" : "incorrect"}`);
    return ok ? VERIFY_EXIT.equivalent : VERIFY_EXIT.different;
  } finally {
    await defaultMathVerifier().close();
  }
}
