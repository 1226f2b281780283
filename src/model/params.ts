/**
 * Params ↔ Hugging Face tensors, and random initialisation.
 *
 * HF Llama/Qwen2 names (`model.layers.{i}.self_attn.q_proj.weight`, …) with linear weights stored `[out, in]`;
 * our tree stores them `[in, out]` (see `llama.ts`). Conversion happens here only.
 */
import { numpy as np } from "@jax-js/jax";
import { CheckpointError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import type { ModelConfig } from "./config.js";
import type { LayerParams, LlamaParams } from "./llama.js";
import type { Tensor } from "./safetensors.js";
import type { WeightDtype } from "../engine/weights-dtype.js";

type LinearName = "q" | "k" | "v" | "o" | "gate" | "up" | "down";
/** The linear layers of a decoder layer: our param key → the Hugging Face module path. */
export const LINEAR_HF = {
  q: "self_attn.q_proj",
  k: "self_attn.k_proj",
  v: "self_attn.v_proj",
  o: "self_attn.o_proj",
  gate: "mlp.gate_proj",
  up: "mlp.up_proj",
  down: "mlp.down_proj",
} as const satisfies Record<LinearName, string>;
/** HF Llama's `attention_bias` also gives o_proj a bias (Qwen2's does not). */
const O_BIAS_HF = "self_attn.o_proj.bias";
const BIAS_HF = { qBias: "self_attn.q_proj.bias", kBias: "self_attn.k_proj.bias", vBias: "self_attn.v_proj.bias" } as const;

/** Expected `[out, in]` shape of each linear weight in HF layout. */
function linearShapes(c: ModelConfig): Record<LinearName, [number, number]> {
  const D = c.hiddenSize, F = c.intermediateSize, qd = c.numAttentionHeads * c.headDim, kd = c.numKeyValueHeads * c.headDim;
  return { q: [qd, D], k: [kd, D], v: [kd, D], o: [D, qd], gate: [F, D], up: [F, D], down: [D, F] };
}

function transpose2d(t: Tensor): Float32Array {
  const [r, c] = t.shape as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!;
  return out;
}

/**
 * Builds the param tree from HF-named float32 tensors (e.g. from `loadCheckpointFiles`).
 * @throws CheckpointError naming the first missing tensor or a shape mismatch.
 */
export function paramsFromTensors(c: ModelConfig, tensors: Map<string, Tensor>): LlamaParams {
  const get = (name: string, shape: number[]): Tensor => {
    const t = tensors.get(name);
    if (t === undefined) throw new CheckpointError(`missing tensor ${name}`, { hint: `is this a ${c.modelType} checkpoint?` });
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(`tensor ${name} has shape [${t.shape}], expected [${shape}] from config.json`);
    }
    return t;
  };
  const vec = (name: string, n: number) => np.array(get(name, [n]).data);
  const shapes = linearShapes(c);
  const D = c.hiddenSize;
  const layers: LayerParams[] = [];
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const pre = `model.layers.${i}.`;
    const lin = (n: LinearName) => {
      const [o, inp] = shapes[n];
      return np.array(transpose2d(get(`${pre}${LINEAR_HF[n]}.weight`, [o, inp]))).reshape([inp, o]);
    };
    const layer: LayerParams = {
      inputNorm: vec(`${pre}input_layernorm.weight`, D),
      q: lin("q"),
      k: lin("k"),
      v: lin("v"),
      o: lin("o"),
      postNorm: vec(`${pre}post_attention_layernorm.weight`, D),
      gate: lin("gate"),
      up: lin("up"),
      down: lin("down"),
    };
    if (c.attentionBias) {
      layer.qBias = vec(pre + BIAS_HF.qBias, shapes.q[0]);
      layer.kBias = vec(pre + BIAS_HF.kBias, shapes.k[0]);
      layer.vBias = vec(pre + BIAS_HF.vBias, shapes.v[0]);
      if (c.modelType === "llama") layer.oBias = vec(pre + O_BIAS_HF, D);
    }
    layers.push(layer);
  }
  const embed = get("model.embed_tokens.weight", [c.vocabSize, D]);
  const params: LlamaParams = { embed: np.array(embed.data).reshape([c.vocabSize, D]), layers, norm: vec("model.norm.weight", D) };
  if (!c.tieWordEmbeddings) {
    const head = get("lm_head.weight", [c.vocabSize, D]);
    params.lmHead = np.array(transpose2d(head)).reshape([D, c.vocabSize]);
  }
  return params;
}

