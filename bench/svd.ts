/**
 * The SVD behind Transformer²'s SVF (`src/adapt/svd.ts`): accuracy and time of jax-js's float32 `np.linalg.svd`
 * against the two float64 methods on the embedded model's MLP matrices, then the float64 Gram method at
 * Qwen2.5-0.5B's MLP shapes (896 × 4864 and 4864 × 896, random weights) — the one-off cost of its SVD cache.
 *
 *   npm run build && node dist/bench/svd.js [--big 2]
 */
import { parseArgs } from "node:util";
import { initEngine } from "../src/engine/init.js";

const { values } = parseArgs({ options: { big: { type: "string", default: "2" } } });
await initEngine("wasm");
const { numpy: np } = await import("@jax-js/jax");
const { readSafetensors } = await import("../src/model/checkpoint.js");
const { defaultModelDir } = await import("../src/model/load.js");
const { svd, reconstructionError } = await import("../src/adapt/svd.js");
const { join } = await import("node:path");

const t = await readSafetensors(join(defaultModelDir(), "model.safetensors"));
const rows: string[] = ["| matrix | shape | jax-js f32: s, rel. error | gram f64: s, rel. error | golub-kahan f64: s, rel. error |", "|---|---|---|---|---|"];
for (const [name, w] of t) {
  if (!/mlp/.test(name)) continue;
  const [m, n] = w.shape as [number, number];
  const k = Math.min(m, n);
  let t0 = performance.now();
  const [u, s, vt] = np.linalg.svd(np.array(w.data).reshape([m, n]), { fullMatrices: false });
  const U = Float64Array.from((await u.data()) as Float32Array), S = Float64Array.from((await s.data()) as Float32Array), VT = (await vt.data()) as Float32Array;
  const tj = (performance.now() - t0) / 1000;
  const V = new Float64Array(n * k);
  for (let r = 0; r < k; r++) for (let j = 0; j < n; j++) V[j * k + r] = VT[r * n + j]!;
  const ej = reconstructionError(w.data, { m, n, k, U, S, V, method: "gram" });
  const cell = (method: "gram" | "golub-kahan") => {
    const t1 = performance.now();
    const d = svd(w.data, m, n, method);
    const sec = (performance.now() - t1) / 1000;
    return `${sec.toFixed(3)}, ${reconstructionError(w.data, d).toExponential(1)}`;
  };
  rows.push(`| ${name} | ${m}×${n} | ${tj.toFixed(3)}, ${ej.toExponential(1)} | ${cell("gram")} | ${cell("golub-kahan")} |`);
}
console.log(rows.join("\n"));

// Qwen2.5-0.5B MLP shapes (hidden 896, intermediate 4864), random N(0, 0.02²)-like weights.
for (const [m, n] of [[4864, 896], [896, 4864]].slice(0, Number(values.big))) {
  const w = new Float32Array(m * n);
  let x = 12345;
  for (let i = 0; i < w.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    w[i] = 0.04 * (x / 2147483648 - 0.5);
  }
  const t0 = performance.now();
  const d = svd(w, m, n, "gram");
  const sec = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const err = reconstructionError(w, d);
  console.log(`Qwen2.5-0.5B-shaped ${m}×${n} (${d.method}): SVD ${sec.toFixed(1)} s, reconstruction check ${((performance.now() - t1) / 1000).toFixed(1)} s, rel. error ${err.toExponential(1)}`);
}
