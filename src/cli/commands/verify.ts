/** `thinkrl verify "<gold>" "<text>"`: extract the final answer from a completion and verify it against the gold. */
import { defaultMathVerifier, findMathAnswer, verifyAnswer } from "../../reward/math/index.js";

/** Prints the extracted answer (with where it was found) and the verdict. */
export async function runVerify(gold: string, text: string): Promise<void> {
  const found = findMathAnswer(text);
  console.log(`extracted: ${found ? `${found.answer}  (from ${found.source})` : "(none)"}`);
  try {
    const ok = found !== null && (await verifyAnswer(gold, found.answer));
    console.log(`gold:      ${gold}`);
    console.log(`verdict:   ${ok ? "correct" : "incorrect"}`);
  } finally {
    await defaultMathVerifier().close();
  }
}
