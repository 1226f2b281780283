/**
 * Side-effect module: installs a `Float16Array` (ES2025; Node 20 and older browsers lack it) before anything loads
 * `@jax-js/jax`. Browser-safe; the package entries import it first.
 */
import { Float16Array as Float16ArrayPolyfill } from "@petamoriken/float16";

const g = globalThis as Record<string, unknown>;
if (g.Float16Array === undefined) g.Float16Array = Float16ArrayPolyfill;
