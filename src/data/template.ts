/**
 * Prompt formats: how a question is turned into the text the policy continues.
 *
 * - `"r1-zero"`: the plain (non-chat) DeepSeek-R1-Zero template (DeepSeek-R1 §2.2.3, Table 1): a preamble
 *   saying a User/Assistant conversation follows, that the assistant reasons first and then answers, with
 *   the reasoning in `<think> </think>` and the answer in `<answer> </answer>`; then `User: {question}` and
 *   `Assistant:`. Generation starts right after `Assistant:`. Use it with pretrained base models.
 * - `"compact"`: the question itself, unchanged. For the embedded tiny character-level model, whose input is
 *   BOS + question and whose completion is `<think>…</think><answer>…</answer>` + EOS (its vocabulary has
 *   no room for an English preamble). The tags are learned in the SFT cold start from worked solutions.
 */

export type PromptFormat = "r1-zero" | "compact";

/** Valid prompt formats, in registry order. */
export const PROMPT_FORMATS: readonly PromptFormat[] = ["r1-zero", "compact"];

/** DeepSeek-R1-Zero-style plain prompt for `question`; ends with `Assistant:` (no trailing space). */
export function r1ZeroPrompt(question: string): string {
  return (
    "A conversation between User and Assistant follows. The User asks a question and the Assistant solves it. " +
    "The Assistant first thinks through the reasoning process and then gives the User the answer. " +
    "The reasoning process is enclosed in <think> </think> tags and the answer in <answer> </answer> tags, " +
    "i.e. <think> reasoning process here </think> <answer> answer here </answer>.\n" +
    `User: ${question}\n` +
    "Assistant:"
  );
}

/** The question unchanged (the tiny model adds BOS itself and completes with tags + EOS). */
export function compactPrompt(question: string): string {
  return question;
}

/** Render `question` in the given format. */
export function renderPrompt(format: PromptFormat, question: string): string {
  return format === "r1-zero" ? r1ZeroPrompt(question) : compactPrompt(question);
}
