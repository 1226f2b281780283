/**
 * Run checkpoints: `checkpoint-<step>/` = Hugging Face model files + `optimizer.safetensors` (AdamW moments) +
 * `trainer_state.json` (step, RNG states, data cursor, anything the trainer needs to continue exactly).
 * Written atomically (temporary name, then rename) by `saveCheckpointFiles`.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { numpy as np, tree } from "@jax-js/jax";
import { CheckpointError } from "../core/errors.js";
import { chatTemplateSource } from "../model/chat-template.js";
import { loadCheckpointFiles, saveCheckpointFiles } from "../model/checkpoint.js";
import type { CausalLM } from "../model/causal-lm.js";
import { generationConfigJson } from "../model/generation-config.js";
import { CHAT_TEMPLATE_FILE } from "../model/load.js";
import { paramsToTensors } from "../model/params.js";
import { encodeSafetensors, parseSafetensors, type Tensor } from "../model/safetensors.js";
import type { AdamWState } from "./optim.js";
import { LOOP_SECONDS_KEY } from "./loop.js";
import { listCheckpoints, readTrainerState, TRAINER_STATE_FILE, truncateRunLogs } from "./run-dir.js";

export { listCheckpoints, readTrainerState, TRAINER_STATE_FILE } from "./run-dir.js";

export const OPTIMIZER_FILE = "optimizer.safetensors";

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Flattens the optimizer state to named float32 tensors (leaf order of the param tree). Borrows `state`. */
async function optimizerTensors(state: AdamWState): Promise<Map<string, Tensor>> {
  const out = new Map<string, Tensor>();
  const put = async (prefix: string, t: unknown) => {
    const leaves = tree.leaves(t as never) as np.Array[];
    for (let i = 0; i < leaves.length; i++) {
      const a = leaves[i]!;
      out.set(`${prefix}.${i}`, { shape: [...a.shape], data: Float32Array.from(await a.ref.data()) });
    }
  };
  await put("exp_avg", state.mu);
  await put("exp_avg_sq", state.nu);
  out.set("step", { shape: [], data: Float32Array.from(await state.count.ref.data()) });
  return out;
}

/**
 * Saves `model` as a Hugging Face directory (float32 weights) that `loadModelFiles` reads back the same: config.json
 * (its EOS set is the loaded model's effective one), model.safetensors, tokenizer.json, tokenizer_config.json (chat
 * template included) when the tokenizer has one, chat_template.jinja when the template came from such a file, and
 * generation_config.json (`generationConfigJson`: `generationConfig`'s sampling defaults with the token ids of
 * `model.config`). Atomic, as `saveCheckpointFiles`. Borrows `model`.
 * @param generationConfig the generation_config.json object the model was loaded with (`LoadedModel.generationConfigJson`);
 *   null/undefined writes a minimal one (bos/eos/pad ids)
 * @param extraFiles more files for the directory (see `SaveCheckpointOptions.extraFiles`)
 */
export async function saveModel(dir: string, model: CausalLM, generationConfig?: unknown, extraFiles: Record<string, string | Uint8Array> = {}): Promise<void> {
  const tok = model.tokenizer;
  const files = { ...extraFiles };
  const template = tok.chatTemplate ?? null;
  if (template !== null) {
    let inConfig: string | null = null;
    try {
      inConfig = chatTemplateSource(tok.config);
    } catch {
      inConfig = null; // a list-form chat_template without "default": the loaded template came from chat_template.jinja
    }
    if (inConfig !== template.source) files[CHAT_TEMPLATE_FILE] = template.source;
  }
  await saveCheckpointFiles(dir, {
    config: model.config,
    tensors: await paramsToTensors(model.config, model.params),
    tokenizerJson: tok.json,
    tokenizerConfig: tok.config ?? undefined,
    generationConfig: generationConfigJson(model.config, generationConfig),
    dtype: "F32",
    extraFiles: files,
  });
}

/**
 * Saves model (`saveModel`) + optimizer + trainer state to `<runDir>/checkpoint-<step>` and prunes old ones.
 * @param generationConfig the loaded model's generation_config.json object (kept in the checkpoint), or null
 * @param files more files written inside the same atomic save (relative path → contents; e.g. an adapter's files)
 */
