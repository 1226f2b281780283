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
