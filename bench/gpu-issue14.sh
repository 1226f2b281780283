#!/usr/bin/env bash
# One device call for issue 14 (after `bash bench/gpu-bundle.sh`; device tool carry [".device", "dist"]):
#   OUT=$OUT bash bench/gpu-issue14.sh            # on the GPU machine, writes everything under $OUT
# Measures, in this order, each step bounded so that the whole stays under BUDGET seconds (default 560):
#  1. all: the 0.5B GRPO step + generation B1/B64 with every patch at its default, and PyTorch fp32/bf16;
#  2. off: the same without patches 207 (host fast path) and 209 (long reductions), thinkrl only;
#  3. f16: float16 matmuls through jax-js (patch 208) and generation with float16 weights (bench/gpu-f16wire-run.sh);
#  4. reduce: the [2048, 151936] reductions and the LM head's value-and-grad, patch 209 on/off (bench/gpu-reduce.ts);
#  5. matmuls: the per-matmul fp32 table (thinkrl vs torch), if time is left.
set -uo pipefail
BUDGET=${BUDGET:-560}
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
step all 200 node dist/bench/gpu.js --models qwen0.5b --batches 1,64 --train-seconds 35 --tokenizer-dir $TOK --out "$OUT/all"
step off 110 env JAXJS_WEBGPU_FAST_HOST=0 JAXJS_WEBGPU_REDUCE=0 node dist/bench/gpu.js --models qwen0.5b --batches 64 --train-seconds 20 --skip-torch --tokenizer-dir $TOK --out "$OUT/off"
step f16 170 env OUT="$OUT" bash bench/gpu-f16wire-run.sh
step reduce 60 node dist/bench/gpu-reduce.js --parts standalone,head --reps 3 --out "$OUT/reduce"
step matmuls 120 node dist/bench/gpu.js --matmuls --matmul-shapes all --matmul-variants "patched=" --out "$OUT/mm"
echo "total $(( $(date +%s) - start )) s" >> "$OUT/steps.txt"
cat "$OUT/steps.txt"
