/**
 * Writes a random-weight Llama checkpoint in the shape of llama2.c's stories260K (Karpathy; the Hugging Face layout
 * of `karpathy/tinyllamas/stories260K`): d64, 5 layers, 8 query / 4 key-value heads (head 8), SwiGLU 172,
 * vocabulary 512, untied head. The tokenizer is thinkrl's character tokenizer over printable ASCII + newline
 * (stories260K's own is a 512-piece SentencePiece model that thinkrl does not ship), so a GSM8K question in the
 * R1-Zero template is a few hundred tokens — the prompt lengths that exposed issue 15's prefill memory blow-up.
 * For memory and speed checks of `thinkrl eval --model DIR` without a download:
 *
 *   npx tsx scripts/make-small-llama.ts --out /tmp/stories260k-shaped
 */
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    seed: { type: "string", default: "0" },
    help: { type: "boolean", short: "h", default: false },
  },
});
const USAGE = "usage: npx tsx scripts/make-small-llama.ts --out DIR [--seed N]";
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.out) {
  console.error(`error: --out <dir> is required\n${USAGE}`);
  process.exit(2);
}
await initEngine("wasm");
const { Rng } = await import("../src/core/rng.js");
const { initTensors } = await import("../src/model/params.js");
const { saveCheckpointFiles } = await import("../src/model/checkpoint.js");
const { buildCharTokenizerJson } = await import("../src/model/tokenizer.js");
const { stories260kShapedConfig, CHAR_SPECIALS, printableChars } = await import("../bench/small-llama.js");

const config = stories260kShapedConfig();
await saveCheckpointFiles(values.out, {
  config,
  tensors: initTensors(config, new Rng(Number(values.seed)), 0.02),
  dtype: "F32",
  tokenizerJson: buildCharTokenizerJson(printableChars(), CHAR_SPECIALS),
  tokenizerConfig: { tokenizer_class: "PreTrainedTokenizerFast", bos_token: "<s>", eos_token: "</s>", pad_token: "<pad>" },
  generationConfig: { bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
});
console.log(`wrote ${values.out}: stories260K-shaped Llama, vocab ${config.vocabSize}, d${config.hiddenSize} × ${config.numHiddenLayers} layers`);
