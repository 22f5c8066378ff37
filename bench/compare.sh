#!/usr/bin/env bash
# The published comparison, docs/benchmarks.md: Antrian against Node.js bullmq@6 and
# bull-board, measured in one run on this machine, with Redis's own ceiling beside them.
#   bench/compare.sh        (also run by `make bench`)
# Runs redis-benchmark, bench/queue_add.sh, bench/worker_throughput.sh, bench/dashboard.sh
# and bench/desktop_memory.sh (each on a bench-owned redis-server), keeps their raw output in
# bench/results/compare-<time>/ and renders docs/benchmarks.md from it (bench/report.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
raw="bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$raw"
. bench/lib.sh
install_bench_node

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!docs/benchmarks.md' || echo ' (with uncommitted changes)')"
  echo "cpu: $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2}') ($(nproc) cores)"
  echo "memory: $(free -g | awk '/^Mem/ {print $2}') GiB"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "redis-server: $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-)"
  echo "node: $(node --version)"
  echo "rustc: $(rustc --version | cut -d' ' -f2)"
  echo "bullmq: $(node -p "require('./bench/node/node_modules/bullmq/package.json').version" 2>/dev/null || echo '?')"
  echo "bull-board: $(node -p "require('./bench/node/node_modules/@bull-board/api/package.json').version" 2>/dev/null || echo '?')"
} >"$raw/machine.txt"
cat "$raw/machine.txt"

echo "## Redis's own ceiling (redis-benchmark, 50 clients)"
(
  start_bench_redis
  for pipeline in 1 16; do
    redis-benchmark -p "$BENCH_PORT" -q -n 200000 -c 50 -P "$pipeline" -t ping_mbulk,set,get,lpush,zadd \
      | tr '\r' '\n' | grep 'requests per second' | sed "s/^/P$pipeline /"
  done
) | tee "$raw/redis.txt"

echo "## Adding jobs"
bench/queue_add.sh 2>&1 | tee "$raw/add.txt"
echo "## Processing"
bench/worker_throughput.sh 2>&1 | tee "$raw/workers.txt"
echo "## Dashboard API at 1,000,000 jobs"
bench/dashboard.sh 2>&1 | tee "$raw/dashboard.txt"
echo "## Desktop memory against an empty Tauri window, idle and under load"
bench/desktop_memory.sh 2>&1 | tee "$raw/desktop.txt"

python3 bench/report.py "$raw" >docs/benchmarks.md
echo "wrote docs/benchmarks.md (raw output in $raw)"
