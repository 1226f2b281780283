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
 * - `"chat"`: the model's own chat template (tokenizer_config.json `chat_template`, rendered by
 *   `model/chat-template.ts`) with one user turn = the question + `CHAT_INSTRUCTION`, and the generation prompt
 *   (`add_generation_prompt=true`), as TRL does for conversational data. Needs a model (`rollout/prompt.ts`
 *   `encodePrompt`); `renderPrompt` cannot render it. The default for models that have a chat template.
 */
import { ConfigError } from "../core/errors.js";

export type PromptFormat = "r1-zero" | "compact" | "chat";

/** Valid prompt formats, in registry order. */
export const PROMPT_FORMATS: readonly PromptFormat[] = ["r1-zero", "compact", "chat"];

/**
 * Appended to the question in the user turn of the `chat` format. DeepSeek's usage notes for R1 models: no system
 * prompt, every instruction in the user turn. It asks for the tags the `format` reward checks; the answer goes in
 * `<answer>` tags, which `accuracy` reads.
 */
export const CHAT_INSTRUCTION =
  "Think through the problem step by step inside <think> </think> tags, then give only the final answer inside <answer> </answer> tags.";

/** The user-turn text of the `chat` format: the question, a blank line, then `instruction` (omitted when empty). */
export function chatUserContent(question: string, instruction: string = CHAT_INSTRUCTION): string {
  return instruction === "" ? question : `${question}\n\n${instruction}`;
}

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

/**
 * Render `question` in a plain-text format.
 * @throws ConfigError for `chat`, which needs a model's chat template (use `encodePrompt` in `rollout/prompt.ts`)
 */
export function renderPrompt(format: PromptFormat, question: string): string {
  if (format === "chat") throw new ConfigError("the chat prompt format needs a local model's chat template", { hint: "use r1-zero or compact here, or a chat endpoint API" });
  return format === "r1-zero" ? r1ZeroPrompt(question) : compactPrompt(question);
}
