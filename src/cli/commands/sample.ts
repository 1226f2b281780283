/**
 * `thinkrl sample`: rejection sampling from a local model or an OpenAI-compatible endpoint into SFT-ready JSONL
 * (`pipeline/sample.ts`). An endpoint run never starts the jax-js engine.
 */
import { ConfigError } from "../../core/errors.js";
import type { Sampler } from "../../rollout/sampler.js";
import { progressBar } from "../progress.js";

export async function runSampleCommand(o: Record<string, unknown>): Promise<void> {
  const { resolveSampleConfig, runSample } = await import("../../pipeline/sample.js");
  if (o.endpoint !== undefined && o.model !== undefined) throw new ConfigError("sample: pass --model or --endpoint, not both");
  if (o.endpoint !== undefined && o.endpointModel === undefined) throw new ConfigError("sample: --endpoint needs --endpoint-model <name> (the model the server serves)");
  const kind = o.endpoint !== undefined ? "endpoint" : "local";
  const cfg = resolveSampleConfig(
    {
      dataset: o.dataset as string,
      out: o.out as string,
      numPrompts: o.numPrompts as number | undefined,
      numSamples: o.numSamples as number | undefined,
      keep: o.keep as never,
      rewardFuncs: o.rewardFuncs as string[] | undefined,
      rewardWeights: o.rewardWeights as number[] | undefined,
      correctReward: o.correctReward as string | undefined,
      temperature: o.temperature as number | undefined,
      topP: o.topP as number | undefined,
      maxTokens: o.maxTokens as number | undefined,
      seed: o.seed as number | undefined,
      language: o.language as string | undefined,
      resume: o.resume === true,
      filters: {
        mixedLanguage: o.filterMixedLanguage === true,
        mixedLanguageMinShare: o.mixedLanguageMinShare as number | undefined,
        longParagraphs: o.filterLongParagraphs as number | undefined,
        codeBlocks: o.filterCodeBlocks === true,
      },
    },
    kind,
  );

  let sampler: Sampler;
  let stats: (() => unknown) | null = null;
  if (kind === "endpoint") {
    const { EndpointClient } = await import("../../rollout/endpoint.js");
    const { endpointFlags, pickFormat } = await import("./shared.js");
    const client = new EndpointClient(
      {
        ...endpointFlags(o),
        maxRetries: o.maxRetries as number | undefined,
        timeoutMs: o.timeout === undefined ? undefined : Math.round(1000 * (o.timeout as number)),
        samplesPerRequest: o.samplesPerRequest as number | undefined,
        systemPrompt: o.systemPrompt as string | undefined,
        promptFormat: await pickFormat(o.format, null), // refuses chat: the server applies its own template
        jitterSeed: cfg.seed,
      },
      { env: process.env },
    );
    sampler = client;
    stats = () => client.stats;
  } else {
    const { openModel, pickFormat } = await import("./shared.js");
    const { model, isDefault } = await openModel(o.model);
    const { Rng } = await import("../../core/rng.js");
    const { LocalSampler } = await import("../../rollout/local-sampler.js");
    const format = await pickFormat(o.format, model);
    sampler = new LocalSampler({ model, format, rng: new Rng(cfg.seed), modelName: isDefault ? "embedded" : String(o.model) });
  }

  // Ctrl-C stops cleanly after the prompt being written; `--resume` continues.
  const stop = new AbortController();
  const onSigint = () => stop.abort(new ConfigError(`interrupted; rerun with --resume to continue ${cfg.out}`));
  process.once("SIGINT", onSigint);
  const bar = progressBar(process.stderr, "sample");
  try {
    const summary = await runSample(cfg, {
      sampler,
      signal: stop.signal,
      log: { info: (m) => (bar.end(), console.error(m)) },
      onProgress: (p) => bar.update(p.done, p.total, p.doneThisRun, `rows ${p.rows}`),
    });
    bar.end();
    console.log(JSON.stringify(stats ? { ...summary, endpoint: stats() } : summary, null, 1));
  } finally {
    bar.end();
    process.off("SIGINT", onSigint);
  }
}
