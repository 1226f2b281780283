/**
 * Engine start-up on Node: the Node shims, then `startEngine` (`start.ts`), the only place that calls jax-js
 * `init()` and picks a device.
 * Library code receives arrays and never chooses a device itself.
 *
 * - `wasm` (default): CPU, a Wasm kernel per op on a worker-thread pool.
 * - `webgpu`: a GPU through WebGPU. In Node it comes from the optional npm package `webgpu` (Google's Dawn;
 *   Vulkan on Linux/NVIDIA); in a browser from `navigator.gpu`.
 * - `auto`: `webgpu` when an adapter is found, else `wasm` (said once on stderr).
 */
import "./setup.js"; // Float16Array polyfill + Worker shim, before anything loads @jax-js/jax
import { startedDevice, startEngine, type DeviceChoice, type DeviceName } from "./start.js";
import { installWorkerShim } from "./worker-shim.js";

export { DEVICE_CHOICES, type DeviceChoice, type DeviceName } from "./start.js";

/**
 * Dawn toggles for the Node WebGPU device: `allow_unsafe_apis` (experimental features such as
 * `chromium-experimental-subgroup-matrix`) and `vulkan_enable_f16_on_nvidia` (Dawn withholds `shader-f16` on NVIDIA
 * Vulkan drivers by default; with it the H200 adapter lists `shader-f16` and f16 subgroup-matrix configurations).
 */
export const DAWN_FEATURE_FLAGS = ["allow_unsafe_apis", "vulkan_enable_f16_on_nvidia"] as const;

/** Makes `navigator.gpu` available in Node from the `webgpu` package. @returns false when it is not installed. */
async function installNodeWebGpu(): Promise<boolean> {
  const g = globalThis as unknown as Record<string, unknown> & { navigator?: Record<string, unknown> };
  if (g.navigator?.gpu) return true;
  let mod: { create: (opts: string[]) => unknown; globals: object };
  try {
    mod = (await import("webgpu" as string)) as typeof mod;
  } catch {
    return false;
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([`enable-dawn-features=${DAWN_FEATURE_FLAGS.join(",")}`]);
  if (g.navigator === undefined) g.navigator = { userAgent: "node" };
  Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
  return true;
}

/**
 * Initialises jax-js on `device` (default `wasm`).
 * @param opts.threads Wasm worker threads (default: all cores).
 * @throws Error when the requested device is not available (with what was found).
 */
export async function initEngine(device: DeviceChoice = "wasm", opts: { threads?: number } = {}): Promise<DeviceName> {
  const already = startedDevice();
  if (already !== null) return already;
  installWorkerShim(opts.threads);
  const wantGpu = device === "webgpu" || device === "auto";
  const haveGpuModule = wantGpu ? await installNodeWebGpu() : false;
  if (device === "webgpu" && !haveGpuModule) {
    throw new Error("device webgpu needs the optional npm package `webgpu` (npm install webgpu@0.6.2)");
  }
  return startEngine(device);
}
