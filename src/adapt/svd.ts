/**
 * Singular value decomposition of weight matrices in float64 on the host, for Transformer²'s SVF (Sun et al. 2025,
 * "Transformer²: Self-adaptive LLMs", §3.1: W = U·Σ·Vᵀ, decomposed once and cached).
 *
 * Why not jax-js's `np.linalg.svd`: it runs in float32 through the eigenvectors of AᵀA, and its reconstruction error
 * ‖W − UΣVᵀ‖_F/‖W‖_F was 0.98–1.1·10⁻⁶ on the embedded model's matrices (above the 10⁻⁶ we promise), against
 * 10⁻¹⁴ for both float64 methods here (measured 2026-12-04, `docs/transformer2.md`).
 *
 * - `gram` (default): the eigen-decomposition of the k×k Gram matrix of the smaller side in float64 (ml-matrix's
 *   symmetric tridiagonal QL), then the other side's vectors as W·v/σ. UΣVᵀ = W·V·Vᵀ = W up to V's orthogonality
 *   (float64), so reconstruction is exact to ~10⁻¹⁴; singular values lose relative precision ε·(σ_max/σ_i)², ~10⁻⁸ at a
 *   condition number of 10⁴. ~17 s for a Qwen2.5-0.5B MLP matrix (4864×896) on one core, against 94 s for
 * - `golub-kahan`: ml-matrix's Golub–Kahan–Reinsch SVD (JAMA), the textbook-accurate algorithm, used automatically
 *   when the Gram route meets a (numerically) rank-deficient matrix (σ_min < 10⁻⁶·σ_max), where W·v/σ breaks down.
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from "ml-matrix";

export type SvdMethod = "gram" | "golub-kahan";
export const SVD_METHODS: readonly SvdMethod[] = ["gram", "golub-kahan"];

/** Thin SVD of an m×n matrix, k = min(m, n): W = U·diag(S)·Vᵀ. Row-major float64. */
export interface Svd {
  m: number;
  n: number;
  k: number;
  /** `[m, k]` left singular vectors. */
  U: Float64Array;
  /** `[k]` singular values, descending. */
  S: Float64Array;
  /** `[n, k]` right singular vectors. */
  V: Float64Array;
  /** The method that produced it (`gram` falls back to `golub-kahan` on rank-deficient matrices). */
  method: SvdMethod;
}

/** σ_min/σ_max below which the Gram route hands over to Golub–Kahan (W·v/σ loses orthogonality there). */
const GRAM_RANK_TOLERANCE = 1e-6;

/**
 * Thin SVD of a row-major m×n matrix.
 * @param w `[m, n]` row-major (float32 weights are widened to float64)
 * @throws Error when `w.length !== m·n`
 */
export function svd(w: ArrayLike<number>, m: number, n: number, method: SvdMethod = "gram"): Svd {
  if (w.length !== m * n) throw new Error(`svd: ${w.length} values for a ${m}×${n} matrix`);
  if (method === "gram") {
    const r = gramSvd(w, m, n);
    if (r !== null) return r;
  }
  return golubKahanSvd(w, m, n);
}

function golubKahanSvd(w: ArrayLike<number>, m: number, n: number): Svd {
  const k = Math.min(m, n);
  const M = new Matrix(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) M.set(i, j, w[i * n + j]!);
  const d = new SingularValueDecomposition(M, { autoTranspose: true });
  const U = new Float64Array(m * k);
  const V = new Float64Array(n * k);
  const Um = d.leftSingularVectors;
  const Vm = d.rightSingularVectors;
  for (let i = 0; i < m; i++) for (let r = 0; r < k; r++) U[i * k + r] = Um.get(i, r);
  for (let j = 0; j < n; j++) for (let r = 0; r < k; r++) V[j * k + r] = Vm.get(j, r);
  return { m, n, k, U, S: Float64Array.from(d.diagonal.slice(0, k)), V, method: "golub-kahan" };
}

/** The Gram route; null when the matrix is numerically rank-deficient. */
function gramSvd(w: ArrayLike<number>, m: number, n: number): Svd | null {
  // Decompose the Gram matrix of the smaller side: WᵀW (n×n) when n ≤ m, else WWᵀ (m×m).
  const tall = n <= m;
  const k = tall ? n : m;
  const rows = tall ? m : n; // the long side, summed over
  const at = (r: number, c: number) => (tall ? w[r * n + c]! : w[c * n + r]!); // element (r, c) of the tall view [rows, k]
  const G = new Float64Array(k * k);
  const row = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) row[c] = at(r, c);
    for (let a = 0; a < k; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      const off = a * k;
      for (let b = a; b < k; b++) G[off + b]! += ra * row[b]!;
    }
  }
  const Gm = new Matrix(k, k);
  for (let a = 0; a < k; a++) for (let b = a; b < k; b++) {
    Gm.set(a, b, G[a * k + b]!);
    Gm.set(b, a, G[a * k + b]!);
  }
  const e = new EigenvalueDecomposition(Gm, { assumeSymmetric: true });
  const vals = e.realEigenvalues; // ascending
  const vecs = e.eigenvectorMatrix;
  const S = new Float64Array(k);
  const small = new Float64Array(k * k); // [k, k] vectors of the short side, columns by descending σ
  for (let r = 0; r < k; r++) {
    const src = k - 1 - r;
    S[r] = Math.sqrt(Math.max(0, vals[src]!));
    for (let a = 0; a < k; a++) small[a * k + r] = vecs.get(a, src);
  }
  if (!(S[k - 1]! > GRAM_RANK_TOLERANCE * S[0]!)) return null;
  // The long side's vectors: (tall view)·v / σ, [rows, k].
  const big = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) row[c] = at(r, c);
    for (let c = 0; c < k; c++) {
      const x = row[c]!;
      if (x === 0) continue;
      const off = c * k;
      for (let s = 0; s < k; s++) big[r * k + s]! += x * small[off + s]!;
    }
    for (let s = 0; s < k; s++) big[r * k + s]! /= S[s]!;
  }
  return tall ? { m, n, k, U: big, S, V: small, method: "gram" } : { m, n, k, U: small, S, V: big, method: "gram" };
}

/**
 * ‖W − U·diag(S)·Vᵀ‖_F / ‖W‖_F in float64.
 * @param s singular values to rebuild with (default `d.S`)
 */
export function reconstructionError(w: ArrayLike<number>, d: Svd, s: ArrayLike<number> = d.S): number {
  const { m, n, k, U, V } = d;
  let num = 0;
  let den = 0;
  const us = new Float64Array(k);
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < k; r++) us[r] = U[i * k + r]! * s[r]!;
    for (let j = 0; j < n; j++) {
      let x = 0;
      for (let r = 0; r < k; r++) x += us[r]! * V[j * k + r]!;
      const diff = w[i * n + j]! - x;
      num += diff * diff;
      den += w[i * n + j]! * w[i * n + j]!;
    }
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
