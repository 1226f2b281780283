/**
 * Unseen tasks of Transformer² self-adaptation (issue 18): never in the T2 model's cold start, each a new problem
 * type rather than a relabelled seen one. `columns.category` is the nearest seen category where one skill covers the
 * task, else `other` (the base weights under the prompt / classifier strategies):
 *
 * - `t2-sum3` (category `arithmetic`): three numbers in one question — "Start with 52, add 19, then take 7." — the
 *   equation first, then two column-by-column operations chained, the intermediate result written after `:`:
 *   `<think>52+19-7,2+9=11,5+1+1=7:71,1-7...</think>`. A harder variant of `t2-arithmetic`.
 * - `t2-composed` (category `other`): a sequence step then an arithmetic step — "Add 5 to the term after 2, 4, 6." —
 *   `<think>6-4=2,6+2=8,8+5=13</think><answer>13</answer>`; it needs two seen skills, so no single expert owns it.
 * - `t2-search-hard` (category `search`, defined with `t2-search`): Countdown over four numbers.
 */
import type { Rng } from "../../core/rng.js";
import { workDifficulty } from "./arithmetic.js";
import { drawProgression, progressionSteps, wordArithmeticSteps } from "./t2-seen.js";
import type { Problem, Task } from "./types.js";

export { t2SearchHardTask } from "./t2-seen.js";

const SUM3_TEMPLATES: readonly { text: string; ops: readonly ["+" | "-", "+" | "-"] }[] = [
  { text: "What is {a}, {b} and {c} all together?", ops: ["+", "+"] },
  { text: "Add {a}, {b} and {c}.", ops: ["+", "+"] },
  { text: "I had {a} coins, found {b} and then {c} more. How many do I have now?", ops: ["+", "+"] },
  { text: "Start with {a}, add {b}, then take {c}.", ops: ["+", "-"] },
  { text: "I had {a} coins, found {b} more and spent {c}. How many are left?", ops: ["+", "-"] },
  { text: "Take {b} from {a}, then add {c}.", ops: ["-", "+"] },
  { text: "From {a} take away {b} and then {c}.", ops: ["-", "-"] },
];

/** `t2-sum3`: a op1 b op2 c over 2-digit numbers (never negative on the way), one of seven phrasings. */
export function t2Sum3Task(): Task {
  return {
    name: "t2-sum3",
    sample(rng: Rng): Problem {
      for (;;) {
        const t = rng.choice(SUM3_TEMPLATES);
        const [a, b, c] = [rng.int(10, 99), rng.int(10, 99), rng.int(10, 99)];
        const [op1, op2] = t.ops;
        const mid = op1 === "+" ? a + b : a - b;
        const target = op2 === "+" ? mid + c : mid - c;
        if (mid < 0 || target < 0) continue;
        const s1 = wordArithmeticSteps(a, op1, b);
        const s2 = wordArithmeticSteps(mid, op2, c);
        return {
          key: `t2-sum3:${a}${op1}${b}${op2}${c}`,
          prompt: t.text.replace("{a}", String(a)).replace("{b}", String(b)).replace("{c}", String(c)),
          solution: `<think>${a}${op1}${b}${op2}${c},${s1.join(",")}:${mid},${s2.join(",")}</think><answer>${target}</answer>`,
          columns: { task: "t2-sum3", category: "arithmetic", target },
          difficulty: workDifficulty([...s1, ...s2]),
        };
      }
    },
  };
}

const COMPOSED_TEMPLATES: readonly { text: string; op: "+" | "-" }[] = [
  { text: "Add {k} to the term after {terms}.", op: "+" },
  { text: "What is the next number in {terms}, plus {k}?", op: "+" },
  { text: "Find what comes after {terms}, then add {k}.", op: "+" },
  { text: "Take {k} from the number that follows {terms}.", op: "-" },
  { text: "What is the next number in {terms}, minus {k}?", op: "-" },
  { text: "Find what comes after {terms}, then subtract {k}.", op: "-" },
];

/** `t2-composed`: the next term of a progression (as `t2-sequence`), then ± k (k in 2..19, result ≥ 0). */
export function t2ComposedTask(): Task {
  return {
    name: "t2-composed",
    sample(rng: Rng): Problem {
      for (;;) {
        const t = rng.choice(COMPOSED_TEMPLATES);
        const { terms, next } = drawProgression(rng);
        const k = rng.int(2, 19);
        const target = t.op === "+" ? next + k : next - k;
        if (target < 0) continue;
        const steps = [...progressionSteps(terms), `${next}${t.op}${k}=${target}`];
        return {
          key: `t2-composed:${terms.join(",")}${t.op}${k}`,
          prompt: t.text.replace("{terms}", terms.join(", ")).replace("{k}", String(k)),
          solution: `<think>${steps.join(",")}</think><answer>${target}</answer>`,
          columns: { task: "t2-composed", category: "other", target },
          difficulty: workDifficulty(steps),
        };
      }
    },
  };
}