/** Reads the param tree back into HF-named tensors (borrows `params`: nothing is consumed). */
export async function paramsToTensors(c: ModelConfig, params: LlamaParams): Promise<Map<string, Tensor>> {
  const out = new Map<string, Tensor>();
  const host = async (a: np.Array): Promise<Tensor> => ({ shape: [...a.shape], data: Float32Array.from(await a.ref.data()) });
  const put = async (name: string, a: np.Array) => out.set(name, await host(a));
  const putLinear = async (name: string, a: np.Array) => {
    const t = await host(a); // [in, out] → HF [out, in]
    out.set(name, { shape: [t.shape[1]!, t.shape[0]!], data: transpose2d(t) });
  };
  await put("model.embed_tokens.weight", params.embed);
  for (let i = 0; i < params.layers.length; i++) {
    const l = params.layers[i]!;
    const pre = `model.layers.${i}.`;
    await put(`${pre}input_layernorm.weight`, l.inputNorm);
    await put(`${pre}post_attention_layernorm.weight`, l.postNorm);
    for (const n of Object.keys(LINEAR_HF) as LinearName[]) await putLinear(`${pre}${LINEAR_HF[n]}.weight`, l[n]);
    if (l.qBias) await put(pre + BIAS_HF.qBias, l.qBias);
    if (l.kBias) await put(pre + BIAS_HF.kBias, l.kBias);
    if (l.vBias) await put(pre + BIAS_HF.vBias, l.vBias);
    if (l.oBias) await put(pre + O_BIAS_HF, l.oBias);
  }
  await put("model.norm.weight", params.norm);
  if (params.lmHead) await putLinear("lm_head.weight", params.lmHead);
  return out;
}

/**
 * Random HF-layout tensors for a fresh model: normal(0, 0.02) linears and embeddings (HF `initializer_range`),
 * with output projections (o, down) scaled by 1/√(2L) as in GPT-2 (Radford et al. 2019, §2.3); norms = 1;
 * biases = 0.
 */
export function initTensors(c: ModelConfig, rng: Rng, std = 0.02): Map<string, Tensor> {
  const normal = (shape: number[], s: number): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      // Box–Muller from two uniforms in (0, 1].
      const u1 = 1 - rng.next(), u2 = rng.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      data[i] = s * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) data[i + 1] = s * r * Math.sin(2 * Math.PI * u2);
    }
    return { shape, data };
  };
  const fill = (shape: number[], v: number): Tensor => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
  const t = new Map<string, Tensor>();
  const shapes = linearShapes(c);
  const outScale = std / Math.sqrt(2 * c.numHiddenLayers);
  t.set("model.embed_tokens.weight", normal([c.vocabSize, c.hiddenSize], std));
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const pre = `model.layers.${i}.`;
    t.set(`${pre}input_layernorm.weight`, fill([c.hiddenSize], 1));
    t.set(`${pre}post_attention_layernorm.weight`, fill([c.hiddenSize], 1));
    for (const n of Object.keys(LINEAR_HF) as LinearName[]) {
      t.set(`${pre}${LINEAR_HF[n]}.weight`, normal(shapes[n], n === "o" || n === "down" ? outScale : std));
    }
    if (c.attentionBias) {
      t.set(pre + BIAS_HF.qBias, fill([shapes.q[0]], 0));
      t.set(pre + BIAS_HF.kBias, fill([shapes.k[0]], 0));
      t.set(pre + BIAS_HF.vBias, fill([shapes.v[0]], 0));
      if (c.modelType === "llama") t.set(pre + O_BIAS_HF, fill([c.hiddenSize], 0));
    }
  }
  t.set("model.norm.weight", fill([c.hiddenSize], 1));
  if (!c.tieWordEmbeddings) t.set("lm_head.weight", normal([c.vocabSize, c.hiddenSize], std));
  return t;
}


/**
 * The params with the linear weights of every layer (q, k, v, o, gate, up, down) and the output head in `dtype`, for
 * generation: with float16 each projection runs as a float16 product (`matmulWeight` in `llama.ts`; on WebGPU the
 * tensor-core kernel of jax-js patch 208). The embedding, norms and biases stay float32; a tied output head gets its
 * own float16 copy `lmHead` (the embedding's transpose), so the embedding lookup stays exact. Consumes `params` when
 * the dtype changes; float32 returns `params` unchanged. Not for training (the optimizer keeps float32 weights).
 */
export function castWeights(params: LlamaParams, dtype: WeightDtype): LlamaParams {
  if (dtype === "float32") return params;
  const cast = (w: np.Array) => w.astype(np.float16);
  const layers = params.layers.map((l) => ({ ...l, q: cast(l.q), k: cast(l.k), v: cast(l.v), o: cast(l.o), gate: cast(l.gate), up: cast(l.up), down: cast(l.down) }));
  const lmHead = cast(params.lmHead ?? params.embed.ref.transpose());
  return { ...params, layers, lmHead };
}
