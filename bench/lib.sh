# Shared by the bench scripts: a bench-owned redis-server on a free port, stopped on exit.
# After `start_bench_redis`, $BENCH_REDIS_URL points at it.
start_bench_redis() {
  BENCH_DIR=$(mktemp -d)
  BENCH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --port "$BENCH_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$BENCH_DIR" \
    --daemonize yes --logfile "$BENCH_DIR/redis.log" --pidfile "$BENCH_DIR/redis.pid"
  trap 'redis-cli -p "$BENCH_PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$BENCH_DIR"' EXIT
  until redis-cli -p "$BENCH_PORT" ping >/dev/null 2>&1; do :; done
  BENCH_REDIS_URL="redis://127.0.0.1:$BENCH_PORT"
  export BENCH_REDIS_URL
}

# Installs the Node.js side of the benchmarks when missing.
install_bench_node() {
  (cd bench/node && { [ -d node_modules/bullmq ] && [ -d node_modules/@bull-board/api ] || npm ci --no-audit --no-fund >/dev/null; })
}
