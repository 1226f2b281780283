#!/usr/bin/env bash
# float16 matmuls through jax-js (patch 208) and generation with float16 weights, on the GPU machine (~150 s):
#   source .device/setup.sh && source .device/setup-thinkrl.sh && OUT=$OUT bash bench/gpu-f16wire-run.sh
# 1. `gpu.js --matmuls --matmul-shapes f16`: the 0.5B MLP products (x·W, dY·Wᵀ, Xᵀ·dY) and 4096³ through jnp, one
#    worker each for f16 on the subgroup-matrix kernel, f16 on the tiled fallback (JAXJS_WEBGPU_F16_SGMAT=0) and f32
#    (patch 001's kernel), with TFLOP/s (wall and device), max error vs a float64 product and the kernel record.
# 2. `gpu.js --models qwen0.5b --weights-dtype float16 --skip-train --skip-torch`: logit parity f16 vs f32 weights,
#    generation tok/s at B64 with float16 and float32 weights (64 new tokens).
# → $OUT/f16wire/{matmul/*,gen/*,steps.txt}
set -uo pipefail
mkdir -p "$OUT/f16wire/matmul" "$OUT/f16wire/gen"
s0=$(date +%s)
timeout 80 node dist/bench/gpu.js --matmuls --matmul-shapes f16 --out "$OUT/f16wire/matmul" \
  --matmul-variants "f16-sgmat=THINKRL_BENCH_MATMUL_DTYPE=float16;f16-tiled=THINKRL_BENCH_MATMUL_DTYPE=float16,JAXJS_WEBGPU_F16_SGMAT=0;f32=" \
  > "$OUT/f16wire/matmul/log" 2>&1
echo "matmuls: rc $? in $(( $(date +%s) - s0 )) s" | tee -a "$OUT/f16wire/steps.txt"
s0=$(date +%s)
timeout 120 node dist/bench/gpu.js --models qwen0.5b --tokenizer-dir /tmp/tokenizer-qwen3 --weights-dtype float16 --skip-train --skip-torch --batches 64 --new-tokens 64 \
  --out "$OUT/f16wire/gen" > "$OUT/f16wire/gen/log" 2>&1
echo "generation: rc $? in $(( $(date +%s) - s0 )) s" | tee -a "$OUT/f16wire/steps.txt"
grep -v "deprecated builtin\|^ *\^\|^ *let [ab][0-9]\|subgroupMatrix\|^\s*$\|^warning:\|Compilation log\|warning(s) generated" "$OUT/f16wire/matmul/log" | tail -30
grep "\[thinkrl\]" "$OUT/f16wire/gen/log" | cut -c1-600
