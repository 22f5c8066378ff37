#!/usr/bin/env bash
# Memory of the desktop app with its WebKit processes, against the platform it runs on.
#   bench/desktop_memory.sh            release builds, under Xvfb, on a bench-owned Redis
#   BENCH_PREBUILT=1 bench/desktop_memory.sh   the binaries already in target/release
# 1. Idle, against the platform: an empty Tauri 2 window (bench/tauri-baseline, the same
#    Tauri and WebKitGTK) and Antrian showing its connected Overview, each launched on its
#    own and measured after BENCH_IDLE seconds (default 30). The launches take turns for
#    BENCH_ROUNDS rounds (default 3); each figure is their mean. (WebKit's memory levers
#    were measured here too and saved nothing: bench/README.md, "Desktop memory against
#    the platform".)
# 2. Under load: Antrian after it has run its four worker pools busy for BENCH_MINUTES
#    (default 10), and again once the load has stopped. A producer adds jobs to all four
#    queues every second with the `antrian` CLI: product pages from a local web server
#    (scraping), validate-data (data processing), webhooks to a closed port
#    (notifications: they fail and retry), dry-run cleanup-old-data (cleanup).
# Prints RSS (what `ps` shows; shared pages counted in each process) and PSS (shared pages
# split between the processes sharing them: the honest sum), both in MB.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
minutes=${BENCH_MINUTES:-10}
idle=${BENCH_IDLE:-30}
rounds=${BENCH_ROUNDS:-3}
# BENCH_PREBUILT=1 measures the binaries `make package` left in target/release (the Tauri
# CLI builds with other flags, so a plain cargo build would compile everything again).
[ "${BENCH_PREBUILT:-}" = 1 ] || cargo build -q --release --locked -p antrian-cli -p antrian-desktop -p tauri-baseline
[ -x target/release/tauri-baseline ] || cargo build -q --release --locked -p tauri-baseline
start_bench_redis
work=$(mktemp -d)
cleanup_all() {
  pkill -P "${app:-0}" 2>/dev/null || true
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
  SCRAPE_ALLOW_PRIVATE=127.0.0.1 WEBHOOK_ALLOW_PRIVATE=127.0.0.1

memory() { # process-name label: the process dbus-run-session ($app) started and its WebKit
  # children (not the session's bus; not another run's app, such as a test's)
  local pid main_pid pids rss=0 pss=0 each=""
  main_pid=$(pgrep -x "$1" -P "$app" | head -1)
  pids="$main_pid $(pgrep -P "$main_pid" | tr '\n' ' ')"
  for pid in $pids; do
    local r p
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    p=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    rss=$(( rss + r )); pss=$(( pss + p ))
    each="$each $(cat "/proc/$pid/comm" 2>/dev/null) $(( p / 1024 ))"
  done
  echo "$2: RSS $(( rss / 1024 )) MB, PSS $(( pss / 1024 )) MB (PSS MB each:$each)"
}

launch() { # binary: starts it on a fresh Redis, sets $app
  redis-cli -p "$BENCH_PORT" flushall >/dev/null
  dbus-run-session -- "target/release/$1" >>"$work/app.log" 2>&1 &
  app=$!
  until pgrep -x "$1" -P "$app" >/dev/null; do sleep 0.05; done
}

stop() { # binary: stops the one launch() started and waits until its WebKit processes are gone
  local pid kids
  pid=$(pgrep -x "$1" -P "$app" | head -1)
  kids=$(pgrep -P "$pid" | tr '\n' ' ')
  kill "$pid" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  for kid in $kids; do
    while kill -0 "$kid" 2>/dev/null; do sleep 0.1; done
  done
}

pools_registered() {
  until [ "$(redis-cli -p "$BENCH_PORT" zcard antrian:nodes 2>/dev/null)" = 1 ]; do sleep 0.05; done
}

# 1. Idle, against the platform. Each app: launch, wait, measure, stop.
idle_run() { # label binary
  local label=$1 binary=$2
  launch "$binary"
  [ "$binary" = tauri-baseline ] || pools_registered
  sleep "$idle"
  memory "$binary" "idle $label" | tee -a "$work/idle.txt"
  stop "$binary"
}
for round in $(seq "$rounds"); do
  echo "round $round of $rounds, ${idle} s idle each"
  idle_run "empty Tauri window" tauri-baseline
  idle_run "Antrian" antrian-desktop
done
# Each app's mean PSS over the rounds, and its distance from the empty window.
python3 - "$work/idle.txt" <<'PY'
import re, sys
runs = {}
for label, pss in re.findall(r"^idle (.+): RSS \d+ MB, PSS (\d+) MB", open(sys.argv[1]).read(), re.M):
    runs.setdefault(label, []).append(int(pss))
base = sum(runs["empty Tauri window"]) / len(runs["empty Tauri window"])
for label, values in runs.items():
    mean = sum(values) / len(values)
    print(f"idle mean {label}: PSS {mean:.0f} MB, {mean - base:+.0f} MB over the empty window ({len(values)} runs)")
PY

# 2. Under load.
started=$(date +%s%N)
launch antrian-desktop
pools_registered
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

sleep 30
memory antrian-desktop "after 30 s of load" | tee "$work/load.txt"
wait "$producer" || true
memory antrian-desktop "after ${minutes} min of load" | tee -a "$work/load.txt"
done_jobs=0
for q in scraping-queue data-processing-queue notifications-queue cleanup-queue; do
  n=$(redis-cli -p "$BENCH_PORT" get "bull:$q:id")
  done_jobs=$(( done_jobs + ${n:-0} ))
done
echo "jobs added: $done_jobs"
sleep 60
memory antrian-desktop "idle, 60 s after the load stopped"
python3 - "$work/load.txt" <<'PY'
import re, sys
pss = [int(x) for x in re.findall(r"PSS (\d+) MB", open(sys.argv[1]).read())]
print(f"flat under load: PSS {pss[1] - pss[0]:+d} MB ({(pss[1] - pss[0]) / pss[0]:+.1%}) from 30 s to the end of the load")
PY
