#!/usr/bin/env bash
# Adds 20,000 jobs with Antrian and with Node.js bullmq@6 against one bench-owned
# redis-server, median of 3 each, and prints the ratios (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source bench/lib.sh
install_bench_node
cargo bench -q --locked -p antrian-core --bench queue_add --no-run 2>/dev/null
start_bench_redis
url=$BENCH_REDIS_URL

out=$(mktemp)
BENCH_REDIS_URL=$url cargo bench -q --locked -p antrian-core --bench queue_add 2>&1 | grep '^antrian' | tee "$out"
node bench/node/add.mjs "$url" antrian | tee -a "$out"
node bench/node/add.mjs "$url" default | tee -a "$out"

rate() { grep "^$1" "$out" | grep -o '[0-9]* jobs/s' | cut -d' ' -f1; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "ratio antrian/node (same options), sequential: $(ratio "$(rate 'antrian add_job')" "$(rate 'node(antrian) Queue.add ')")"
echo "ratio antrian/node (same options), bulk x1000: $(ratio "$(rate 'antrian add_bulk')" "$(rate 'node(antrian) Queue.addBulk')")"
echo "ratio antrian/node (Node defaults), sequential: $(ratio "$(rate 'antrian add_job')" "$(rate 'node(default) Queue.add ')")"
echo "ratio antrian/node (Node defaults), bulk x1000: $(ratio "$(rate 'antrian add_bulk')" "$(rate 'node(default) Queue.addBulk')")"
rm -f "$out"
