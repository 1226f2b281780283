/**
 * Starting jax-js on a device, with nothing Node-specific (browser-safe). `initEngine` (`init.ts`) adds the Node
 * shims around it (a Web Worker shim for the Wasm thread pool, WebGPU from the `webgpu` package); in a browser,
 * `thinkrl/browser` exports this function as `initEngine`.
 */
import "./float16.js"; // before anything loads @jax-js/jax
import { installWasmHeapProbe } from "./wasm-heap.js";
import { requestGpuFeatures } from "./gpu-features.js";

export type DeviceName = "wasm" | "webgpu" | "cpu";
export type DeviceChoice = DeviceName | "auto";
export const DEVICE_CHOICES: readonly DeviceChoice[] = ["wasm", "webgpu", "auto", "cpu"];

let started: DeviceName | null = null;

/** The device the engine was started on, or null before `startEngine`. */
export function startedDevice(): DeviceName | null {
  return started;
}

/**
 * Initialises jax-js on `device` (default `wasm`) once; later calls return the first call's device.
 * `auto`: `webgpu` when an adapter is found, else `wasm` (said once on the console).
 * @throws Error when the requested device is not available (with what was found)
 */
export async function startEngine(device: DeviceChoice = "wasm"): Promise<DeviceName> {
  if (started !== null) return started;
  const wantGpu = device === "webgpu" || device === "auto";
  installWasmHeapProbe();
  if (wantGpu) requestGpuFeatures(); // subgroups, subgroup matrices and f16 when the adapter has them
  const jax = await import("@jax-js/jax");
  const avail = (await jax.init(...(wantGpu ? (["webgpu", "wasm"] as const) : ([device] as const)))) as DeviceName[];
  let chosen: DeviceName;
  if (device === "auto") {
    chosen = avail.includes("webgpu") ? "webgpu" : "wasm";
    if (chosen === "wasm") console.error("thinkrl: no WebGPU adapter found; using the CPU (wasm) backend");
  } else {
    if (!avail.includes(device)) throw new Error(`device ${device} is not available (found: ${avail.join(", ")})`);
    chosen = device;
  }
  jax.defaultDevice(chosen);
  started = chosen;
  return chosen;
}
