#!/usr/bin/env bash
# Worker throughput, client CPU and add->start latency: Antrian's pool vs a Node.js
# bullmq@6 Worker, on one bench-owned redis-server (see bench/README.md).
#
# The two sides alternate, one run of every concurrency at a time (Antrian, Node, Antrian,
# Node, ...), and each figure is the median of its 3 runs: on a shared 2-core machine,
# running all of one side first let a noisy minute decide the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source bench/lib.sh
install_bench_node
cargo bench -q --locked -p antrian-core --bench worker_throughput --no-run 2>/dev/null
start_bench_redis
url=$BENCH_REDIS_URL

out=$(mktemp)
for _ in 1 2 3; do
  BENCH_REDIS_URL=$url BENCH_RUNS=1 BENCH_LATENCY=0 \
    cargo bench -q --locked -p antrian-core --bench worker_throughput 2>&1 | grep '^antrian' >>"$out"
  BENCH_RUNS=1 BENCH_LATENCY=0 node bench/node/worker.mjs "$url" >>"$out"
done
BENCH_REDIS_URL=$url BENCH_CONCURRENCY=none \
  cargo bench -q --locked -p antrian-core --bench worker_throughput 2>&1 | grep '^antrian' >>"$out"
BENCH_RUNS=0 node bench/node/worker.mjs "$url" | grep latency >>"$out"

median() { sort -n | sed -n 2p; }
for side in antrian node; do
  for c in 1 10 50; do
    rate=$(grep "^$side concurrency $c:" "$out" | grep -o '[0-9]* jobs/s' | cut -d' ' -f1 | median)
    cpu=$(grep "^$side concurrency $c:" "$out" | grep -o '[0-9.]* CPU' | cut -d' ' -f1 | median)
    echo "$side concurrency $c: $rate jobs/s, $cpu CPU s per 10k jobs (median of 3)"
    eval "${side}_rate_$c=$rate ${side}_cpu_$c=$cpu"
  done
done
grep latency "$out"
for c in 1 10 50; do
  eval "a=\$antrian_rate_$c n=\$node_rate_$c ac=\$antrian_cpu_$c nc=\$node_cpu_$c"
  echo "concurrency $c: throughput ratio antrian/node $(python3 -c "print(f'{$a / $n:.2f}')"), CPU per job ratio $(python3 -c "print(f'{$ac / $nc:.2f}')")"
done
rm -f "$out"