export async function saveRunCheckpoint(
  runDir: string,
  step: number,
  model: CausalLM,
  optState: AdamWState | null,
  trainerState: Record<string, unknown>,
  saveTotalLimit: number,
  generationConfig: unknown = null,
  files: Record<string, string | Uint8Array> = {},
): Promise<string> {
  const dir = join(runDir, `checkpoint-${step}`);
  const extraFiles: Record<string, string | Uint8Array> = {
    ...files,
    [TRAINER_STATE_FILE]: JSON.stringify({ global_step: step, ...trainerState }, null, 1),
  };
  if (optState) extraFiles[OPTIMIZER_FILE] = concatBytes(encodeSafetensors(await optimizerTensors(optState), "F32"));
  await saveModel(dir, model, generationConfig, extraFiles);
  if (saveTotalLimit > 0) {
    const all = await listCheckpoints(runDir);
    for (const c of all.slice(0, Math.max(0, all.length - saveTotalLimit))) await rm(c.dir, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Restores AdamW state saved by `saveRunCheckpoint` into the structure of `like` (a fresh state for the same
 * params). Consumes `like`.
 * @throws CheckpointError when the file is missing or does not match the model
 */
export async function loadOptimizerState(dir: string, like: AdamWState): Promise<AdamWState> {
  const path = join(dir, OPTIMIZER_FILE);
  const buf = await readFile(path).catch(() => {
    throw new CheckpointError(`${path} is missing: cannot resume the optimizer`);
  });
  const t = parseSafetensors(new Uint8Array(buf), path);
  const restore = (prefix: string, tpl: unknown) => {
    const [leaves, def] = tree.flatten(tpl as never) as unknown as [np.Array[], Parameters<typeof tree.unflatten>[0]];
    const out = leaves.map((a, i) => {
      const s = t.get(`${prefix}.${i}`);
      if (!s || s.data.length !== a.size) throw new CheckpointError(`${path}: ${prefix}.${i} missing or wrong size for this model`);
      const r = np.array(s.data).reshape([...a.shape]);
      a.dispose();
      return r;
    });
    return tree.unflatten(def, out);
  };
  const step = t.get("step");
  if (!step) throw new CheckpointError(`${path}: step missing`);
  like.count.dispose();
  return { mu: restore("exp_avg", like.mu) as AdamWState["mu"], nu: restore("exp_avg_sq", like.nu) as AdamWState["nu"], count: np.array(step.data).reshape([]) };
}

export { loadCheckpointFiles };

/** Where an epoch-based run (SFT, DPO) stands: its step, epoch cursor, last loss and the seconds already trained. */
export interface EpochRunStart {
  step: number;
  st: { epoch: number; cursor: number; epoch_rng_state: number[]; last_loss?: number };
  resumedSeconds: number;
}

/**
 * The start of an epoch-based run: step 0 at the first epoch (the plan drawn from `rng`'s current state), or — with
 * `resumeFrom` — the checkpoint's step, epoch cursor and train seconds, with the optimizer state loaded into
 * `learner` and the run logs cut back to that step.
 * @throws CheckpointError when the checkpoint's files are missing or malformed
 */
export async function startEpochRun(
  resumeFrom: { step: number; dir: string } | null | undefined,
  learner: { state: AdamWState },
  runDir: string,
  rng: { getState(): number[] },
): Promise<EpochRunStart> {
  if (!resumeFrom) return { step: 0, st: { epoch: 0, cursor: 0, epoch_rng_state: rng.getState() }, resumedSeconds: 0 };
  const saved = await readTrainerState(resumeFrom.dir);
  learner.state = await loadOptimizerState(resumeFrom.dir, learner.state);
  await truncateRunLogs(runDir, saved.global_step);
  return {
    step: saved.global_step,
    st: { epoch: saved.epoch as number, cursor: saved.cursor as number, epoch_rng_state: saved.epoch_rng_state as number[], last_loss: saved.last_loss as number | undefined },
    resumedSeconds: (saved[LOOP_SECONDS_KEY] as number | undefined) ?? 0,
  };
}
