/**
 * `thinkrl generate`: sample completions for one prompt and print them. With one sample the text is streamed to
 * stdout as it is generated; with several, each is printed when all are done. Sampling flags the user did not
 * give default to the model's generation_config.json, then to R1's evaluation settings (`R1_EVAL_SAMPLING`).
 */
import { R1_EVAL_SAMPLING } from "../../eval/defaults.js";
import { openModel } from "./shared.js";

/** Used when neither a flag nor generation_config.json sets a value (R1 evaluation settings, top-k off). */
const FALLBACK = { ...R1_EVAL_SAMPLING, topK: 0 };

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

  const { model, generationConfig } = await openModel(o.model);
  const { Rng } = await import("../../core/rng.js");
  const { generate } = await import("../../rollout/generate.js");
  const { preparePrompt, stopStringsFor } = await import("../../rollout/prompt.js");
  const { samplingDefaults } = await import("../../model/generation-config.js");
  const { textStream } = await import("../../rollout/text-stream.js");
  const { resolvePromptFormat } = await import("../../pipeline/samplers.js");
  const format = await resolvePromptFormat(o.format, model, true);
  if (format !== "chat" && (o.systemPrompt !== undefined || o.thinking === false)) {
    throw new ThinkrlError(`${o.systemPrompt !== undefined ? "--system-prompt" : "--no-thinking"} applies to the chat format only (the format is ${format})`, {
      hint: "add --format chat (the model needs a chat template)",
    });
  }
  const question = String(o.prompt);
  const chat = { systemPrompt: o.systemPrompt as string | undefined, enableThinking: o.thinking === false ? false : undefined };
  const prompt = format === "raw" ? { ids: model.tokenizer.encode(question), completionPrefix: "" } : preparePrompt(model, format, question, chat);

  const fromFile = samplingDefaults(generationConfig);
  const pick = (flag: unknown, key: keyof typeof FALLBACK) => (flag !== undefined ? Number(flag) : (fromFile[key] ?? FALLBACK[key]));
  const sampling = { temperature: pick(o.temperature, "temperature"), topP: pick(o.topP, "topP"), topK: pick(o.topK, "topK") };
  const used = (["temperature", "topP", "topK"] as const).filter((k) => fromFile[k] !== undefined && o[k] === undefined);
  const hfName = { temperature: "temperature", topP: "top_p", topK: "top_k" } as const;
  if (used.length > 0) console.error(`[generation_config.json: ${used.map((k) => `${hfName[k]} ${sampling[k]}`).join(", ")}]`);

  // One sample: stream it (prefix first: a `<think>` the chat template opened belongs to the reply).
  const stream = n === 1 ? textStream(model.tokenizer, (t) => process.stdout.write(t), model.config.eosTokenId) : null;
  if (stream && prompt.completionPrefix) process.stdout.write(prompt.completionPrefix);
  const outs = await generate(
    model,
    Array.from({ length: n }, () => prompt.ids),
    {
      maxNewTokens: Number(o.maxNewTokens),
      ...sampling,
      stopStrings: format === "raw" ? [] : stopStringsFor(format),
      onToken: stream ? (_row, id) => stream.push(id) : undefined,
    },
    new Rng(Number(o.seed)),
  );
  for (const [i, c] of outs.entries()) {
    if (!stream) console.error(`[sample ${i + 1}/${n}]`);
    const meanLp = c.logprobs.reduce((a, b) => a + b, 0) / Math.max(1, c.logprobs.length);
    if (stream) {
      stream.end(c.text);
      process.stdout.write("\n");
    } else console.log(prompt.completionPrefix + c.text);
    console.error(`[${c.ids.length} tokens, finish: ${c.finishReason}, mean logprob ${meanLp.toFixed(3)}]`);
  }
}
