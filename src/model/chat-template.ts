/**
 * Chat templates: the Jinja `chat_template` of a Hugging Face `tokenizer_config.json` (or `chat_template.jinja`),
 * rendered with the maintained `@huggingface/jinja` interpreter the way `transformers`'
 * `PreTrainedTokenizerBase.apply_chat_template(messages, tokenize=False, add_generation_prompt=…, **kwargs)` does:
 * variables `messages`, `add_generation_prompt`, the special-token strings (`bos_token`, `eos_token`, …) and any
 * extra template kwargs (e.g. Qwen3's `enable_thinking`); globals `raise_exception` and `strftime_now`; Jinja
 * `trim_blocks` and `lstrip_blocks` on. Checked against `transformers` 5.17 renderings in
 * `test/fixtures/tokenizers/reference.json` (`scripts/tokenizer_reference.py`).
 */
import { Template } from "@huggingface/jinja";
import { CheckpointError, ThinkrlError } from "../core/errors.js";

/** One chat turn as chat templates read it (`role` is usually system | user | assistant | tool). */
export interface ChatTurn {
  role: string;
  content: string;
  [key: string]: unknown;
}

export interface ChatRenderOptions {
  /** End with the header of an assistant turn, so generation starts the reply (transformers' name). Default false. */
  addGenerationPrompt?: boolean;
  /** More template variables, by their template names, e.g. `{ enable_thinking: false }` for Qwen3. */
  kwargs?: Record<string, unknown>;
}

/** Special-token fields of tokenizer_config.json that transformers exposes to templates (`special_tokens_map`). */
const SPECIAL_TOKEN_FIELDS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] as const;

/**
 * Text of a special-token field of tokenizer_config.json: a string, or an AddedToken object
 * `{"__type": "AddedToken", "content": "<｜begin▁of▁sentence｜>", …}`; undefined for null/absent/other.
 */
export function specialTokenText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v !== null && typeof v === "object" && typeof (v as { content?: unknown }).content === "string") return (v as { content: string }).content;
  return undefined;
}

/**
 * The template source of a tokenizer_config.json `chat_template` value: a string, or the list form
 * `[{name: "default", template: "…"}, {name: "tool_use", …}]` (the entry named `name`, default "default").
 * @returns the source, or null when the config has no `chat_template`
 * @throws CheckpointError when `chat_template` is neither form, or the list has no entry called `name`
 */
export function chatTemplateSource(tokenizerConfig: unknown, name = "default"): string | null {
  if (tokenizerConfig === null || typeof tokenizerConfig !== "object") return null;
  const t = (tokenizerConfig as { chat_template?: unknown }).chat_template;
  if (t === undefined || t === null) return null;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const named = t.filter((e): e is { name: string; template: string } => e !== null && typeof e === "object" && typeof e.name === "string" && typeof e.template === "string");
    const hit = named.find((e) => e.name === name);
    if (hit) return hit.template;
    throw new CheckpointError(`tokenizer_config.json: chat_template has no template named "${name}" (has: ${named.map((e) => e.name).join(", ") || "none"})`);
  }
  throw new CheckpointError("tokenizer_config.json: chat_template must be a string or a list of {name, template}");
}

/** A parsed chat template plus the special-token strings it is rendered with. */
export class ChatTemplate {
  #parsed: Template | null = null;
  readonly #specialTokens: Record<string, unknown>;

  /**
   * @param source Jinja source (`chat_template`)
   * @param tokenizerConfig the tokenizer_config.json object its special tokens come from (may be undefined)
   */
  constructor(
    readonly source: string,
    tokenizerConfig?: unknown,
  ) {
    const cfg = tokenizerConfig !== null && typeof tokenizerConfig === "object" ? (tokenizerConfig as Record<string, unknown>) : {};
    const tokens: Record<string, unknown> = {};
    for (const f of SPECIAL_TOKEN_FIELDS) {
      const s = specialTokenText(cfg[f]);
      if (s !== undefined) tokens[f] = s;
    }
    if (Array.isArray(cfg.additional_special_tokens)) {
      tokens.additional_special_tokens = cfg.additional_special_tokens.map(specialTokenText).filter((s) => s !== undefined);
    }
    this.#specialTokens = tokens;
  }

  /**
   * Renders `messages` (transformers' `apply_chat_template(..., tokenize=False)`).
   * @throws CheckpointError when the template does not parse; ThinkrlError with the template's message when it
   *   calls `raise_exception` (e.g. "Conversation roles must alternate") or fails while rendering
   */
  render(messages: readonly ChatTurn[], opts: ChatRenderOptions = {}): string {
    if (this.#parsed === null) {
      try {
        this.#parsed = new Template(this.source);
      } catch (e) {
        throw new CheckpointError(`chat_template does not parse: ${(e as Error).message}`, { cause: e });
      }
    }
    try {
      return this.#parsed.render({
        ...this.#specialTokens,
        ...opts.kwargs,
        messages: messages.map((m) => ({ ...m })),
        add_generation_prompt: opts.addGenerationPrompt ?? false,
      });
    } catch (e) {
      throw new ThinkrlError(`chat template: ${(e as Error).message}`, { cause: e });
    }
  }
}

/**
 * The chat template of a model: `chat_template.jinja` text when given (newer `transformers` save the template
 * there, and it wins over tokenizer_config.json, as in transformers), else tokenizer_config.json's `chat_template`.
 * @returns null when the model has none
 * @throws CheckpointError as `chatTemplateSource`
 */
export function loadChatTemplate(tokenizerConfig: unknown, jinjaFile?: string | null): ChatTemplate | null {
  const source = jinjaFile ?? chatTemplateSource(tokenizerConfig);
  return source === null ? null : new ChatTemplate(source, tokenizerConfig);
}

/**
 * When a rendered generation prompt leaves a `<think>` block open (DeepSeek-R1-Distill's template ends with
 * `<｜Assistant｜><think>\n`; Qwen3-2507-Thinking's with `<think>\n`), the text from that `<think>` on: the
 * completion continues inside the block and lacks the opening tag, so rewards must read `prefix + completion`.
 * Only the part the generation prompt added is searched (`withGen` minus the common prefix with `withoutGen`), so
 * a `<think>` inside the user's question never counts. A closed block (Qwen3 with `enable_thinking=false`:
 * `<think>\n\n</think>\n\n`) gives "".
 * @param withGen the conversation rendered with `add_generation_prompt=true`
 * @param withoutGen the same conversation rendered with `add_generation_prompt=false`
 */
export function openThinkPrefix(withGen: string, withoutGen: string): string {
  let i = 0;
  while (i < withGen.length && i < withoutGen.length && withGen[i] === withoutGen[i]) i++;
  const added = withGen.slice(i);
  const open = added.lastIndexOf("<think>");
  return open !== -1 && added.indexOf("</think>", open) === -1 ? added.slice(open) : "";
}
