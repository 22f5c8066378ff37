#!/usr/bin/env bash
# Worker throughput, client CPU and add->start latency: Antrian's pool in-process
# ("antrian", no-op handler), the whole `antrian workers` process on validate-data jobs
# ("process"), the bare engine (a plain bullmq-official Worker, "bare") and a Node.js
# bullmq@6 Worker ("node"), on one bench-owned redis-server (see bench/README.md). Throughput is timed from the jobs' own timestamps
# (bench/span.lua), so start-up and shutdown count on no side.
#
# The sides alternate, one run of every concurrency at a time (Antrian, bare, Node,
# Antrian, ...), and each figure is the median of its 3 runs: on a shared 2-core machine,
# running all of one side first let a noisy minute decide the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source bench/lib.sh
install_bench_node
cargo bench -q --locked -p antrian-core --bench worker_throughput --no-run 2>/dev/null
cargo build -q --release --locked -p antrian-cli
start_bench_redis
url=$BENCH_REDIS_URL

out=$(mktemp)
for _ in 1 2 3; do
  BENCH_REDIS_URL=$url BENCH_RUNS=1 BENCH_LATENCY=0 \
    cargo bench -q --locked -p antrian-core --bench worker_throughput 2>&1 | grep -E '^(antrian|bare) ' >>"$out"
  BENCH_RUNS=1 BENCH_LATENCY=0 node bench/node/worker.mjs "$url" >>"$out"
  BENCH_RUNS=1 node bench/node/process_worker.mjs "$url" target/release/antrian >>"$out"
done
BENCH_REDIS_URL=$url BENCH_CONCURRENCY=none \
  cargo bench -q --locked -p antrian-core --bench worker_throughput 2>&1 | grep '^antrian' >>"$out"
BENCH_RUNS=0 node bench/node/worker.mjs "$url" | grep latency >>"$out"

median() { sort -n | sed -n 2p; }
for side in antrian process bare node; do
  for c in 1 10 50; do
    rate=$(grep "^$side concurrency $c:" "$out" | grep -o '[0-9]* jobs/s' | cut -d' ' -f1 | median)
    cpu=$(grep "^$side concurrency $c:" "$out" | grep -o '[0-9.]* CPU' | cut -d' ' -f1 | median)
    echo "$side concurrency $c: $rate jobs/s, $cpu CPU s per 10k jobs (median of 3)"
    eval "${side}_rate_$c=$rate ${side}_cpu_$c=$cpu"
  done
done
grep latency "$out"
for c in 1 10 50; do
  eval "a=\$antrian_rate_$c p=\$process_rate_$c b=\$bare_rate_$c n=\$node_rate_$c ac=\$antrian_cpu_$c pc=\$process_cpu_$c bc=\$bare_cpu_$c nc=\$node_cpu_$c"
  python3 -c "print(f'concurrency $c: pool/bare {$a / $b:.2f}, process/bare {$p / $b:.2f}, bare/node {$b / $n:.2f}, pool/node {$a / $n:.2f}, process/node {$p / $n:.2f}; CPU per job pool/node {$ac / $nc:.2f}, process/node {$pc / $nc:.2f}, process/bare {$pc / $bc:.2f}')"
done
rm -f "$out"
