/**
 * `generation_config.json` (transformers `GenerationConfig`): the model's own generation defaults, and the
 * model's effective end-of-sequence set.
 *
 * Why the EOS union matters: Qwen2.5-*-Instruct's config.json says `eos_token_id: 151643` (`<|endoftext|>`) while
 * its generation_config.json says `[151645, 151643]`; a chat turn ends with `<|im_end|>` = 151645, so generation
 * that only knew config.json would never stop. transformers' `generate` reads generation_config.json; we stop at
 * the union of both (plus tokenizer_config.json's `eos_token`), which is never narrower.
 */
import { CheckpointError } from "../core/errors.js";
import type { ModelConfig } from "./config.js";

/** The fields of generation_config.json thinkrl uses; absent fields are undefined (no defaults invented here). */
export interface GenerationConfig {
  /** `eos_token_id` (one id or a list in the file); [] when absent. */
  eosTokenId: number[];
  bosTokenId?: number;
  padTokenId?: number;
  /** `do_sample`: false means greedy decoding in transformers, whatever `temperature` says. */
  doSample?: boolean;
  temperature?: number;
  topP?: number;
  /** `top_k`; 0 = off. transformers' default is 50 when the file omits it (we do not apply that default). */
  topK?: number;
  maxNewTokens?: number;
}

/**
 * Parses a generation_config.json object.
 * @throws CheckpointError naming the field when a present field has the wrong type or range (`eos_token_id` not a
 *   non-negative integer or list of them, `temperature` < 0, `top_p` outside (0, 1], `top_k`/`max_new_tokens`
 *   not a non-negative integer)
 */
export function parseGenerationConfig(json: unknown, source = "generation_config.json"): GenerationConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new CheckpointError(`${source}: expected a JSON object`);
  const j = json as Record<string, unknown>;
  const fail = (field: string, want: string): never => {
    throw new CheckpointError(`${source}: ${field} must be ${want} (got ${JSON.stringify(j[field])})`);
  };
  const isId = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  const id = (f: string): number | undefined => (j[f] === undefined || j[f] === null ? undefined : isId(j[f]) ? j[f] : fail(f, "a token id"));
  const num = (f: string, ok: (x: number) => boolean, want: string): number | undefined =>
    j[f] === undefined || j[f] === null ? undefined : typeof j[f] === "number" && ok(j[f]) ? j[f] : fail(f, want);

  const eos = j.eos_token_id;
  let eosTokenId: number[] = [];
  if (Array.isArray(eos)) eosTokenId = eos.every(isId) ? [...eos] : fail("eos_token_id", "a token id or a list of token ids");
  else if (eos !== undefined && eos !== null) eosTokenId = isId(eos) ? [eos] : fail("eos_token_id", "a token id or a list of token ids");
  if (j.do_sample !== undefined && j.do_sample !== null && typeof j.do_sample !== "boolean") fail("do_sample", "true or false");
  const out: GenerationConfig = { eosTokenId };
  const set = <K extends keyof GenerationConfig>(k: K, v: GenerationConfig[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set("bosTokenId", id("bos_token_id"));
  set("padTokenId", id("pad_token_id"));
  set("doSample", (j.do_sample ?? undefined) as boolean | undefined);
  set("temperature", num("temperature", (x) => x >= 0, "≥ 0"));
  set("topP", num("top_p", (x) => x > 0 && x <= 1, "in (0, 1]"));
  set("topK", num("top_k", (x) => Number.isInteger(x) && x >= 0, "an integer ≥ 0"));
  set("maxNewTokens", num("max_new_tokens", (x) => Number.isInteger(x) && x >= 1, "an integer ≥ 1"));
  return out;
}

/**
 * The sampling defaults generation_config.json asks for, as thinkrl's `SamplingParams` fields: `do_sample: false`
 * → temperature 0 (greedy); otherwise its temperature / top_p / top_k where present. Fields it does not set are
 * left out, so the caller's own defaults apply.
 */
export function samplingDefaults(g: GenerationConfig | null): { temperature?: number; topP?: number; topK?: number } {
  if (g === null) return {};
  if (g.doSample === false) return { temperature: 0 };
  const out: { temperature?: number; topP?: number; topK?: number } = {};
  if (g.temperature !== undefined) out.temperature = g.temperature;
  if (g.topP !== undefined) out.topP = g.topP;
  if (g.topK !== undefined) out.topK = g.topK;
  return out;
}

/**
 * The ids generation stops at: config.json's `eos_token_id`s first (their order kept, so `eosTokenId[0]` stays
 * the model's own EOS), then generation_config.json's, then the id of tokenizer_config.json's `eos_token`, without
 * repeats.
 */
export function effectiveEosIds(config: ModelConfig, gen: GenerationConfig | null, tokenizerEosId?: number): number[] {
  const out: number[] = [];
  for (const id of [...config.eosTokenId, ...(gen?.eosTokenId ?? []), ...(tokenizerEosId === undefined ? [] : [tokenizerEosId])]) {
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * A generation_config.json object for a checkpoint we save: the given one (e.g. the loaded model's, so its
 * sampling defaults survive training) with its token ids set from `config`, or a minimal one made from `config`.
 */
export function generationConfigJson(config: ModelConfig, base?: unknown): Record<string, unknown> {
  const b = base !== null && typeof base === "object" && !Array.isArray(base) ? { ...(base as Record<string, unknown>) } : {};
  const eos = config.eosTokenId;
  if (config.bosTokenId !== null) b.bos_token_id = config.bosTokenId;
  if (eos.length > 0) b.eos_token_id = eos.length === 1 ? eos[0] : [...eos];
  if (config.padTokenId !== null) b.pad_token_id = config.padTokenId;
  return b;
}
