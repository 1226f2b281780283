"""float32 matmul (sgemm) timing through numpy's BLAS, the reference column of `bench/cpu.ts --reference numpy`.

    python3 bench/matmul_reference.py --matmul 2048x2048x2048,8192x128x336 [--threads 2]

Shapes are MxKxN, optionally with a suffix :nt (B stored [N, K] and read transposed) or :tn (A stored [K, M]); prints JSON {numpy, blas, matmul: [{shape, ms, gflops}]} (median of repeated calls after a warm-up).
Set OPENBLAS_NUM_THREADS before starting Python to pin BLAS threads (bench/cpu.ts does).
"""
import argparse
import json
import time

import numpy as np


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")
        b = cfg.get("Build Dependencies", {}).get("blas", {})
        return f"{b.get('name', '?')} {b.get('version', '')}".strip()
    except Exception:  # older numpy
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--matmul", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    out = {"numpy": np.__version__, "blas": blas_name(), "matmul": []}
    rng = np.random.default_rng(0)
    for shape in [s for s in args.matmul.split(",") if s]:
        dims, _, form = shape.partition(":")
        M, K, N = (int(x) for x in dims.split("x"))
        a = rng.standard_normal((K, M) if form == "tn" else (M, K), dtype=np.float32)
        b = rng.standard_normal((N, K) if form == "nt" else (K, N), dtype=np.float32)
        if form == "tn":
            a = a.T
        if form == "nt":
            b = b.T
        c = a @ b
        n = max(5, min(100, int(2e9 / (2 * M * K * N))))
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            c = a @ b
            times.append((time.perf_counter() - t0) * 1000)
        assert c.dtype == np.float32
        ms = sorted(times)[len(times) // 2]
        out["matmul"].append({"shape": shape, "ms": ms, "gflops": 2 * M * K * N / ms / 1e6})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
