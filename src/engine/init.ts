/**
 * Engine start-up: the only place that calls jax-js `init()` and picks a device.
 * Library code receives arrays and never chooses a device itself.
 */
import { installWorkerShim } from "./worker-shim.js";

export type DeviceName = "wasm" | "webgpu" | "cpu";

let started: DeviceName | null = null;


/**
 * Initialises jax-js on `device` (default `wasm`, the CPU backend with a worker-thread pool).
 * @param opts.threads Wasm worker threads (default: all cores).
 * @throws Error when the device is not available.
 */
export async function initEngine(device: DeviceName = "wasm", opts: { threads?: number } = {}): Promise<DeviceName> {
  if (started !== null) return started;
  await import("./setup.js"); // Float16Array polyfill + Worker shim (see setup.ts)
  installWorkerShim(opts.threads);
  const jax = await import("@jax-js/jax");
  const avail = await jax.init(device);
  if (!avail.includes(device)) throw new Error(`device ${device} is not available (found: ${avail.join(", ")})`);
  jax.defaultDevice(device);
  started = device;
  return device;
}
