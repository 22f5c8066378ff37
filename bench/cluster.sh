#!/usr/bin/env bash
# Worker throughput and add->start latency on a Redis Cluster beside one redis-server:
# the same bench (crates/core/benches/worker_throughput.rs, Antrian's pool with a no-op
# handler on the validate-data payload, its side alone) against a bench-owned single
# server and a bench-owned 3-primary, 3-replica cluster on this machine, taking turns
# (3 rounds), medians printed. What a cluster costs a node: its client routes each
# command by slot and the queues' keys all live on one primary ({bull}).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source bench/lib.sh
cargo bench -q --locked -p antrian-core --bench worker_throughput --no-run 2>/dev/null
start_bench_redis
single=$BENCH_REDIS_URL

CLUSTER_DIR=$(mktemp -d)
ports=()
for _ in 1 2 3 4 5 6; do
  # A free port at most 55535 whose cluster bus port (10,000 higher) is free too.
  port=$(python3 -c '
import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    if p <= 55535:
        b = socket.socket()
        try:
            b.bind(("127.0.0.1", p + 10000)); print(p); break
        except OSError:
            pass
')
  mkdir -p "$CLUSTER_DIR/$port"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$CLUSTER_DIR/$port" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
    --daemonize yes --logfile "$CLUSTER_DIR/$port/redis.log"
  ports+=("$port")
done
stop_cluster() {
  for port in "${ports[@]}"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$CLUSTER_DIR"
}
trap 'stop_cluster; redis-cli -p "$BENCH_PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$BENCH_DIR"' EXIT
for port in "${ports[@]}"; do
  timeout 10 bash -c "until redis-cli -p $port ping >/dev/null 2>&1; do :; done" ||
    { echo "redis-server on $port did not start:"; cat "$CLUSTER_DIR/$port/redis.log"; exit 1; }
done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") --cluster-replicas 1 --cluster-yes >/dev/null
timeout 30 bash -c "until redis-cli -p ${ports[0]} cluster info | grep -q 'cluster_state:ok'; do :; done"
cluster=$(printf 'redis://127.0.0.1:%s,' "${ports[@]}")
cluster=${cluster%,}

out=$(mktemp)
for _ in 1 2 3; do
  for side in single cluster; do
    url=$single
    [ "$side" = cluster ] && url=$cluster
    BENCH_REDIS_URL=$url BENCH_RUNS=1 BENCH_SIDES=antrian \
      cargo bench -q --locked -p antrian-core --bench worker_throughput 2>&1 | grep '^antrian' | sed "s/^antrian/$side/" >>"$out"
  done
done
median() { sort -n | sed -n 2p; }
for side in single cluster; do
  for c in 1 10 50; do
    rate=$(grep "^$side concurrency $c:" "$out" | grep -o '[0-9]* jobs/s' | cut -d' ' -f1 | median)
    cpu=$(grep "^$side concurrency $c:" "$out" | grep -o '[0-9.]* CPU' | cut -d' ' -f1 | median)
    echo "$side concurrency $c: $rate jobs/s, $cpu CPU s per 10k jobs (median of 3)"
  done
  p50=$(grep "^$side add->start" "$out" | grep -o 'p50 [0-9.]*' | cut -d' ' -f2 | median)
  p99=$(grep "^$side add->start" "$out" | grep -o 'p99 [0-9.]*' | cut -d' ' -f2 | median)
  echo "$side add->start latency: p50 $p50 ms, p99 $p99 ms (median of 3)"
done
rm -f "$out"
