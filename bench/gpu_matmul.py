#!/usr/bin/env python3
"""PyTorch side of `bench/gpu.ts --matmuls`: `torch.matmul` at the shapes thinkrl's matmul table measures.

    python3 bench/gpu_matmul.py --shapes '[["q x·W", 2048, 896, 896, "nn"], ...]' --json OUT.json

Each shape is [label, M, K, N, form]: form "nn" = A[M,K]·B[K,N]; "nt" = A[M,K]·B[N,K]ᵀ (the input gradient
dY·Wᵀ); "tn" = A[K,M]ᵀ·B[K,N] (the weight gradient Xᵀ·dY). Transposes are views, as in a backward pass. Timed in
fp32 (TF32 off, PyTorch's default) and bf16: median of 5 timings of enough back-to-back calls to fill ≥ 50 ms, with
CUDA synchronisation around each timing.
"""
import argparse
import json
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", required=True)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    dev = torch.device("cuda")
    out = {"notes": [f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}"], "fp32": {}, "bf16": {}}
    for label, M, K, N, form in json.loads(a.shapes):
        for name, dt in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
            g = torch.Generator(device=dev).manual_seed(0)
            A = torch.randn(*((K, M) if form == "tn" else (M, K)), device=dev, dtype=dt, generator=g)
            B = torch.randn(*((N, K) if form == "nt" else (K, N)), device=dev, dtype=dt, generator=g)
            f = {"nn": lambda: A @ B, "nt": lambda: A @ B.T, "tn": lambda: A.T @ B}[form]
            f()
            torch.cuda.synchronize()
            t = time.perf_counter()
            f()
            torch.cuda.synchronize()
            reps = max(1, int(0.05 / max(time.perf_counter() - t, 1e-6)))
            ts = []
            for _ in range(5):
                torch.cuda.synchronize()
                t = time.perf_counter()
                for _ in range(reps):
                    f()
                torch.cuda.synchronize()
                ts.append((time.perf_counter() - t) / reps)
            s = sorted(ts)[2]
            out[name][label] = {"seconds": s, "tflops": 2 * M * K * N / s / 1e12}
            del A, B
        torch.cuda.empty_cache()
    with open(a.json, "w") as fh:
        json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
