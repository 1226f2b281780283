/**
 * `thinkrl sft`'s trainer on a tiny random model: the loss falls on a small JSONL dataset, only completion tokens
 * carry loss, a run stopped after a checkpoint and resumed logs the same metrics as an uninterrupted one, and
 * Parquet input gives the same examples as JSONL.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { defaultTokenizerJson } = await import("../../src/model/default.js");
const { initTensors, paramsFromTensors } = await import("../../src/model/params.js");
const { loadTokenizer } = await import("../../src/model/tokenizer.js");
const { CausalLM } = await import("../../src/model/causal-lm.js");
const { loadModel } = await import("../../src/model/load.js");
const { Rng } = await import("../../src/core/rng.js");
const { loadSftExamples } = await import("../../src/data/formats/load.js");
const { encodePrompt } = await import("../../src/rollout/prompt.js");
const { runSft, tokenizeSft } = await import("../../src/train/sft.js");
const { sftEvalLoss, sftMicroBatches } = await import("../../src/train/sft-batch.js");
const { sftLearningRate } = await import("../../src/train/cold-start.js");
const { resolveSftConfig } = await import("../../src/train/sft-config.js");
const { listCheckpoints } = await import("../../src/train/state.js");
type ModelConfig = import("../../src/model/config.js").ModelConfig;

/** A much smaller sibling of the embedded model (same vocabulary): fast to compile and train on 2 cores. */
const TINY: ModelConfig = {
  modelType: "llama",
  vocabSize: 26,
  hiddenSize: 32,
  intermediateSize: 64,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  numKeyValueHeads: 1,
  headDim: 16,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  maxPositionEmbeddings: 64,
  tieWordEmbeddings: false,
  attentionBias: false,
  bosTokenId: 1,
  eosTokenId: [2],
  padTokenId: 0,
};
const tinyModel = (seed = 0) => new CausalLM(TINY, paramsFromTensors(TINY, initTensors(TINY, new Rng(seed))), loadTokenizer(defaultTokenizerJson()));

/** 20 one-digit additions with worked completions (≤ 16 tokens each: one jit shape). */
const ROWS = Array.from({ length: 20 }, (_, i) => {
  const a = i % 10;
  const b = (i * 7 + 3) % 10;
  return { prompt: `${a}+${b}`, completion: `<think>${a}+${b}=${a + b}</think><answer>${a + b}</answer>` };
});

const silent = { info: () => {}, progress: () => {} };
const BASE = { evalSplit: 0.2, batchSize: 4, microBatchSize: 4, maxLength: 32, learningRate: 1e-2, lrSchedulerType: "linear", warmupSteps: 2, evalSteps: 2, saveTotalLimit: 0 };
const isTiming = (k: string) => k === "tokens_per_second" || k === "step_seconds";
const stripTiming = (rows: Record<string, number>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !isTiming(k))));
const readMetrics = async (dir: string) =>
  (await readFile(join(dir, "metrics.jsonl"), "utf8"))
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, number>);

