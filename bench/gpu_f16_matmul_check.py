"""Checks bench/gpu-f16-matmul.ts's outputs against torch and times torch's own matmul at the same shapes.

The Node bench (--dump DIR) writes, per shape MxKxN: MxKxN.a.f16, MxKxN.b.f16 (row-major f16 inputs) and
MxKxN.<variant>.c.f32 (its f32 result). Here: reference = torch float64 product of the same f16 inputs on the GPU;
error = max |C - ref| / max |ref| over the whole matrix. torch timings: fp32 (TF32 off), fp16 and bf16 inputs,
median of 5 timings of back-to-back calls, CUDA-synchronised.

    python3 bench/gpu_f16_matmul_check.py --dump /tmp/f16mm --json OUT.json
"""
import argparse
import glob
import json
import os
import time

import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("--dump", required=True)
p.add_argument("--json", required=True)
p.add_argument("--results", help="folder of the Node bench's per-variant outputs (<variant>/f16-matmul.json) for --table")
p.add_argument("--table", help="write a markdown table: TFLOP/s per variant and shape, whole-matrix error vs torch")
a = p.parse_args()
torch.backends.cuda.matmul.allow_tf32 = False
dev = "cuda"
out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "shapes": {}}


def bench(f, flop):
    f()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    f()
    torch.cuda.synchronize()
    one = time.perf_counter() - t0
    reps = max(1, min(200, int(0.05 / max(one, 1e-6))))
    ts = []
    for _ in range(5):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(reps):
            f()
        torch.cuda.synchronize()
        ts.append((time.perf_counter() - t0) / reps)
    s = sorted(ts)[2]
    return {"seconds": s, "tflops": flop / s / 1e12}


for fa in sorted(glob.glob(os.path.join(a.dump, "*.a.f16"))):
    shape = os.path.basename(fa)[: -len(".a.f16")]
    M, K, N = (int(x) for x in shape.split("x"))
    A = torch.from_numpy(np.fromfile(fa, dtype=np.float16).reshape(M, K)).to(dev)
    B = torch.from_numpy(np.fromfile(os.path.join(a.dump, shape + ".b.f16"), dtype=np.float16).reshape(K, N)).to(dev)
    ref = A.double() @ B.double()
    scale = ref.abs().max().item()
    r = {"variants": {}}
    for fc in sorted(glob.glob(os.path.join(a.dump, shape + ".*.c.f32"))):
        name = os.path.basename(fc)[len(shape) + 1 : -len(".c.f32")]
        C = torch.from_numpy(np.fromfile(fc, dtype=np.float32).reshape(M, N)).to(dev)
        r["variants"][name] = {"maxRelError": (C.double() - ref).abs().max().item() / scale}
    # torch's own products of the same inputs: fp32 (TF32 off) and, for the error column, fp16 with its default accumulation
    A32, B32 = A.float(), B.float()
    r["torchFp32MaxRelError"] = (A32 @ B32).double().sub(ref).abs().max().item() / scale
    r["torchFp16MaxRelError"] = (A @ B).double().sub(ref).abs().max().item() / scale
    flop = 2 * M * N * K
    r["torch"] = {
        "fp32": bench(lambda: A32 @ B32, flop),
        "fp16": bench(lambda: A @ B, flop),
    }
    Ab, Bb = A.bfloat16(), B.bfloat16()
    r["torch"]["bf16"] = bench(lambda: Ab @ Bb, flop)
    out["shapes"][f"{M}×{K}×{N}"] = r
    print(shape, json.dumps(r))
    del A, B, ref, A32, B32, Ab, Bb
    torch.cuda.empty_cache()
with open(a.json, "w") as f:
    json.dump(out, f, indent=2)

if a.results and a.table:
    # the Node bench's timings (one process per variant) beside the whole-matrix error computed above
    node = {}
    for fj in sorted(glob.glob(os.path.join(a.results, "*", "f16-matmul.json"))):
        with open(fj) as f:
            j = json.load(f)
        for label, sh in j.get("shapes", {}).items():
            for name, r in sh.get("variants", {}).items():
                node.setdefault(name, {})[label] = r
    labels = list(out["shapes"].keys())
    lines = ["| variant | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for name in sorted(node):
        cells = []
        for label in labels:
            r = node[name].get(label)
            err = out["shapes"][label]["variants"].get(name, {}).get("maxRelError")
            if r is None:
                cells.append("crashed")
            elif "tflops" in r:
                cells.append(f"{r['tflops']:.1f} (err {err:.1e})" if err is not None else f"{r['tflops']:.1f} (no dump)")
            else:
                cells.append(r.get("skipped") or ("fail: " + r.get("error", "?")[:60]))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for kind in ("fp32", "fp16", "bf16"):
        lines.append(f"| torch {kind} | " + " | ".join(f"{out['shapes'][l]['torch'][kind]['tflops']:.1f}" for l in labels) + " |")
    lines.append("| torch fp32 / fp16 error | " + " | ".join(f"{out['shapes'][l]['torchFp32MaxRelError']:.1e} / {out['shapes'][l]['torchFp16MaxRelError']:.1e}" for l in labels) + " |")
    with open(a.table, "w") as f:
        f.write(f"device: {out['device']}, torch {out['torch']}; error = max |C − ref| / max |ref| over the whole matrix, ref = float64 product of the same f16 inputs\n\n")
        f.write("\n".join(lines) + "\n")
