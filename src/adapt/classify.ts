/**
 * The first pass's classification prompt of Transformer² (Sun et al. 2025, §3.2 "prompt engineering"): the model is
 * asked which of the experts' categories a question belongs to, or "other", and answers in `\boxed{…}`. Pure and
 * browser-safe.
 */

/** The category that routes a query to the base weights (α = 0). */
export const OTHER_CATEGORY = "other";

/** The classification prompt for `query` over `categories` (plus "other"). */
export function classificationPrompt(query: string, categories: readonly string[]): string {
  const names = [...categories, OTHER_CATEGORY].join(", ");
  return `Which kind of question is this: ${names}? Answer in \\boxed{}.\nQuestion: ${query}`;
}

/**
 * The category a classification answer names: the content of its last `\boxed{…}`, trimmed and matched to
 * `categories` case-insensitively; `OTHER_CATEGORY` for anything else. Never throws.
 */
export function parseCategory(completion: string, categories: readonly string[]): string {
  const all = [...String(completion).matchAll(/\\boxed\{([^{}]*)\}/g)];
  const last = all.at(-1)?.[1]?.trim().toLowerCase();
  if (last === undefined) return OTHER_CATEGORY;
  return categories.find((c) => c.toLowerCase() === last) ?? OTHER_CATEGORY;
}
