#!/usr/bin/env bash
# Dashboard API latency, Antrian vs bull-board, on one bench-owned redis-server holding
# 4 queues x 250,000 jobs (see crates/server/benches/dashboard.rs and bench/README.md).
# Filling takes minutes; to measure again without refilling, keep a redis-server of your own
# and pass it: BENCH_REDIS_URL=redis://127.0.0.1:PORT bench/dashboard.sh (the first run
# fills it, later runs find the data in place).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
install_bench_node
[ -n "${BENCH_REDIS_URL:-}" ] || start_bench_redis
cargo bench -q --locked -p antrian-server --bench dashboard 2>&1 | grep '^dashboard'
