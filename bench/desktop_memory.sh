#!/usr/bin/env bash
# Memory of the desktop app with its WebKit processes, after it has run its four worker
# pools busy for BENCH_MINUTES (default 10), and again once the load has stopped.
#   bench/desktop_memory.sh            release build, under Xvfb, on a bench-owned Redis
#   BENCH_PREBUILT=1 bench/desktop_memory.sh   the binaries already in target/release
# A producer adds jobs to all four queues every second with the `antrian` CLI: product
# pages from a local web server (scraping), validate-data (data processing), webhooks to a
# closed port (notifications: they fail and retry), dry-run cleanup-old-data (cleanup).
# Prints RSS (what `ps` shows; shared pages counted in each process) and PSS (shared pages
# split between the processes sharing them: the honest sum), both in MB.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
minutes=${BENCH_MINUTES:-10}
# BENCH_PREBUILT=1 measures the binaries `make package` left in target/release (the Tauri
# CLI builds with other flags, so a plain cargo build would compile everything again).
[ "${BENCH_PREBUILT:-}" = 1 ] || cargo build -q --release --locked -p antrian-cli -p antrian-desktop
start_bench_redis
work=$(mktemp -d)
cleanup_all() {
  kill "${producer:-0}" "${app:-0}" "${web:-0}" "${xvfb:-0}" 2>/dev/null || true
  redis-cli -p "$BENCH_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work" "$BENCH_DIR"
}
trap cleanup_all EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

mkdir -p "$work/site" "$work/home"
cat >"$work/site/p.html" <<'HTML'
<html><head><title>Kopi</title><script type="application/ld+json">
{"@context":"https://schema.org","@type":"Product","name":"Kopi Arabika","sku":"K-1",
 "offers":{"@type":"Offer","price":"45000","priceCurrency":"IDR","availability":"https://schema.org/InStock"}}
</script></head><body><h1>Kopi Arabika</h1></body></html>
HTML
web_port=$(free_port)
python3 -m http.server "$web_port" --bind 127.0.0.1 --directory "$work/site" >/dev/null 2>&1 &
web=$!
closed_port=$(free_port)

exec 3< <(Xvfb -displayfd 1 -screen 0 1280x800x24 -nolisten tcp 2>/dev/null)
xvfb=$!
read -r display <&3
export DISPLAY=":$display" HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" \
  XDG_DATA_HOME="$work/home/data" XDG_CACHE_HOME="$work/home/cache" \
  ANTRIAN_DATA_DIR="$work/home/antrian" REDIS_URL="$BENCH_REDIS_URL" \
  WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1 SCRAPE_DOMAIN_RATE_LIMIT=none \
  SCRAPE_ALLOW_PRIVATE=127.0.0.1
started=$(date +%s%N)
dbus-run-session -- target/release/antrian-desktop >"$work/app.log" 2>&1 &
app=$!
until [ "$(redis-cli -p "$BENCH_PORT" zcard antrian:nodes 2>/dev/null)" = 1 ]; do sleep 0.05; done
echo "launch to pools registered in Redis: $(( ($(date +%s%N) - started) / 1000000 )) ms"

jobs_of() { # queue name count data-json
  python3 - "$@" <<'PY'
import json, sys
queue, name, count, data = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
print(json.dumps([{"name": name, "data": json.loads(data.replace("{i}", str(i))), "opts": {"attempts": 2, "backoff": {"type": "fixed", "delay": 500}}} for i in range(count)]))
PY
}
jobs_of scraping-queue product-scraping 20 "{\"url\": \"http://127.0.0.1:$web_port/p.html?i={i}\"}" >"$work/scraping.json"
jobs_of data-processing-queue validate-data 20 '{"data": {"productId": "p{i}", "price": 1000}, "validationRules": [{"field": "productId", "type": "string", "required": true}]}' >"$work/data.json"
jobs_of notifications-queue send-webhook 5 "{\"url\": \"http://127.0.0.1:$closed_port/hook\", \"data\": {\"event\": \"bench\"}}" >"$work/notify.json"
jobs_of cleanup-queue cleanup-old-data 2 '{"collections": ["products"], "olderThan": 30, "dryRun": true}' >"$work/cleanup.json"
(
  end=$(( $(date +%s) + minutes * 60 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    target/release/antrian jobs add-bulk scraping-queue --file "$work/scraping.json" >/dev/null
    target/release/antrian jobs add-bulk data-processing-queue --file "$work/data.json" >/dev/null
    target/release/antrian jobs add-bulk notifications-queue --file "$work/notify.json" >/dev/null
    target/release/antrian jobs add-bulk cleanup-queue --file "$work/cleanup.json" >/dev/null
    sleep 1
  done
) &
producer=$!

memory() { # label: the app and its WebKit children (not dbus-run-session's bus)
  local pid app_pid pids rss=0 pss=0 each=""
  app_pid=$(pgrep -x antrian-desktop | head -1)
  pids="$app_pid $(pgrep -P "$app_pid" | tr '\n' ' ')"
  for pid in $pids; do
    local r p
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    p=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    rss=$(( rss + r )); pss=$(( pss + p ))
    each="$each $(cat "/proc/$pid/comm" 2>/dev/null) $(( p / 1024 ))"
  done
  echo "$1: RSS $(( rss / 1024 )) MB, PSS $(( pss / 1024 )) MB (PSS MB each:$each)"
}
sleep 30
memory "after 30 s of load"
wait "$producer" || true
memory "after ${minutes} min of load"
done_jobs=$(for q in scraping-queue data-processing-queue notifications-queue cleanup-queue; do redis-cli -p "$BENCH_PORT" get "bull:$q:id"; done | paste -sd+ | bc)
echo "jobs added: $done_jobs"
sleep 60
memory "idle, 60 s after the load stopped"
