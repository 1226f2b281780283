/** The engine device chosen with the global `--device` flag, read by every command that starts the engine. */
import { ThinkrlError } from "../core/errors.js";
import { DEVICE_CHOICES, type DeviceChoice } from "../engine/init.js";

let choice: DeviceChoice = "wasm";

export function setDeviceChoice(v: unknown): void {
  if (v === undefined) return;
  if (!(DEVICE_CHOICES as readonly unknown[]).includes(v)) {
    throw new ThinkrlError(`--device must be one of ${DEVICE_CHOICES.join(", ")} (got "${String(v)}")`);
  }
  choice = v as DeviceChoice;
}

export function deviceChoice(): DeviceChoice {
  return choice;
}
