/**
 * Graded extract-then-verify cases (issue 13), written for thinkrl in the kinds Hugging Face's Math-Verify is built
 * and tested for: [gold answer, completion text, expected verdict, verifier options?]. The completion goes through
 * the reward's full path: `findMathAnswer` (extraction), then `verifyAnswer` (equivalence). Each group has at
 * least 15 cases; at least 30% of all cases are near-miss negatives.
 *
 * Labels follow Math-Verify's semantics (parse both sides, then compare; floats rounded to `float_rounding` = 6
 * digits unless the case sets `floatRounding`), with the thinkrl decisions documented in docs/rewards.md where the
 * two differ or Math-Verify has no rule (a bare `1,5` is read by the gold's type; `x=3, y=-1` matches `(3,-1)`).
 */
/** Verifier options a case sets (Math-Verify's `float_rounding` and `strict`). */
export interface GradedOptions {
  floatRounding?: number;
  strict?: boolean;
}

export type GradedCase = readonly [gold: string, completion: string, want: boolean, opts?: GradedOptions];

const r = String.raw;

export const GRADED: Record<string, readonly GradedCase[]> = {
  /** Thousands separators, decimal commas, currency and units around a number; digits inside words. */
  numbers: [
    ["7425000", "The total is 7,425,000.", true],
    ["1000", "The answer is 1 000", true],
    ["1000.99", "The answer is 1000,99", true],
    ["0.111", "So we get $0,111$.", true],
    ["2.74", "Prix : 2,74 $ au total.", true],
    ["1000.99", "It costs $1,000.99 in total.", true],
    ["5", r`The distance is $\boxed{5\textnormal{ miles}}$.`, true],
    [r`28\%`, "The answer is 28 pct", true],
    [r`28\%`, r`$\boxed{28 percentage}$`, true],
    ["1234", "The answer is 1,234", true],
    ["12.5", "Le résultat est 12,50 €", true],
    ["1250", "The answer is 1,250.", true],
    ["1000", "It weighs 1,000.0 kg", true],
    [r`\{1,5\}`, "The solutions are $1,5$", true],
    ["1.5", "The answer is $1,5$", true],
    ["42", "The answer is 42 apples.", true],
    ["2", "The code is AZYUK2A", false],
    ["5", "We need room B5", false],
    ["1.234", "The answer is 1,234", false],
    ["1234", "The answer is 1.234", false],
    ["1.25", "The answer is 1,250", false],
    ["100", "The answer is 1000", false],
    ["7425000", "The answer is 7,425,00", false],
    ["0.111", "The answer is 0,1111", false],
    ["2.74", "Prix : 2,47 $", false],
  ],
  /** GSM8K-style worked solutions: `<<a*b=c>>` annotations, `$` as a currency sign, the `#### N` marker. */
  gsm8k: [
    ["18", "Mia has 20 - 4 = <<20-4=16>>16 eggs left after breakfast.\nShe sells 16 - 7 = <<16-7=9>>9 eggs at $2 per egg.\nShe makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18", true],
    ["16", "Mia has 20 - 4 = <<20-4=16>>16 eggs left after breakfast.\nShe sells 16 - 7 = <<16-7=9>>9 eggs at $2 per egg.\nShe makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18", false],
    ["70000", "The flat cost $80,000 and the repairs $50,000, so 80,000 + 50,000 = $<<80000+50000=130000>>130,000 in all.\nIt then sold for 80,000 * 2.5 = $<<80000*2.5=200000>>200,000.\nSo the profit was 200,000 - 130,000 = $<<200000-130000=70000>>70,000.\n#### 70000", true],
    ["130000", "The flat cost $80,000 and the repairs $50,000, so 80,000 + 50,000 = $<<80000+50000=130000>>130,000 in all.\nIt then sold for 80,000 * 2.5 = $<<80000*2.5=200000>>200,000.\nSo the profit was 200,000 - 130,000 = $<<200000-130000=70000>>70,000.\n#### 70000", false],
    ["5", "Tom reads 10 pages in 2 hours, so he reads 10 / 2 = <<10/2=5>>5 pages per hour.\n#### 5", true],
    ["0.5", "Each of the 6 slices costs $3 / 6 = $<<3/6=0.5>>0.5.\n#### 0.5", true],
    ["1200", "He saves $100 a month for 12 months: 100 * 12 = $<<100*12=1200>>1,200.\n#### 1,200", true],
    ["-3", "The temperature fell from 5 to 5 - 8 = <<5-8=-3>>-3 degrees.\n#### -3", true],
    ["600", "He earns $15 an hour for 8 hours, so $15 * 8 = $<<15*8=120>>120 a day.\nIn 5 days he earns $120 * 5 = $<<120*5=600>>600.\n#### 600", true],
    ["120", "He earns $15 an hour for 8 hours, so $15 * 8 = $<<15*8=120>>120 a day.\nIn 5 days he earns $120 * 5 = $<<120*5=600>>600.\n#### 600", false],
    ["42", "There are 6 boxes of 7 pens: 6 * 7 = <<6*7=42>>42 pens.\n#### 42.", true],
    ["35", "The meal is $20 and the tip $15, so $20 + $15 = $<<20+15=35>>35.\n#### $35", true],
    ["4500", "The car costs $4,500 after a $500 discount.\n#### 4500", true],
    ["600", "In 5 days he earns 120 * 5 = <<120*5=600>>600 dollars.\n#### 6000", false],
    ["18", "She makes 9 * 2 = $<<9*2=18>>18.\n#### 1.8", false],
    ["24", "A dozen eggs cost $2, so 2 dozen cost 2 * $2 = $<<2*2=4>>4 and she buys 24 eggs.\n#### 24", true],
    ["4", "A dozen eggs cost $2, so 2 dozen cost 2 * $2 = $<<2*2=4>>4 and she buys 24 eggs.\n#### 24", false],
  ],
  /** The final answer of a long solution: last `\boxed`, else last displayed/inline maths, else answer phrases. */
  extraction: [
    ["5", r`First $x = 2$, so $\boxed{2}$ is $x$.` + "\n\n" + r`Then $y = x + 3$ and the answer is $\boxed{5}$.`, true],
    ["2", r`First $x = 2$, so $\boxed{2}$ is $x$.` + "\n\n" + r`Then $y = x + 3$ and the answer is $\boxed{5}$.`, false],
    ["7", "We compute\n\\[ a = 3 \\]\nand then\n\\[ b = a + 4 = 7 \\]", true],
    ["3", "We compute\n\\[ a = 3 \\]\nand then\n\\[ b = a + 4 = 7 \\]", false],
    ["12", "Final Answer: The final answer is $12$. I hope it is correct.", true],
    ["42", "Adding them up, the answer is 42.", true],
    [r`\frac{1}{2}`, r`The probability is $ \frac{1}{2} $.`, true],
    [r`3\sqrt{2}`, r`so the length is \(  3\sqrt{2}  \).`, true],
    ["12.5", r`The ticket costs $\$12.50$.`, true],
    ["0.75", "Final Answer: 3/4", true],
    ["3.5", "**Final Answer**\n\n\\[\n\\boxed{\\dfrac{7}{2}}\n\\]", true],
    ["4", r`We get $x = 4$, so the area is $x^2 = \boxed{16}$.`, false],
    [r`\frac{1}{2}`, r`At first $\frac{1}{2}$, but after the second draw it is $\frac{1}{3}$.`, false],
    ["10", r`Therefore, the final answer is: $\boxed{10}$`, true],
    ["-2", r`The answer is \(\boxed{-2}\).`, true],
    ["5", "Answer: $5$ apples", true],
    ["9", "I think the answer is 8.", false],
    ["6", "Step 1: 2 + 2 = 4.\nStep 2: 4 + 2 = 6.\nSo there are 6 cookies.", true],
    ["4", "Step 1: 2 + 2 = 4.\nStep 2: 4 + 2 = 6.\nSo there are 6 cookies.", false],
  ],
  /** Short texts that are themselves the answer: expressions, tuples, letters, `Answer: B`. */
  bare: [
    [r`2\sqrt{2}`, r`\sqrt{8}`, true],
    [r`\sqrt{8}`, "8", false],
    ["(3,-1)", "(3,-1)", true],
    ["(3,-1)", "(-1,3)", false],
    ["-1", "(3,-1)", false],
    ["B", "B", true],
    ["B", "Answer: B", true],
    ["B", "C", false],
    ["B", "Answer: C", false],
    [r`\frac{1}{2}`, "1/2", true],
    ["x^2+1", "x^2 + 1", true],
    ["x^2+1", "x^2 - 1", false],
    ["(3,-1)", "x=3, y=-1", true],
    ["(3,-1)", "x=-1, y=3", false],
    [r`\pi`, "3.14", false],
    [r`\frac{3}{4}`, r`\dfrac34`, true],
    ["e^{2}", "e^2", true],
    ["10", "100", false],
  ],
  /** Equation chains, approximations, `≠`, inequalities and set relations compared as relations. */
  relations: [
    ["11", "$x = 5+5+1 = 7 = 11$", true],
    ["7", "$x = 5+5+1 = 7 = 11$", false],
    [r`\frac{1}{3}`, r`$x = 1/3 \approx 1.3$`, true],
    ["1.3", r`$x = 1/3 \approx 1.3$`, false],
    ["11", r`$x \approx 11$`, true],
    [r`x \neq 2`, "$x != 2$", true],
    [r`x \neq 2`, "$x ≠ 2$", true],
    [r`x \neq 2`, "$x = 2$", false],
    ["a < b", "$b > a$", true],
    ["a < b", "$a > b$", false],
    [r`x \leq 3`, r`$3 \geq x$`, true],
    ["x < 3", r`$x \leq 3$`, false],
    ["x < 1", "$-x > -1$", true],
    ["x < 1", "$x > -1$", false],
    [r`A \subseteq B`, r`$A \subseteq B$`, true],
    [r`A \subset B`, r`$B \supset A$`, true],
    [r`A \subseteq B`, r`$B \subseteq A$`, false],
    ["2x + z = 1", "$1$", false],
    ["k = 1", "$1$", true],
    ["2x+4y-3=0", r`$y=-\frac{1}{2}x+\frac{3}{4}$`, true],
  ],
  /** Matrices in any environment, matrix sums and products, tuples and intervals with decimals vs fractions. */
  structures: [
    [r`\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}`, r`$\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}$`, true],
    [r`\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}`, r`$\left[\begin{array}{cc} 1 & 2 \\ 3 & 4 \end{array}\right]$`, true],
    [r`\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}`, r`$\begin{pmatrix} 1 & 3 \\ 2 & 4 \end{pmatrix}$`, false],
    [r`\begin{pmatrix} 2 & 2 \\ 4 & 4 \end{pmatrix}`, r`$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix} + \begin{pmatrix} 1 & 0 \\ 1 & 0 \end{pmatrix}$`, true],
    [r`\begin{pmatrix} 2 & 2 \\ 4 & 5 \end{pmatrix}`, r`$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix} + \begin{pmatrix} 1 & 0 \\ 1 & 0 \end{pmatrix}$`, false],
    [r`\begin{pmatrix} 2 & 1 \\ 4 & 3 \end{pmatrix}`, r`$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}\begin{pmatrix} 0 & 1 \\ 1 & 0 \end{pmatrix}$`, true],
    [r`\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}`, r`$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}\begin{pmatrix} 0 & 1 \\ 1 & 0 \end{pmatrix}$`, false],
    [r`\begin{pmatrix} 6 \\ 9 \end{pmatrix}`, r`$3\begin{pmatrix} 2 \\ 3 \end{pmatrix}$`, true],
    [r`(0.5, 0.25)`, r`$\left(\frac{1}{2}, \frac{1}{4}\right)$`, true],
    [r`(0.5, 0.25)`, r`$\left(\frac{1}{4}, \frac{1}{2}\right)$`, false],
    [r`(1,\frac{9}{2})`, "$(1,4.5)$", true],
    [r`(\frac{3}{5},\frac{8}{3}]`, "$(0.6,2.6667]$", true, { floatRounding: 2 }],
    [r`(\frac{3}{5},\frac{8}{3}]`, "$(0.6,2.6667]$", false],
    [r`(\frac{3}{5},\frac{8}{3}]`, "$(0.6,2.6667)$", false, { floatRounding: 2 }],
    [r`\begin{pmatrix} \frac{1}{3} \\ \frac{1}{5} \end{pmatrix}`, r`$\begin{pmatrix} 0.33 \\ 0.2 \end{pmatrix}$`, true, { floatRounding: 2 }],
    [r`\begin{pmatrix} \frac{1}{3} \\ \frac{1}{5} \end{pmatrix}`, r`$\begin{pmatrix} 0.33 \\ 0.2 \end{pmatrix}$`, false],
    [r`[-1, -\frac{1}{2}) \cup (0, 1)`, r`$\boxed{[-1, -\tfrac12) \cup (0, 1)}$`, true],
  ],
  /** Decimals compared after rounding to `floatRounding` digits (Math-Verify's `float_rounding`, default 6). */
  precision: [
    [r`\frac{1}{12}`, "$0.0833333333333333$", true],
    [r`\frac{1}{3}`, "$0.333333$", true],
    [r`\frac{1}{3}`, "$0.333$", false],
    [r`\frac{1}{3}`, "$0.333$", true, { floatRounding: 3 }],
    [r`\frac{1}{3}`, "$0.333$", false, { floatRounding: 4 }],
    [r`\frac{1}{3}`, "$0.3333$", true, { floatRounding: 4 }],
    [r`\frac{2}{3}`, "$0.666667$", true],
    [r`\frac{2}{3}`, "$0.666666$", false],
    [r`\frac{2}{3}`, "$0.67$", true, { floatRounding: 2 }],
    [r`\sqrt{2}`, "$1.414214$", true],
    [r`\sqrt{2}`, "$1.4142$", false],
    [r`\pi`, "$3.141593$", true],
    [r`\pi`, "$3.14$", false],
    [r`\pi`, "$3.14$", true, { floatRounding: 2 }],
    ["0.5", "$0.5000001$", true],
    ["0.5", "$0.500001$", false],
    ["100", "$99.9999999$", true],
    ["1/7", "$0.142857$", true],
    ["1/7", "$0.142858$", false],
  ],
  /** Letter choices and short strings: `\text{(B)}` ≡ `B`, case and punctuation around a letter. */
  choices: [
    ["B", r`$\text{(B)}$`, true],
    [r`\text{(B)}`, "The answer is B.", true],
    ["B", "The answer is (b).", true],
    ["B", "**Answer:** B)", true],
    ["B", "Answer: (B) 12", true],
    ["B", r`$\boxed{B}$`, true],
    ["B", r`$\boxed{\text{B}}$`, true],
    ["C", "The correct option is C.", true],
    ["B", r`$\text{(C)}$`, false],
    ["B", "The answer is (c).", false],
    ["B", "Answer: D", false],
    ["B", "The answer is A. Because B is too small.", false],
    ["D", r`$\boxed{D}$`, true],
    ["D", r`$\boxed{B}$`, false],
    ["E", "Answer: E", true],
    ["A", "Answer: AB", false],
  ],
};

/** All cases with their group. */
export const GRADED_CASES: readonly (readonly [group: string, ...GradedCase])[] = Object.entries(GRADED).flatMap(([g, cs]) => cs.map((c) => [g, ...c] as const));
