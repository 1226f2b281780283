/**
 * Text tokenizer: a thin wrapper over `@huggingface/tokenizers` (tokenizers.js), which reads the same
 * `tokenizer.json` as the Rust `tokenizers` crate (byte-level BPE for Qwen2 / Llama-3).
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { CheckpointError } from "../core/errors.js";
import { loadChatTemplate, type ChatTemplate } from "./chat-template.js";

export interface EncodeOptions {
  /**
   * Add the special tokens `tokenizer(text)` adds in transformers (default false): the `tokenizer.json`
   * post-processor's (e.g. Llama's `TemplateProcessing` putting BOS first), overridden by an explicit
   * `add_bos_token` / `add_eos_token` in tokenizer_config.json (true: BOS first / EOS last even when the
   * post-processor adds none; false: none even when it does). The BOS rule per path: docs/rewards.md, "BOS".
   */
  addSpecialTokens?: boolean;
}

export interface TextTokenizer {
  /**
   * Token ids of `text`. By default no BOS/EOS or other special tokens are added (special-token text is still
   * matched), as transformers' `tokenizer(text, add_special_tokens=False)`; `{ addSpecialTokens: true }` is
   * `tokenizer(text)`.
   */
  encode(text: string, opts?: EncodeOptions): number[];
  /** Text of `ids`; `skipSpecialTokens` drops special tokens (default false). Empty `ids` give "". */
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** 1 + the largest token id (model vocabulary plus added tokens); may be below the model's `vocabSize`. */
  vocabSize: number;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** The `tokenizer.json` object this tokenizer was built from (for saving it back). */
  readonly json: unknown;
  /** The `tokenizer_config.json` object it was built with (for saving it back); null/absent when none. */
  readonly config?: Record<string, unknown> | null;
  /** The model's chat template (`chat_template`); null/absent when it has none (base models may have none). */
  readonly chatTemplate?: ChatTemplate | null;
}

/**
 * Builds a tokenizer from a parsed `tokenizer.json` and optional `tokenizer_config.json`.
 *
 * `clean_up_tokenization_spaces` defaults to false (tokenizers.js defaults to true, which rewrites " ." to "."
 * on decode and breaks exact round trips); a value in `tokenizerConfig` wins.
 * @param chatTemplateJinja text of a `chat_template.jinja` file, which wins over tokenizer_config's `chat_template`
 * @throws CheckpointError when the JSON is not a tokenizer tokenizers.js can build, or `chat_template` is malformed
 *   (the template itself is parsed on first use).
 */
export function loadTokenizer(tokenizerJson: unknown, tokenizerConfig?: unknown, chatTemplateJinja?: string | null): TextTokenizer {
  if (tokenizerJson === null || typeof tokenizerJson !== "object" || Array.isArray(tokenizerJson)) {
    throw new CheckpointError("tokenizer.json: expected a JSON object");
  }
  const cfg = tokenizerConfig !== null && typeof tokenizerConfig === "object" ? (tokenizerConfig as Record<string, unknown>) : {};
  // tokenizers.js requires these keys to exist (null allowed); real files always have them.
  const json: Record<string, unknown> = {
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    added_tokens: [],
    ...(tokenizerJson as Record<string, unknown>),
  };
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, { clean_up_tokenization_spaces: false, ...cfg });
  } catch (e) {
    throw new CheckpointError(`tokenizer.json: cannot build tokenizer (${(e as Error).message})`, { cause: e });
  }
  let maxId = -1;
  for (const id of tok.get_vocab(true).values()) maxId = Math.max(maxId, id);

  const specialId = (key: string): number | undefined => {
    const v = cfg[key];
    const content = typeof v === "string" ? v : v !== null && typeof v === "object" && typeof (v as { content?: unknown }).content === "string" ? (v as { content: string }).content : undefined;
    return content === undefined ? undefined : tok.token_to_id(content);
  };
  const bosId = specialId("bos_token");
  const eosId = specialId("eos_token");
  /** `tokenizer(text)`: the post-processor, then an explicit add_bos_token / add_eos_token (transformers' rule). */
  const encodeSpecial = (text: string): number[] => {
    const plain = tok.encode(text, { add_special_tokens: false }).ids;
    let ids = [...tok.encode(text, { add_special_tokens: true }).ids];
    // Special tokens the post-processor added: its output is longer than the text's own tokens.
    if (bosId !== undefined && cfg.add_bos_token === false && ids.length > plain.length && ids[0] === bosId) ids = ids.slice(1);
    if (eosId !== undefined && cfg.add_eos_token === false && ids.length > plain.length && ids.at(-1) === eosId) ids = ids.slice(0, -1);
    if (bosId !== undefined && cfg.add_bos_token === true && ids[0] !== bosId) ids.unshift(bosId);
    if (eosId !== undefined && cfg.add_eos_token === true && ids.at(-1) !== eosId) ids.push(eosId);
    return ids;
  };

  return {
    encode: (text, opts = {}) => (opts.addSpecialTokens ? encodeSpecial(text) : tok.encode(text, { add_special_tokens: false }).ids),
    decode: (ids, opts = {}) => (ids.length === 0 ? "" : tok.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? false })),
    vocabSize: maxId + 1,
    tokenToId: (token) => tok.token_to_id(token),
    idToToken: (id) => tok.id_to_token(id),
    json: tokenizerJson,
    config: tokenizerConfig !== null && typeof tokenizerConfig === "object" && !Array.isArray(tokenizerConfig) ? cfg : null,
    chatTemplate: loadChatTemplate(cfg, chatTemplateJinja),
  };
}

/**
 * A `tokenizer.json` for a tiny character-level vocabulary, loadable by tokenizers.js and the Rust
 * `tokenizers` crate alike.
 *
 * Ids: `specialTokens` get 0..k-1 (registered as special added tokens, so "<think>" is one token and never
 * split), then one id per char of `chars` in order. The model is a BPE with no merges and no pre-tokenizer, so
 * every character of plain text maps to its own token; characters not in `chars` are dropped (no unk token).
 * The `Fuse` decoder concatenates tokens without inserting spaces, so decode(encode(s)) === s for text drawn
 * from `chars` and the special tokens.
 * @throws CheckpointError on duplicate tokens, empty special tokens or entries of `chars` that are not single
 *   characters.
 */
export function buildCharTokenizerJson(chars: string[], specialTokens: string[]): unknown {
  const vocab: Record<string, number> = {};
  const addedTokens: unknown[] = [];
  const add = (token: string): number => {
    if (Object.hasOwn(vocab, token)) throw new CheckpointError(`buildCharTokenizerJson: duplicate token ${JSON.stringify(token)}`);
    const id = Object.keys(vocab).length;
    vocab[token] = id;
    return id;
  };
  for (const s of specialTokens) {
    if (s.length === 0) throw new CheckpointError("buildCharTokenizerJson: empty special token");
    const id = add(s);
    addedTokens.push({ id, content: s, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  for (const c of chars) {
    if ([...c].length !== 1) throw new CheckpointError(`buildCharTokenizerJson: ${JSON.stringify(c)} is not a single character`);
    add(c);
  }
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: "Fuse" },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
}
