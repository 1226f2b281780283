/** `thinkrl generate`: sample completions for one prompt and print them. */
import { openModel, pickFormat } from "./shared.js";

export async function runGenerate(o: Record<string, unknown>): Promise<void> {
  const { model, isDefault } = await openModel(o.model);
  const { Rng } = await import("../../data/rng.js");
  const { generate } = await import("../../rollout/generate.js");
  const { encodePrompt, stopStringsFor } = await import("../../rollout/prompt.js");
  const format = await pickFormat(o.format, model, true);
  const question = String(o.prompt);
  const ids = format === "raw" ? model.tokenizer.encode(question) : encodePrompt(model, format, question);
  const n = Number(o.numSamples);
  const { ThinkrlError } = await import("../../errors.js");
  const bad = (flag: string, want: string, v: unknown) => new ThinkrlError(`--${flag} must be ${want} (got ${String(v)})`);
  if (!(Number(o.temperature) >= 0)) throw bad("temperature", "≥ 0", o.temperature);
  if (!(Number(o.topP) > 0 && Number(o.topP) <= 1)) throw bad("top-p", "in (0, 1]", o.topP);
  if (!(Number.isInteger(Number(o.topK)) && Number(o.topK) >= 0)) throw bad("top-k", "an integer ≥ 0", o.topK);
  if (!(Number.isInteger(Number(o.maxNewTokens)) && Number(o.maxNewTokens) >= 1)) throw bad("max-new-tokens", "an integer ≥ 1", o.maxNewTokens);
  if (!(Number.isInteger(n) && n >= 1)) throw bad("num-samples", "an integer ≥ 1", o.numSamples);
  const outs = await generate(
    model,
    Array.from({ length: n }, () => ids),
    {
      maxNewTokens: Number(o.maxNewTokens),
      temperature: Number(o.temperature),
      topP: Number(o.topP),
      topK: Number(o.topK),
      stopStrings: format === "raw" ? [] : stopStringsFor(format),
    },
    new Rng(Number(o.seed)),
  );
  for (const c of outs) {
    const meanLp = c.logprobs.reduce((a, b) => a + b, 0) / Math.max(1, c.logprobs.length);
    console.log(c.text);
    console.error(`[${c.ids.length} tokens, finish: ${c.finishReason}, mean logprob ${meanLp.toFixed(3)}]`);
  }
}
