/**
 * GSM8K self-consistency of the verifier: each reference solution of a GSM8K JSONL file (`question`, `answer`
 * ending in `#### N`) graded against its own gold N by the `math_accuracy` path (extract, then verify). A perfect
 * verifier grades every one correct.
 *
 *   npx tsx bench/verify-gsm8k.ts path/to/gsm8k/test.jsonl [--no-marker]
 *
 * `--no-marker` removes the `#### N` line first: the worked prose alone (currency `$`, `<<…>>` annotations), as a
 * model imitating GSM8K without the marker writes it.
 *
 * The data is not shipped: GSM8K's test split is `grade_school_math/data/test.jsonl` of openai/grade-school-math.
 */
import { readFileSync } from "node:fs";
import { defaultMathVerifier, findMathAnswer, verifyAnswer } from "../src/reward/math/index.js";

const path = process.argv[2];
const noMarker = process.argv.includes("--no-marker");
if (!path) {
  console.error("usage: npx tsx bench/verify-gsm8k.ts <gsm8k test.jsonl>");
  process.exit(2);
}
const rows = readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as { answer: string });
let ok = 0;
const wrong: string[] = [];
for (const r of rows) {
  const gold = r.answer.slice(r.answer.lastIndexOf("####") + 4).trim();
  const text = noMarker ? r.answer.slice(0, r.answer.lastIndexOf("####")).trimEnd() : r.answer;
  const found = findMathAnswer(text, { gold });
  if (found && (await verifyAnswer(gold, found.answer))) ok++;
  else if (wrong.length < 5) wrong.push(`gold ${gold} ← ${found ? `${found.answer} (${found.source})` : "none"}`);
}
console.log(`${ok}/${rows.length} reference solutions verify against their own gold`);
if (wrong.length) console.log(wrong.join("\n"));
await defaultMathVerifier().close();