let tmp: string;
let jsonlPath: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "thinkrl-sft-"));
  jsonlPath = join(tmp, "data.jsonl");
  await writeFile(jsonlPath, ROWS.map((r) => JSON.stringify(r)).join("\n") + "\n");
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("SFT loss mask", () => {
  test("only completion tokens (EOS included) are targets with loss; prompt and padding are masked out", async () => {
    const model = tinyModel();
    const [ex] = await loadSftExamples(jsonlPath);
    const { rows } = tokenizeSft(model, [ex!], "compact", 32);
    const r = rows[0]!;
    expect(r.prompt).toEqual(encodePrompt(model, "compact", "0+3"));
    expect(r.completion).toEqual([...model.tokenizer.encode("<think>0+3=3</think><answer>3</answer>"), 2]);
    const { micro, tokens } = sftMicroBatches([r, r], model.padId, 4);
    const mb = micro[0]!;
    expect([mb.B, mb.T]).toEqual([4, 16]);
    expect(tokens).toBe(2 * r.completion.length);
    const P = r.prompt.length;
    for (let row = 0; row < 4; row++) {
      for (let t = 0; t < 16; t++) {
        const inCompletion = row < 2 && t >= P - 1 && t < P - 1 + r.completion.length;
        expect(mb.mask[row * 16 + t], `row ${row} t ${t}`).toBe(inCompletion ? 1 : 0);
        if (inCompletion) expect(mb.targets[row * 16 + t]).toBe(r.completion[t - (P - 1)]);
        expect(mb.weights[row * 16 + t]).toBeCloseTo(inCompletion ? 1 / tokens : 0, 7);
      }
    }
    // The eval loss is the mean NLL over exactly those positions.
    const { logp } = await model.sequenceLogprobs(mb);
    let nll = 0;
    for (let i = 0; i < mb.mask.length; i++) nll -= mb.mask[i]! * logp[i]!;
    expect(await sftEvalLoss(model, [r, r], 4)).toBeCloseTo(nll / tokens, 5);
    model.dispose();
  });

  test("sorted micro-batches: less padding, the same token-mean loss as one padded batch", async () => {
    const model = tinyModel();
    const rows = tokenizeSft(model, [
      { prompt: "12*3", completion: "<think>2*3=6,1*3=3:36</think><answer>36</answer>" },
      { prompt: "1+2", completion: "<think>1+2=3</think><answer>3</answer>" },
      { prompt: "7*8", completion: "<think>7*8=56</think><answer>56</answer>" },
      { prompt: "0+3", completion: "<think>0+3=3</think><answer>3</answer>" },
    ].map((e, i) => ({ ...e, where: `r:${i}` })), "compact", 64).rows;
    const loss = async (micro: { B: number; T: number; tokens: Int32Array; targets: Int32Array; mask: Float32Array; weights: Float32Array }[]) => {
      let l = 0;
      for (const mb of micro) {
        const { logp } = await model.sequenceLogprobs(mb);
        for (let i = 0; i < mb.mask.length; i++) l -= mb.weights[i]! * logp[i]!;
      }
      return l;
    };
    const plain = sftMicroBatches(rows, model.padId, 2, 8);
    const sorted = sftMicroBatches(rows, model.padId, 2, 8, true);
    expect(sorted.tokens).toBe(plain.tokens);
    const cells = (m: typeof plain.micro) => m.reduce((a, mb) => a + mb.B * mb.T, 0);
    expect(cells(sorted.micro)).toBeLessThan(cells(plain.micro));
    expect(sorted.micro.reduce((a, mb) => a + mb.weights.reduce((x, w) => x + w, 0), 0)).toBeCloseTo(1, 6);
    expect(await loss(sorted.micro)).toBeCloseTo(await loss(plain.micro), 5);
    model.dispose();
  });

  test("cold-start learning rate: warm-up, then constant or cosine to 10%", () => {
    const o = { steps: 110, learningRate: 1e-3, warmupSteps: 10 };
    expect(sftLearningRate(o, 5)).toBeCloseTo(5e-4, 12);
    expect(sftLearningRate(o, 110)).toBeCloseTo(1e-3, 12);
    const c = { ...o, schedule: "cosine" as const };
    expect(sftLearningRate(c, 10)).toBeCloseTo(1e-3, 12);
    expect(sftLearningRate(c, 60)).toBeCloseTo(1e-3 * (0.1 + 0.45), 12); // halfway: cos(π/2) = 0
    expect(sftLearningRate(c, 110)).toBeCloseTo(1e-4, 12);
  });

  test("long examples are cut on the right to maxLength; prompts that fill it are dropped", () => {
    const model = tinyModel();
    const ex = [
      { prompt: "1+2", completion: "<think>1+2=3</think><answer>3</answer>", where: "a:1" },
      { prompt: "123456789", completion: "1", where: "a:2" },
    ];
    const t = tokenizeSft(model, ex, "compact", 8);
    expect([t.truncated, t.dropped, t.rows.length]).toEqual([1, 1, 1]);
    expect(t.rows[0]!.prompt.length + t.rows[0]!.completion.length).toBe(8);
    model.dispose();
  });
});

