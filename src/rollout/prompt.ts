/**
 * Prompt text → token ids for a model: the prompt template (`data/template.ts`) or the model's chat template
 * (`model/chat-template.ts`), then the tokenizer.
 *
 * Special tokens: for the plain formats BOS is prepended for models that expect it (Llama family; Qwen2 has none —
 * its tokenizer adds no BOS). For `chat` nothing is added: the template writes BOS itself where the model wants
 * one (`{{ bos_token }}`), and the rendered text is tokenized as is — as transformers' `apply_chat_template`
 * does — so BOS is never doubled.
 */
import { chatUserContent, CHAT_INSTRUCTION, r1ZeroPrompt, renderPrompt, type PromptFormat } from "../data/template.js";
import { CheckpointError, DatasetError } from "../core/errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import { openThinkPrefix, type ChatTurn } from "../model/chat-template.js";

/** Options of the `chat` format (ignored by the plain formats). */
export interface ChatPromptOptions {
  /** A system turn before the question (default: none — DeepSeek advises none for R1 models). */
  systemPrompt?: string;
  /** Text appended to the question in the user turn (default `CHAT_INSTRUCTION`; "" for none). */
  instruction?: string;
  /**
   * Qwen3's `enable_thinking` template switch (false: the template writes an empty, closed think block). Left
   * undefined, the template's own default applies (thinking on). Templates that do not read it ignore it.
   */
  enableThinking?: boolean;
}

/** A prompt ready for generation. */
export interface EncodedPrompt {
  /** Token ids (BOS included where the model wants one). */
  ids: number[];
  /** The prompt text the ids encode (BOS text included only when a chat template wrote it). */
  text: string;
  /**
   * Text the prompt already opened for the completion: `"<think>\n"` when a chat template's generation prompt
   * ends inside an unclosed `<think>` (DeepSeek-R1-Distill), else "". Rewards read `completionPrefix + completion`
   * (`withCompletionPrefix`), or the `format` reward would score 0 for a well-formed reply.
   */
  completionPrefix: string;
}

/**
 * Encodes `question` for `model` in `format`, with the completion prefix the prompt leaves open.
 * @throws DatasetError when the compact format's vocabulary cannot spell the question
 * @throws CheckpointError when `format` is `chat` and the model has no chat template
 * @throws ThinkrlError when the chat template raises (`raise_exception`)
 */
export function preparePrompt(model: CausalLM, format: PromptFormat, question: string, chat: ChatPromptOptions = {}): EncodedPrompt {
  if (format === "chat") return prepareChat(model, question, chat);
  const text = renderPrompt(format, question);
  const ids = model.tokenizer.encode(text);
  // Small vocabularies (the embedded model's) silently drop characters they lack: refuse instead of training on
  // a different prompt than the data says.
  if (format === "compact" && model.tokenizer.decode(ids) !== text) {
    throw new DatasetError(`prompt ${JSON.stringify(question.slice(0, 60))} has characters the model's vocabulary cannot encode`, {
      hint: "the embedded model reads digits, + - * / ( ) = , : only; use --model with a real tokenizer for text",
    });
  }
  const bos = model.config.bosTokenId;
  const withBos = model.config.modelType === "llama" && bos !== null && ids[0] !== bos ? [bos, ...ids] : ids;
  return { ids: withBos, text, completionPrefix: "" };
}

function prepareChat(model: CausalLM, question: string, o: ChatPromptOptions): EncodedPrompt {
  const template = model.tokenizer.chatTemplate;
  if (!template) {
    throw new CheckpointError("the chat prompt format needs a chat template, and this model's tokenizer_config.json has none", {
      hint: `use --format ${defaultPromptFormat(model)} for this model`,
    });
  }
  const messages: ChatTurn[] = [];
  if (o.systemPrompt !== undefined && o.systemPrompt !== "") messages.push({ role: "system", content: o.systemPrompt });
  messages.push({ role: "user", content: chatUserContent(question, o.instruction ?? CHAT_INSTRUCTION) });
  const kwargs = o.enableThinking === undefined ? {} : { enable_thinking: o.enableThinking };
  const text = template.render(messages, { addGenerationPrompt: true, kwargs });
  const bare = template.render(messages, { addGenerationPrompt: false, kwargs });
  return { ids: model.tokenizer.encode(text), text, completionPrefix: openThinkPrefix(text, bare) };
}

/** `preparePrompt(...).ids`: the prompt's token ids. Throws as `preparePrompt`. */
export function encodePrompt(model: CausalLM, format: PromptFormat, question: string, chat: ChatPromptOptions = {}): number[] {
  return preparePrompt(model, format, question, chat).ids;
}

/**
 * Completions as rewards must read them: `prefixes[i] + text` for completion i (see
 * `EncodedPrompt.completionPrefix`). Returns the same objects when every prefix is "".
 */
export function withCompletionPrefix<C extends { text: string }>(comps: C[], prefixes: readonly string[]): C[] {
  if (prefixes.every((p) => p === "")) return comps;
  return comps.map((c, i) => ((prefixes[i] ?? "") === "" ? c : { ...c, text: prefixes[i] + c.text }));
}

/**
 * Stop strings for a prompt format: the R1-Zero template and the chat format's instruction end the answer with
 * `</answer>` (real models may go on after it; the `format` reward wants nothing after it anyway); a chat turn
 * otherwise ends with the model's end-of-turn token, which is in its EOS set (`model/generation-config.ts`). The
 * compact format's model ends with EOS by itself.
 */
export function stopStringsFor(format: PromptFormat): string[] {
  return format === "compact" ? [] : ["</answer>"];
}

/**
 * The prompt format a model can read when none is given:
 * - `chat` when its tokenizer has a chat template (as TRL formats conversational data with the chat template;
 *   instruct and R1-distilled models only follow their own turn format). Base models that ship a template
 *   (Qwen2.5 base does) get it too: pass `r1-zero` to reproduce R1-Zero's plain template exactly;
 * - else `r1-zero` if the tokenizer encodes the template text faithfully (any real BPE tokenizer) and the
 *   template takes at most half the model's positions;
 * - else `compact` (e.g. the embedded model's 26-token vocabulary, which cannot spell the template's words, or the
 *   Transformer² model's character vocabulary, which can but would spend ~430 of its 256 positions on it).
 */
export function defaultPromptFormat(model: CausalLM): PromptFormat {
  if (model.tokenizer.chatTemplate) return "chat";
  const probe = r1ZeroPrompt("12+34");
  const ids = model.tokenizer.encode(probe);
  const positions = model.config?.maxPositionEmbeddings ?? Infinity; // (test doubles may carry no config)
  return model.tokenizer.decode(ids) === probe && ids.length <= positions / 2 ? "r1-zero" : "compact";
}
