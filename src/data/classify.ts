/**
 * The classification prompt of Transformer² self-adaptation (Sun et al. 2025, "Transformer²: Self-adaptive LLMs",
 * §3.2 "prompt engineering" strategy and its appendix prompt): the first pass asks the model itself which expert
 * category a query belongs to — one of the seen categories, or "other" when none fits (→ the base weights) — with
 * the answer in `\boxed{…}`. Pure and browser-safe; `adapt/classify.ts` re-exports it, the `t2-classify` task
 * (`tasks/t2-classify.ts`) trains on it and the accuracy reward judges by `parseCategory`.
 */

/** The category meaning "none of the experts" (Transformer² §3.2: the base model answers, α = 0). */
export const OTHER_CATEGORY = "other";

/**
 * The first-pass prompt: classify `query` into one of `categories` or "other", answer in `\boxed{}`.
 * The paper's prompt in spirit (its appendix: "Analyze the given question and classify it into one of four
 * categories … Respond with … \boxed{category}"), short enough for a 256-position character model (~120
 * characters plus the query).
 * @param query the question as a user would ask it (no template applied)
 * @param categories the seen categories (expert names), in expert order
 */
export function classificationPrompt(query: string, categories: readonly string[]): string {
  return `Classify the question into one of the categories ${[...categories, OTHER_CATEGORY].join(", ")}. Put the category in \\boxed{}.\nQuestion: ${query}`;
}

/**
 * The category a first-pass completion chose: the content of its last `\boxed{…}` (balanced braces), trimmed,
 * matched case-insensitively against `categories`; anything else — no box, an unclosed box, an unknown name,
 * "other" — gives `OTHER_CATEGORY`. Never throws.
 * @returns an element of `categories` (as spelled there) or `OTHER_CATEGORY`
 */
export function parseCategory(completion: string, categories: readonly string[]): string {
  if (typeof completion !== "string") return OTHER_CATEGORY;
  const marker = "\\boxed{";
  let at = completion.lastIndexOf(marker);
  // The last box whose braces close (an unclosed last box falls back to an earlier one).
  while (at >= 0) {
    const body = boxBody(completion, at + marker.length);
    if (body !== null) {
      const want = body.trim().toLowerCase();
      return categories.find((c) => c.trim().toLowerCase() === want) ?? OTHER_CATEGORY;
    }
    at = at === 0 ? -1 : completion.lastIndexOf(marker, at - 1);
  }
  return OTHER_CATEGORY;
}

/** Text from `start` up to the brace that closes the one opened just before it, or null when it never closes. */
function boxBody(s: string, start: number): string | null {
  let depth = 1;
  for (let i = start; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}" && --depth === 0) return s.slice(start, i);
  }
  return null;
}
