#!/usr/bin/env bash
# Worker throughput, client CPU and add->start latency: Antrian's pool vs a Node.js
# bullmq@6 Worker, on one bench-owned redis-server (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source bench/lib.sh
install_bench_node
cargo bench -q --locked -p antrian-core --bench worker_throughput --no-run 2>/dev/null
start_bench_redis
url=$BENCH_REDIS_URL

out=$(mktemp)
BENCH_REDIS_URL=$url cargo bench -q --locked -p antrian-core --bench worker_throughput 2>&1 | grep '^antrian' | tee "$out"
node bench/node/worker.mjs "$url" | tee -a "$out"
for c in 1 10 50; do
  a=$(grep "^antrian concurrency $c:" "$out" | grep -o '[0-9]* jobs/s' | cut -d' ' -f1)
  n=$(grep "^node concurrency $c:" "$out" | grep -o '[0-9]* jobs/s' | cut -d' ' -f1)
  ac=$(grep "^antrian concurrency $c:" "$out" | grep -o '[0-9.]* CPU' | cut -d' ' -f1)
  nc=$(grep "^node concurrency $c:" "$out" | grep -o '[0-9.]* CPU' | cut -d' ' -f1)
  echo "concurrency $c: throughput ratio antrian/node $(python3 -c "print(f'{$a / $n:.2f}')"), CPU per job ratio $(python3 -c "print(f'{$ac / $nc:.2f}')")"
done
rm -f "$out"
