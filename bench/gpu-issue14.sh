#!/usr/bin/env bash
# One device call for issue 14 (after `bash bench/gpu-bundle.sh`; device tool carry [".device", "dist"]):
#   bash bench/gpu-issue14.sh            # on the GPU machine, writes everything under $OUT
# Measures, in this order, each step bounded so that the whole stays under BUDGET seconds (default 570):
#  1. the 0.5B GRPO step + generation B64, patches 001+201+202 (eager jit, one compute pass) and PyTorch fp32/bf16;
#  2. the same with JAXJS_WEBGPU_ONE_PASS=0 (eager jit, a pass per dispatch);
#  3. the same with JAXJS_WEBGPU_JIT_EAGER=0 JAXJS_WEBGPU_ONE_PASS=0 (lazy jit: jax-js's program runner);
#  4. the f16 subgroup-matrix matmul bench, checked against torch (bench/gpu-f16-matmul.ts);
#  5. the per-matmul table (fp32, thinkrl vs torch).
set -uo pipefail
BUDGET=${BUDGET:-570}
start=$(date +%s)
left() { echo $((BUDGET - ($(date +%s) - start))); }
source .device/setup.sh >/dev/null && source .device/setup-thinkrl.sh || exit 1
mkdir -p "$OUT"
{ nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; date -u; node --version; } > "$OUT/machine.txt" 2>&1
TOK=/tmp/tokenizer-qwen3
step() { # name, seconds wanted (capped by what is left), command...
  local name=$1 want=$2; shift 2
  local t=$(left); t=$((t - 5)); [ "$t" -gt "$want" ] && t=$want
  if [ "$t" -lt 20 ]; then echo "$name: skipped (no time left)" >> "$OUT/steps.txt"; return; fi
  local s0=$(date +%s)
  timeout "$t" "$@" > "$OUT/$name.log" 2>&1
  echo "$name: rc $? in $(( $(date +%s) - s0 )) s (limit $t)" >> "$OUT/steps.txt"
}
step onepass 210 node dist/bench/gpu.js --models qwen0.5b --batches 64 --train-seconds 45 --tokenizer-dir $TOK --out "$OUT/onepass"
step eager 100 env JAXJS_WEBGPU_ONE_PASS=0 node dist/bench/gpu.js --models qwen0.5b --batches 64 --train-seconds 35 --skip-torch --out "$OUT/eager"
step lazy 110 env JAXJS_WEBGPU_ONE_PASS=0 JAXJS_WEBGPU_JIT_EAGER=0 node dist/bench/gpu.js --models qwen0.5b --batches 64 --train-seconds 18 --skip-torch --out "$OUT/lazy"
step f16 150 env OUT="$OUT" F16_PER_VARIANT_S=15 bash bench/gpu-f16-run.sh
step matmuls 120 node dist/bench/gpu.js --matmuls --matmul-shapes all --matmul-variants "patched=" --out "$OUT/mm"
echo "total $(( $(date +%s) - start )) s" >> "$OUT/steps.txt"
cat "$OUT/steps.txt"
