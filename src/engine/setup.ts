/**
 * Side-effect module: makes Node.js look enough like a browser for jax-js's Wasm backend — a `Worker` global
 * (thread pool) and `Float16Array` (ES2025; Node 20 lacks it). Import it before anything that imports
 * `@jax-js/jax` (the package entry and the CLI do so first); `initEngine` also installs both, idempotently.
 */
import "./float16.js";
import { installWorkerShim } from "./worker-shim.js";

installWorkerShim();
