#!/usr/bin/env bash
# Worker throughput, client CPU and add->start latency: Antrian's pool vs a Node.js
# bullmq@6 Worker, on one bench-owned redis-server (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
(cd bench/node && [ -d node_modules/bullmq ] || npm ci --no-audit --no-fund >/dev/null)
cargo bench -q --locked -p antrian-core --bench worker_throughput --no-run 2>/dev/null

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize yes \
  --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do :; done
url="redis://127.0.0.1:$port"

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
