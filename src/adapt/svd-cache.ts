/**
 * The SVD cache (Node): the adapted matrices of a base model decomposed once (`svd.ts`) and stored as safetensors
 * keyed by the base's hash — `<cacheDir>/<hash>.svd.safetensors` with `<weight name>.U` `[out, k]`, `.S` `[k]`, `.V`
 * `[in, k]` (float32, the reference's `torch.svd` convention) and a per-matrix report (seconds, reconstruction error)
 * in the metadata. A later run with other targets decomposes only the missing matrices and rewrites the file.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { CheckpointError } from "../core/errors.js";
import type { CausalLM } from "../model/causal-lm.js";
import { writeSafetensors } from "../model/checkpoint.js";
import { paramsToTensors } from "../model/params.js";
import { parseSafetensors, parseSafetensorsMetadata, type Tensor } from "../model/safetensors.js";
import { reconstructionError, svd, type SvdMethod } from "./svd.js";
import type { MatrixFactors, SvfFactors } from "./svf.js";
import type { AdaptedMatrix } from "./targets.js";

/** One decomposed matrix: shape, seconds, method, ‖W − UΣVᵀ‖_F/‖W‖_F with the stored float32 factors. */
export interface SvdReport {
  name: string;
  shape: [number, number];
  seconds: number;
  relError: number;
  method: SvdMethod;
  /** Read from the cache (its seconds/error are those of the run that computed it). */
  cached: boolean;
}

/** `$THINKRL_CACHE_DIR/svd`, else `~/.cache/thinkrl/svd`. */
export function defaultSvdCacheDir(): string {
  return join(process.env.THINKRL_CACHE_DIR ?? join(homedir(), ".cache", "thinkrl"), "svd");
}

/**
 * SHA-256 of a model's weights: every Hugging Face-named tensor in name order (name, shape, float32 bytes), so the
 * hash names the weights, not the files (a bf16 checkpoint and its float32 copy hash alike once loaded).
 */
export async function baseHash(model: CausalLM): Promise<string> {
  return hashTensors(await paramsToTensors(model.config, model.params));
}

export function hashTensors(tensors: ReadonlyMap<string, Tensor>): string {
  const h = createHash("sha256");
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    h.update(`${name}:${t.shape.join("x")};`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest("hex");
}

/**
 * The factors of `targets` for `model`: read from the cache, decomposing (and storing) what is missing.
 * @param o.onMatrix called after each matrix (progress)
 * @throws CheckpointError when the cache file is unreadable
 */
export async function svdFactors(
  model: CausalLM,
  targets: readonly AdaptedMatrix[],
  o: { cacheDir?: string; method?: SvdMethod; onMatrix?: (r: SvdReport, done: number, total: number) => void } = {},
): Promise<{ factors: SvfFactors; report: SvdReport[]; file: string }> {
  const tensors = await paramsToTensors(model.config, model.params);
  const hash = hashTensors(tensors);
  const dir = o.cacheDir ?? defaultSvdCacheDir();
  const file = join(dir, `${hash}.svd.safetensors`);
  let cached = new Map<string, Tensor>();
  let cachedReport: Record<string, Omit<SvdReport, "name" | "cached">> = {};
  const buf = await readFile(file).catch(() => null);
  if (buf !== null) {
    const meta = parseSafetensorsMetadata(buf, file);
    if (meta.base_hash !== hash) throw new CheckpointError(`${file}: SVD cache of another base (base_hash ${meta.base_hash})`);
    cached = parseSafetensors(buf, file);
    cachedReport = JSON.parse(meta.report ?? "{}") as typeof cachedReport;
  }
  const byName = new Map<string, MatrixFactors>();
  const report: SvdReport[] = [];
  let computed = 0;
  for (const [i, t] of targets.entries()) {
    const w = tensors.get(t.name)!;
    const [out, inn] = w.shape as [number, number];
    const k = Math.min(out, inn);
    const U = cached.get(`${t.name}.U`);
    const S = cached.get(`${t.name}.S`);
    const V = cached.get(`${t.name}.V`);
    let r: SvdReport;
    if (U && S && V && U.shape[0] === out && U.shape[1] === k && V.shape[0] === inn && S.shape[0] === k && cachedReport[t.name]) {
      byName.set(t.name, { out, in: inn, k, U: U.data, S: S.data, V: V.data });
      r = { name: t.name, ...cachedReport[t.name]!, cached: true };
    } else {
      const t0 = performance.now();
      const d = svd(w.data, out, inn, o.method ?? "gram");
      const seconds = (performance.now() - t0) / 1000;
      const f: MatrixFactors = { out, in: inn, k, U: Float32Array.from(d.U), S: Float32Array.from(d.S), V: Float32Array.from(d.V) };
      const relError = reconstructionError(w.data, { ...d, U: Float64Array.from(f.U), S: Float64Array.from(f.S), V: Float64Array.from(f.V) });
      byName.set(t.name, f);
      r = { name: t.name, shape: [out, inn], seconds, relError, method: d.method, cached: false };
      cachedReport[t.name] = { shape: r.shape, seconds, relError, method: d.method };
      cached.set(`${t.name}.U`, { shape: [out, k], data: f.U });
      cached.set(`${t.name}.S`, { shape: [k], data: f.S });
      cached.set(`${t.name}.V`, { shape: [inn, k], data: f.V });
      computed++;
    }
    report.push(r);
    o.onMatrix?.(r, i + 1, targets.length);
  }
  if (computed > 0) {
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    await writeSafetensors(tmp, cached, "F32", { base_hash: hash, report: JSON.stringify(cachedReport) });
    await rename(tmp, file);
  }
  return { factors: { baseHash: hash, targets: [...targets], byName }, report, file };
}
