#!/usr/bin/env bash
# One device call for jax-js patch 207 (webgpu-host-fast-path, docs/jax-patch.md), after `bash bench/gpu-bundle.sh`
# (device tool carry [".device", "dist"]):   OUT=$OUT bash bench/gpu-gpuhost.sh
# A/B of JAXJS_WEBGPU_FAST_HOST (1 = patch 207 on, the default; 0 = off) on the 0.5B GRPO step + generation B64,
# each run bounded so that the whole stays under BUDGET seconds (default 240):
#  0. build the random-weight 0.5B checkpoint if missing (scripts/make_qwen25_shaped.py, ≤ 45 s);
#  1. on:  node dist/bench/gpu.js --models qwen0.5b --batches 64 --train-seconds 12 --skip-torch   → $OUT/on/
#  2. off: the same with JAXJS_WEBGPU_FAST_HOST=0                                                    → $OUT/off/
#  3. if time is left, host time alone on this machine's CPU (Dawn's null backend, bench/gpu-host.ts), off then on.
# Look at: $OUT/{on,off}/table.md (or the *.log tails): "generate B64 × 256 new (tok/s)" and the train-step seconds.
set -uo pipefail
BUDGET=${BUDGET:-240}
start=$(date +%s)
left() { echo $((BUDGET - ($(date +%s) - start))); }
source .device/setup.sh >/dev/null && source .device/setup-thinkrl.sh || exit 1
mkdir -p "$OUT"
{ nvidia-smi -L; date -u; node --version; nproc; } > "$OUT/machine.txt" 2>&1
TOK=/tmp/tokenizer-qwen3
step() { # name, seconds wanted (capped by what is left), command...
  local name=$1 want=$2; shift 2
  local t=$(left); t=$((t - 5)); [ "$t" -gt "$want" ] && t=$want
  if [ "$t" -lt 10 ]; then echo "$name: skipped (no time left)" >> "$OUT/steps.txt"; return; fi
  local s0=$(date +%s)
  timeout "$t" "$@" > "$OUT/$name.log" 2>&1
  echo "$name: rc $? in $(( $(date +%s) - s0 )) s (limit $t)" >> "$OUT/steps.txt"
}
# the random-weight 0.5B checkpoint, once (gpu.js would build it inside the first run's time limit otherwise)
[ -f /tmp/qwen2.5-0.5b-shaped/config.json ] || step build 45 python3 scripts/make_qwen25_shaped.py --out /tmp/qwen2.5-0.5b-shaped --tokenizer-dir $TOK
step on 95 env JAXJS_WEBGPU_FAST_HOST=1 node dist/bench/gpu.js --models qwen0.5b --batches 64 --train-seconds 12 --skip-torch --tokenizer-dir $TOK --out "$OUT/on"
step off 95 env JAXJS_WEBGPU_FAST_HOST=0 node dist/bench/gpu.js --models qwen0.5b --batches 64 --train-seconds 12 --skip-torch --tokenizer-dir $TOK --out "$OUT/off"
step host-off 20 env JAXJS_WEBGPU_FAST_HOST=0 node dist/bench/gpu-host.js --reps 8 --rows 2 --seq 64 --hidden 56 --vocab 1024 --generate 64
step host-on 20 env JAXJS_WEBGPU_FAST_HOST=1 node dist/bench/gpu-host.js --reps 8 --rows 2 --seq 64 --hidden 56 --vocab 1024 --generate 64
echo "total $(( $(date +%s) - start )) s" >> "$OUT/steps.txt"
cat "$OUT/steps.txt"
grep -h "generate B64\|train step\|micro-batch" "$OUT"/on.log "$OUT"/off.log 2>/dev/null | head -20
tail -n 1 "$OUT"/host-*.log 2>/dev/null
