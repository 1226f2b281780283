/** `thinkrl eval`: held-out accuracy of a model on a task (R1 protocol). */
import { openModel, pickFormat } from "./shared.js";

export async function runEval(o: Record<string, unknown>): Promise<void> {
  const { model, isDefault } = await openModel(o.model);
  const { Rng } = await import("../../data/rng.js");
  const { openPromptSource } = await import("../../data/source.js");
  const { evaluate } = await import("../../eval/heldout.js");
  const format = pickFormat(o.format, isDefault) as "compact" | "r1-zero";
  const source = await openPromptSource(String(o.dataset), Number(o.numEvalProblems), Number(o.seed));
  const r = await evaluate(
    model,
    source.heldOut,
    {
      samples: Number(o.evalSamples),
      temperature: Number(o.temperature),
      topP: Number(o.topP),
      maxNewTokens: Number(o.maxNewTokens),
      format,
      batchSize: 256,
      onProgress: (d, n) => process.stderr.isTTY && process.stderr.write(`\r\x1b[2Keval ${d}/${n}`),
    },
    new Rng(Number(o.seed) + 20_000),
  );
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
  console.log(JSON.stringify(r, null, 1));
}