describe("runSft", () => {
  test("the training and eval loss fall on a small JSONL dataset; final/ is a loadable model", async () => {
    const out = join(tmp, "learn");
    const cfg = resolveSftConfig({ ...BASE, dataset: jsonlPath, outputDir: out, epochs: 5, saveSteps: 0 });
    const model = tinyModel();
    const s = await runSft({ model, examples: await loadSftExamples(jsonlPath), format: "compact", config: cfg, log: silent });
    expect([s.steps, s.trainExamples, s.evalExamples]).toEqual([20, 16, 4]);
    const rows = await readMetrics(out);
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const k of ["loss", "learning_rate", "grad_norm", "tokens_per_second", "num_tokens", "epoch"]) expect(Number.isFinite(rows[0]![k]), k).toBe(true);
    const firstEpoch = rows.slice(0, 4).reduce((a, r) => a + r.loss!, 0) / 4;
    const lastEpoch = rows.slice(-4).reduce((a, r) => a + r.loss!, 0) / 4;
    expect(lastEpoch).toBeLessThan(0.6 * firstEpoch);
    const evals = rows.filter((r) => r.eval_loss !== undefined).map((r) => r.eval_loss!);
    expect(evals.length).toBe(10);
    expect(evals.at(-1)!).toBeLessThan(0.7 * evals[0]!);
    expect(s.evalLoss).toBe(evals.at(-1));
    const reloaded = await loadModel(s.finalModel);
    const { rows: ev } = tokenizeSft(reloaded, await loadSftExamples(jsonlPath), "compact", 32);
    expect(await sftEvalLoss(reloaded, ev, 4)).toBeCloseTo(await sftEvalLoss(model, ev, 4), 5);
    model.dispose();
    reloaded.dispose();
  });

  test("a run stopped after a checkpoint and resumed logs the uninterrupted run's metrics", async () => {
    const examples = await loadSftExamples(jsonlPath);
    const run = async (out: string, stopAt?: number) => {
      const stop = new AbortController();
      const cfg = resolveSftConfig({ ...BASE, dataset: jsonlPath, outputDir: out, epochs: 2, saveSteps: 3 });
      return runSft({ model: tinyModel(), examples, format: "compact", config: cfg, log: silent, signal: stop.signal, onStep: (r) => r.step === stopAt && stop.abort() });
    };
    const a = await run(join(tmp, "A"));
    const dirB = join(tmp, "B");
    const b1 = await run(dirB, 5); // stopped during epoch 2 (4 steps per epoch): step 5 is saved before stopping
    expect(b1.interrupted).toBe(true);
    expect((await readMetrics(dirB)).length).toBe(5);
    const cks = await listCheckpoints(dirB);
    expect(cks.map((c) => c.step)).toEqual([3, 5]);
    const cfg = resolveSftConfig({ ...(JSON.parse(await readFile(join(dirB, "config.json"), "utf8")) as object) });
    const b2 = await runSft({ model: await loadModel(cks[1]!.dir), examples, format: "compact", config: cfg, log: silent, resumeFrom: cks[1]! });
    expect(b2.interrupted).toBe(false);
    expect(stripTiming(await readMetrics(dirB))).toEqual(stripTiming(await readMetrics(join(tmp, "A"))));
    expect(b2.evalLoss).toBe(a.evalLoss);
    expect(existsSync(join(dirB, "final", "model.safetensors"))).toBe(true);
    // Resuming the finished run trains nothing, logs nothing new, and keeps the summary's loss.
    const done = (await listCheckpoints(dirB)).at(-1)!;
    const b3 = await runSft({ model: await loadModel(done.dir), examples, format: "compact", config: cfg, log: silent, resumeFrom: done });
    expect(b3.loss).toBe(b2.loss);
    expect(stripTiming(await readMetrics(dirB))).toEqual(stripTiming(await readMetrics(join(tmp, "A"))));
  });

  test("Parquet input (prompt/completion columns) gives the same examples as JSONL and trains", async () => {
    const path = join(tmp, "data.parquet");
    const buf = parquetWriteBuffer({
      columnData: [
        { name: "question", data: ROWS.map((r) => r.prompt), type: "STRING" },
        { name: "response", data: ROWS.map((r) => r.completion), type: "STRING" },
      ],
    });
    await writeFile(path, new Uint8Array(buf));
    const fromParquet = await loadSftExamples(path, { prompt: "question", completion: "response" });
    const fromJsonl = await loadSftExamples(jsonlPath);
    expect(fromParquet.map(({ prompt, completion }) => ({ prompt, completion }))).toEqual(fromJsonl.map(({ prompt, completion }) => ({ prompt, completion })));
    expect(fromParquet[1]!.where).toBe(`${path}:row 2`);
    const cfg = resolveSftConfig({ ...BASE, dataset: path, outputDir: join(tmp, "pq"), epochs: 1, saveSteps: 0 });
    const s = await runSft({ model: tinyModel(), examples: fromParquet, format: "compact", config: cfg, log: silent });
    expect(s.steps).toBe(4);
    expect(Number.isFinite(s.loss)).toBe(true);
  });
});
