/**
 * Hugging Face parity: the committed fixtures (`scripts/make_fixtures.py`) hold float32 logits and 32-token greedy
 * continuations computed by `transformers` (re-forward and KV-cached `generate`); our loader + forward + generation
 * must reproduce them. Covers plain RoPE and the linear / dynamic / llama3 / yarn scaling variants. The measured
 * max |Δlogit| of each fixture is printed (`max |Δlogit|` lines in the output).
 */
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { initEngine } from "../../src/engine/init.js";

await initEngine("wasm");
const { tree } = await import("@jax-js/jax");
const { paramsFromTensors } = await import("../../src/model/params.js");
const { FIXTURES, LOGIT_TOL, loadFixture, maxLogitDiff, greedyReforward, causalLMIgnoringEos, greedyCached } = await import(
  "../../bench/hf-parity.js"
);

const DIR = join(import.meta.dirname, "..", "fixtures", "hf");

describe.each(FIXTURES)("%s", (name) => {
  test(`forward logits match transformers within ${LOGIT_TOL} (float32)`, async () => {
    const fx = await loadFixture(DIR, name);
    const maxDiff = await maxLogitDiff(fx);
    console.log(`${name}: max |Δlogit| = ${maxDiff.toExponential(2)} over [${fx.ref.input_ids.length}, ${fx.ref.input_ids[0]!.length}, ${fx.files.config.vocabSize}]`);
    expect(maxDiff).toBeLessThanOrEqual(LOGIT_TOL);
    if (fx.ref.plain_rope_max_abs_diff !== undefined) expect(fx.ref.plain_rope_max_abs_diff).toBeGreaterThan(1e-2); // scaling exercised
  });

  test("32 greedy tokens through KV-cached generate equal transformers' generate(use_cache=True), EOS ignored", async () => {
    const { files, ref } = await loadFixture(DIR, name);
    const model = causalLMIgnoringEos(files);
    const [ids] = await greedyCached(model, [ref.greedy_cached.prompt_ids], ref.greedy_cached.output_ids.length);
    model.dispose();
    expect(ref.greedy_cached.output_ids).toHaveLength(32);
    expect(ids).toEqual(ref.greedy_cached.output_ids);
  });

  test("32 greedy tokens by full re-forward equal transformers' re-forward argmax", async () => {
    const { files, ref } = await loadFixture(DIR, name);
    const cfg = files.config;
    const params = paramsFromTensors(cfg, files.tensors);
    const ids = await greedyReforward(cfg, params, ref.greedy.prompt_ids, ref.greedy.output_ids.length);
    tree.dispose(params);
    expect(ref.greedy.output_ids).toHaveLength(32);
    expect(ids).toEqual(ref.greedy.output_ids);
    // Only dynamic RoPE makes KV-cached decoding a different function from re-forwarding (positions.ts).
    expect(ref.greedy_match).toBe(cfg.ropeScaling?.type !== "dynamic");
  });

  test("greedy output is unchanged when batched after a shorter, left-padded prompt", async () => {
    const { files, ref } = await loadFixture(DIR, name);
    const model = causalLMIgnoringEos(files);
    const { prompt_ids, output_ids } = ref.greedy_cached;
    const short = prompt_ids.slice(0, 2);
    const [alone] = await greedyCached(model, [short], output_ids.length);
    const [shortOut, longOut] = await greedyCached(model, [short, prompt_ids], output_ids.length);
    model.dispose();
    expect(longOut).toEqual(output_ids);
    // dynamic RoPE: the batch's longest row sets the frequencies (transformers' max(position_ids) + 1), so the
    // short row's positions past max_position_embeddings rotate differently than when alone; skip that check.
    if (files.config.ropeScaling?.type !== "dynamic") expect(shortOut).toEqual(alone);
  });
});
