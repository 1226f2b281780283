/**
 * Typed errors with a one-line message. The CLI prints `error: <message>` (plus the hint) and exits 1;
 * the stack is shown only with `--debug`.
 */
export class ThinkrlError extends Error {
  readonly hint?: string;
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
  }
}
/** Invalid configuration, flag or cross-field rule. */
export class ConfigError extends ThinkrlError {}
/** Missing, malformed or unsupported checkpoint (config.json, safetensors, tokenizer). */
export class CheckpointError extends ThinkrlError {}
/** Malformed dataset file or row. */
export class DatasetError extends ThinkrlError {}
/** Numerical engine failure: non-finite loss or log-prob, shape mismatch. */
export class EngineError extends ThinkrlError {}
/** An OpenAI-compatible endpoint failed: network, HTTP status, timeout or malformed response (after retries). */
export class EndpointError extends ThinkrlError {}
