/**
 * `thinkrl generate`: sample completions for one prompt and print them. With one sample the text is streamed to
 * stdout as it is generated; with several, each is printed when all are done. Sampling flags the user did not
 * give default to the model's generation_config.json, then to R1's evaluation settings (`generateText`,
 * `pipeline/generate-text.ts`).
 */
import { openModel } from "./shared.js";

export async function runGenerate(o: Record<string, unknown>): Promise<void> {
  const { ThinkrlError } = await import("../../core/errors.js");
  const bad = (flag: string, want: string, v: unknown) => new ThinkrlError(`--${flag} must be ${want} (got ${String(v)})`);
  const n = Number(o.numSamples);
  // Flag checks that need no model first, so bad input fails fast.
  if (o.temperature !== undefined && !(Number(o.temperature) >= 0)) throw bad("temperature", "≥ 0", o.temperature);
  if (o.topP !== undefined && !(Number(o.topP) > 0 && Number(o.topP) <= 1)) throw bad("top-p", "in (0, 1]", o.topP);
  if (o.topK !== undefined && !(Number.isInteger(Number(o.topK)) && Number(o.topK) >= 0)) throw bad("top-k", "an integer ≥ 0", o.topK);
  if (!(Number.isInteger(Number(o.maxNewTokens)) && Number(o.maxNewTokens) >= 1)) throw bad("max-new-tokens", "an integer ≥ 1", o.maxNewTokens);
  if (!(Number.isInteger(n) && n >= 1)) throw bad("num-samples", "an integer ≥ 1", o.numSamples);

  const opened = await openModel(o.model);
  const { generationConfig } = opened;
  let model = opened.model;
  if (o.expert !== undefined || o.adapterPath !== undefined) {
    const { applyAdapter } = await import("../../pipeline/adapters.js");
    const a = await applyAdapter(model, { expert: o.expert as string[] | undefined, expertWeights: o.expertWeights as number[] | undefined, adapterPath: o.adapterPath as string | undefined });
    console.error(`[${a.description}]`);
    model = a.model;
  }
  const { resolvePromptFormat, holdWeightsIn } = await import("../../pipeline/samplers.js");
  await holdWeightsIn(model, null); // --weights-dtype, after an adapter was merged into the float32 weights
  const { generateText, resolveTextSampling } = await import("../../pipeline/generate-text.js");
  const format = await resolvePromptFormat(o.format, model, true);
  if (format !== "chat" && (o.systemPrompt !== undefined || o.thinking === false)) {
    throw new ThinkrlError(`${o.systemPrompt !== undefined ? "--system-prompt" : "--no-thinking"} applies to the chat format only (the format is ${format})`, {
      hint: "add --format chat (the model needs a chat template)",
    });
  }
  const given = { temperature: o.temperature as number | undefined, topP: o.topP as number | undefined, topK: o.topK as number | undefined };
  const { sampling, fromGenerationConfig } = resolveTextSampling(given, generationConfig);
  const hfName = { temperature: "temperature", topP: "top_p", topK: "top_k" } as const;
  if (fromGenerationConfig.length > 0) console.error(`[generation_config.json: ${fromGenerationConfig.map((k) => `${hfName[k]} ${sampling[k]}`).join(", ")}]`);

  // One sample: streamed to stdout as it is generated; several: printed when all are done.
  const streamed = n === 1;
  const samples = await generateText(model, String(o.prompt), {
    format,
    chat: { systemPrompt: o.systemPrompt as string | undefined, enableThinking: o.thinking === false ? false : undefined },
    sampling,
    maxCompletionLength: Number(o.maxNewTokens),
    numSamples: n,
    seed: Number(o.seed),
    onText: streamed ? (t) => process.stdout.write(t) : undefined,
  });
  for (const [i, s] of samples.entries()) {
    if (streamed) process.stdout.write("\n");
    else {
      console.error(`[sample ${i + 1}/${n}]`);
      console.log(s.text);
    }
    console.error(`[${s.tokens} tokens, finish: ${s.finishReason}, mean logprob ${s.meanLogprob.toFixed(3)}]`);
  }
}
