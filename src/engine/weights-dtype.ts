/**
 * The dtype local models hold their linear weights in for generation-only work (`thinkrl sample`, `eval`, `generate`
 * with a local model): set once by the CLI's global `--weights-dtype` flag, applied where those commands open a model
 * (`model/params.ts` `castWeights`). Training never reads it (the learner keeps float32 weights). Browser-safe; loads
 * jax-js only when a dtype is checked (the CLI sets the flag before every command, most of which never start it).
 */
import { ConfigError } from "../core/errors.js";

/** Dtypes the weights of a generation-only model may be held in. */
export const WEIGHT_DTYPES = ["float32", "float16"] as const;
export type WeightDtype = (typeof WEIGHT_DTYPES)[number];

let chosen: WeightDtype = "float32";

/**
 * Sets the dtype (`--weights-dtype`); undefined keeps the current one.
 * @throws ConfigError for a value outside `WEIGHT_DTYPES`
 */
export function setGenerationWeightsDtype(v: unknown): void {
  if (v === undefined) return;
  if (!(WEIGHT_DTYPES as readonly unknown[]).includes(v)) throw new ConfigError(`--weights-dtype must be one of ${WEIGHT_DTYPES.join(", ")} (got "${String(v)}")`);
  chosen = v as WeightDtype;
}

/** The dtype generation-only commands hold local models' weights in (default float32). */
export function generationWeightsDtype(): WeightDtype {
  return chosen;
}

/**
 * Checks that the started engine can hold weights in `dtype`: float16 needs the WebGPU device (jax-js multiplies
 * float16 on the GPU; on Wasm it would be slower than float32, with float32's memory) created with `shader-f16`.
 * @throws ConfigError saying what is missing
 */
export async function assertWeightsDtypeSupported(dtype: WeightDtype): Promise<void> {
  if (dtype === "float32") return;
  const { startedDevice } = await import("./start.js");
  const { gpuFeatureReport } = await import("./gpu-features.js");
  const { getWebGPUDevice } = await import("@jax-js/jax");
  const device = startedDevice();
  if (device !== "webgpu") throw new ConfigError(`--weights-dtype float16 needs --device webgpu (the engine runs on ${device ?? "nothing yet"})`);
  const report = gpuFeatureReport();
  let has: boolean;
  try {
    has = (getWebGPUDevice() as unknown as { features: { has(f: string): boolean } }).features.has("shader-f16");
  } catch {
    has = report?.deviceFeatures.includes("shader-f16") ?? false;
  }
  if (!has) {
    throw new ConfigError(`--weights-dtype float16: the WebGPU device${report?.adapter ? ` (${report.adapter})` : ""} lacks shader-f16`, {
      hint: "on NVIDIA through Dawn, shader-f16 needs the Dawn toggle vulkan_enable_f16_on_nvidia (thinkrl sets it); otherwise use --weights-dtype float32",
    });
  }
}
