/** The float64 SVD: both methods on a rank-deficient matrix (the Gram route hands over to Golub–Kahan), shapes both ways. */
import { expect, test } from "vitest";
import { reconstructionError, svd } from "../../src/adapt/svd.js";
import { Rng } from "../../src/core/rng.js";

const random = (m: number, n: number, seed: number) => {
  const r = new Rng(seed);
  return Float64Array.from({ length: m * n }, () => r.next() - 0.5);
};

test("wide and tall matrices: orthonormal factors, descending σ, reconstruction ~1e-14", () => {
  for (const [m, n] of [[7, 19], [19, 7]] as const) {
    const w = random(m, n, m);
    const d = svd(w, m, n);
    expect(d.method).toBe("gram");
    expect(reconstructionError(w, d)).toBeLessThan(1e-12);
    for (let i = 1; i < d.k; i++) expect(d.S[i]!).toBeLessThanOrEqual(d.S[i - 1]!);
    let off = 0;
    for (let a = 0; a < d.k; a++) for (let b = 0; b < d.k; b++) {
      let u = 0;
      for (let i = 0; i < m; i++) u += d.U[i * d.k + a]! * d.U[i * d.k + b]!;
      off = Math.max(off, Math.abs(u - (a === b ? 1 : 0)));
    }
    expect(off).toBeLessThan(1e-10);
    const gk = svd(w, m, n, "golub-kahan");
    for (let i = 0; i < d.k; i++) expect(Math.abs(gk.S[i]! - d.S[i]!)).toBeLessThan(1e-12);
  }
});

test("a rank-deficient matrix falls back to Golub–Kahan and still reconstructs", () => {
  const m = 6, n = 9;
  const a = random(m, 2, 1), b = random(2, n, 2); // rank 2
  const w = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[i * n + j] = a[i * 2]! * b[j]! + a[i * 2 + 1]! * b[n + j]!;
  const d = svd(w, m, n);
  expect(d.method).toBe("golub-kahan");
  expect(reconstructionError(w, d)).toBeLessThan(1e-12);
  expect(d.S[2]!).toBeLessThan(1e-12);
  expect(() => svd(w, 5, 9)).toThrow(/54 values for a 5×9 matrix/);
});
