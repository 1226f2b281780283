/**
 * Run checkpoints: `checkpoint-<step>/` = Hugging Face model files + `optimizer.safetensors` (AdamW moments) +
 * `trainer_state.json` (step, RNG states, data cursor, anything the trainer needs to continue exactly).
 * Written atomically (temporary name, then rename) by `saveCheckpointFiles`.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { numpy as np, tree } from "@jax-js/jax";
import { CheckpointError } from "../errors.js";
import { loadCheckpointFiles, saveCheckpointFiles } from "../model/checkpoint.js";
import type { CausalLM } from "../model/causal-lm.js";
import { paramsToTensors } from "../model/params.js";
import { encodeSafetensors, parseSafetensors, type Tensor } from "../model/safetensors.js";
import type { AdamWState } from "./optim.js";

export const TRAINER_STATE_FILE = "trainer_state.json";
export const OPTIMIZER_FILE = "optimizer.safetensors";

/** `checkpoint-<step>` directories of a run, ascending by step. */
export async function listCheckpoints(runDir: string): Promise<{ step: number; dir: string }[]> {
  const names = await readdir(runDir).catch(() => [] as string[]);
  return names
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: join(runDir, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

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

/** Saves model + optimizer + trainer state to `<runDir>/checkpoint-<step>` and prunes old ones. */
export async function saveRunCheckpoint(
  runDir: string,
  step: number,
  model: CausalLM,
  optState: AdamWState | null,
  trainerState: Record<string, unknown>,
  saveTotalLimit: number,
): Promise<string> {
  const dir = join(runDir, `checkpoint-${step}`);
  const extraFiles: Record<string, string | Uint8Array> = {
    [TRAINER_STATE_FILE]: JSON.stringify({ global_step: step, ...trainerState }, null, 1),
  };
  if (optState) extraFiles[OPTIMIZER_FILE] = concatBytes(encodeSafetensors(await optimizerTensors(optState), "F32"));
  await saveCheckpointFiles(dir, {
    config: model.config,
    tensors: await paramsToTensors(model.config, model.params),
    tokenizerJson: model.tokenizer.json,
    dtype: "F32",
    extraFiles,
  });
  if (saveTotalLimit > 0) {
    const all = await listCheckpoints(runDir);
    for (const c of all.slice(0, Math.max(0, all.length - saveTotalLimit))) await rm(c.dir, { recursive: true, force: true });
  }
  return dir;
}

/** Reads `trainer_state.json` of a checkpoint. */
export async function readTrainerState(dir: string): Promise<Record<string, unknown> & { global_step: number }> {
  try {
    const s = JSON.parse(await readFile(join(dir, TRAINER_STATE_FILE), "utf8")) as Record<string, unknown>;
    if (typeof s.global_step !== "number") throw new Error("global_step missing");
    return s as Record<string, unknown> & { global_step: number };
  } catch (e) {
    throw new CheckpointError(`${join(dir, TRAINER_STATE_FILE)}: cannot read trainer state (${(e as Error).message})`);
  }
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
