#!/usr/bin/env bash
# Dashboard API latency, Antrian vs bull-board, on one bench-owned redis-server holding
# 4 queues x 250,000 jobs (see crates/server/benches/dashboard.rs and bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
install_bench_node
start_bench_redis
cargo bench -q --locked -p antrian-server --bench dashboard 2>&1 | grep '^dashboard'
