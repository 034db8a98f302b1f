#!/usr/bin/env bash
# On a lent GPU machine, in the repository root with .gpu/ carried (bench/device/pack.sh made it):
# unpacks Node and the bundled benchmark, checks every engine's answers against DuckDB on 1e6 rows
# first (all queries; a mismatch stops here), then times q1–q6 at $ROWS rows (default 1e8) on the
# GPU executor (device merge, host merge, cached input) beside DuckDB. Logs and JSON go to $OUT.
set -euo pipefail
: "${OUT:?the device tool sets OUT}"
ROWS=${ROWS:-1e8}
for f in .gpu/*.deb; do dpkg -x "$f" /; done
ldconfig
g=/tmp/gpuframe
rm -rf "$g" && mkdir -p "$g"
xz -dc .gpu/node.xz > "$g/node" && chmod +x "$g/node"
xz -dc .gpu/app.tar.xz | tar -C "$g" -xf -
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nvidia-smi --query-gpu=name,memory.total --format=csv > "$OUT/gpu.txt" 2>&1 || true
cd "$g/app"
bench() { "$g/node" --max-old-space-size=98304 d/d/d/bench.mjs --no-progress "$@"; }
bench --rows 1e6 --runs 1 --executors cpu,gpu,gpu-host,duckdb --out "$OUT/check" > "$OUT/check.log" 2>&1 \
  || { echo "answer check failed: see check.log"; tail -40 "$OUT/check.log"; exit 1; }
grep -E '^engine|^  (cpu|gpu|gpu-host) ' "$OUT/check.log" | cut -c1-110
bench --rows "$ROWS" --runs 3 --query q1,q2,q3,q4,q5,q6 --executors gpu,gpu-host,gpu-cached,duckdb --out "$OUT/bench" > "$OUT/bench.log" 2>&1 \
  || { echo "benchmark failed"; tail -40 "$OUT/bench.log"; exit 1; }
grep -E '^machine|^engine|^gpu:|^q[0-9]|^  (duckdb|gpu|gpu-host|gpu-cached) ' "$OUT/bench.log" | sed -E 's/, warm-up.*//' | cut -c1-160
