#!/usr/bin/env bash
# The f16 subgroup-matrix matmul bench on the GPU machine, each variant in its own Node process with its own time
# limit (a crash or hang costs one variant), then the whole-matrix check against torch and torch's own timings:
#   source .device/setup.sh && source .device/setup-thinkrl.sh && OUT=$OUT bash bench/gpu-f16-run.sh [variants] [shapes]
# → $OUT/f16/<variant>/{f16-matmul.json,log}, $OUT/f16/torch.json, $OUT/f16/table.md (printed last)
# Default variants: the best of the 2026-12-06 H100 runs first (docs/benchmarks.md, issue 14 fourth session).
set -uo pipefail
VARIANTS=${1:-smem-128x128x32-2x2,smem-64x128x32-2x2,smem-128x128x32-2x4,smem-128x256x32-2x4,smem-256x128x32-4x2,naive-2x4,multi-4x4-2x1,dbuf-128x128x32-2x4}
SHAPES=${2:-4096x4096x4096,2048x896x4864,2048x4864x896}
PER=${F16_PER_VARIANT_S:-45}
DUMP=${F16_DUMP:-/tmp/f16mm}
mkdir -p "$OUT/f16" "$DUMP"
for v in ${VARIANTS//,/ }; do
  mkdir -p "$OUT/f16/$v"
  s0=$(date +%s)
  timeout "$PER" node dist/bench/gpu-f16-matmul.js --variants "$v" --shapes "$SHAPES" --out "$OUT/f16/$v" --dump "$DUMP" > "$OUT/f16/$v/log" 2>&1
  echo "f16 $v: rc $? in $(( $(date +%s) - s0 )) s" | tee -a "$OUT/f16/steps.txt"
done
timeout 150 python3 bench/gpu_f16_matmul_check.py --dump "$DUMP" --json "$OUT/f16/torch.json" --results "$OUT/f16" --table "$OUT/f16/table.md" > "$OUT/f16/check.log" 2>&1
echo "f16 check: rc $?" | tee -a "$OUT/f16/steps.txt"
cat "$OUT/f16/table.md" 2>/dev/null
