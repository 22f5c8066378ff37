#!/usr/bin/env bash
# Soak run (`make soak`; not part of `make test`): SOAK_JOBS jobs (default 200,000) through
# all four pools of one release `antrian start` with auto-scaling on, the dashboard serving
# two SSE clients and a client polling its API every second, on a bench-owned redis-server.
#
#   scraping-queue          35 %  product-scraping of pages from a local site that answers
#                                 HTTP 500 to 10 % of requests (each scraped product is then
#                                 saved by a save-product-data job on data-processing-queue)
#   data-processing-queue   35 %  validate-data
#   notifications-queue     27.5% send-webhook to a local receiver that answers 500 to 10 %
#   cleanup-queue            2.5% cleanup-old-data, dry run
# Jobs have 3 attempts, 200 ms fixed backoff; every job is kept (QUEUE_REMOVE_ON_* raised)
# so the final accounting can count them.
#
# Checks (the script exits 1 when one fails): every queue ends with nothing waiting, active
# or delayed, and completed + failed = added, for each queue (data-processing: added +
# one save per completed scrape); Antrian's RSS after warm-up (the first fifth of the run)
# stays within 25 % + 16 MB of its warm-up value; no ERROR lines and no WARN lines other
# than the injected failures' in Antrian's log. Prints throughput and peak memory.
#   BENCH_PREBUILT=1 bench/soak.sh   use target/release/antrian as it is
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
total=${SOAK_JOBS:-200000}
[ "${BENCH_PREBUILT:-}" = 1 ] || cargo build -q --release --locked -p antrian-cli
bin=target/release/antrian
start_bench_redis
work=$(mktemp -d)
cleanup_all() {
  kill "${app:-0}" "${site:-0}" "${sse1:-0}" "${sse2:-0}" "${poller:-0}" "${sampler:-0}" 2>/dev/null || true
  wait 2>/dev/null || true
  redis-cli -p "$BENCH_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work" "$BENCH_DIR"
}
trap cleanup_all EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The local site: product pages and a webhook receiver, each failing 10 % of requests.
site_port=$(free_port)
cat >"$work/site.py" <<'PY'
import random, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
PAGE = ('<html><head><script type="application/ld+json">{"@context":"https://schema.org",'
        '"@type":"Product","name":"Kopi %s","sku":"K-%s","offers":{"@type":"Offer",'
        '"price":"45000","priceCurrency":"IDR"}}</script></head><body>Kopi</body></html>')
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Type", "text/html" if body else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if random.random() < 0.10:
            return self.answer(500)
        n = self.path.rsplit("/", 1)[-1]
        self.answer(200, (PAGE % (n, n)).encode())
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.answer(500 if random.random() < 0.10 else 204)
    def log_message(self, *a):
        pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 1024
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$work/site.py" "$site_port" &
site=$!

mkdir -p "$work/home"
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" ANTRIAN_DATA_DIR="$work/home/antrian" \
  REDIS_URL="$BENCH_REDIS_URL" QUEUE_DASHBOARD_PORT=0 QUEUE_DASHBOARD_PASSWORD=soak-secret \
  SCRAPE_DOMAIN_RATE_LIMIT=none SCRAPE_DOMAIN_CONCURRENCY=0 SCRAPE_ALLOW_PRIVATE=127.0.0.1 WEBHOOK_ALLOW_PRIVATE=127.0.0.1 WEBHOOK_SECRET=soak-webhook-secret \
  QUEUE_REMOVE_ON_COMPLETE=1000000 QUEUE_REMOVE_ON_FAIL=1000000 QUEUE_AUTO_SCALING=true \
  NO_COLOR=1
"$bin" start >"$work/antrian.log" 2>&1 &
app=$!
until grep -q "ready" "$work/antrian.log"; do
  kill -0 "$app" 2>/dev/null || { cat "$work/antrian.log"; exit 1; }
  sleep 0.1
done
dash=$(grep -o 'dashboard listening on http://[0-9.:]*' "$work/antrian.log" | head -1 | sed 's/.*http:\/\///')
auth="admin:soak-secret"
curl -sN -u "$auth" "http://$dash/api/events" >/dev/null 2>&1 &
sse1=$!
curl -sN -u "$auth" "http://$dash/api/events" >/dev/null 2>&1 &
sse2=$!
(while :; do
  curl -s -u "$auth" "http://$dash/api/stats" >/dev/null
  curl -s -u "$auth" "http://$dash/api/queues/scraping-queue?state=failed&page=1" >/dev/null
  sleep 1
done) &
poller=$!
# Antrian's RSS (KB) and its pools' total workers every 2 s, for the flatness check.
(while kill -0 "$app" 2>/dev/null; do
  workers=$(curl -s -u "$auth" "http://$dash/api/workers" | python3 -c 'import json,sys
try: print(sum(sum(n.get("pools", {}).values()) for n in json.load(sys.stdin)))
except Exception: print(0)')
  echo "$(date +%s) $(awk '/^VmRSS/ {print $2}' "/proc/$app/status" 2>/dev/null || echo 0) $workers"
  sleep 2
done) >"$work/rss.log" &
sampler=$!

# The jobs, in files of 1,000 for `antrian jobs add-bulk`.
python3 - "$work" "$total" "$site_port" <<'PY'
import json, sys
work, total, port = sys.argv[1], int(sys.argv[2]), sys.argv[3]
opts = {"attempts": 3, "backoff": {"type": "fixed", "delay": 200}}
share = [("scraping-queue", 0.35), ("data-processing-queue", 0.35), ("notifications-queue", 0.275), ("cleanup-queue", 0.025)]
counts = {q: int(total * f) for q, f in share}
counts["scraping-queue"] += total - sum(counts.values())
def job(q, i):
    if q == "scraping-queue":
        return {"name": "product-scraping", "data": {"url": f"http://127.0.0.1:{port}/p/{i}"}, "opts": opts}
    if q == "data-processing-queue":
        return {"name": "validate-data", "data": {"data": [{"productId": f"p{i}", "price": i % 1000}, {"productId": "", "price": -1}],
                "validationRules": [{"field": "productId", "type": "string", "required": True}, {"field": "price", "type": "number", "min": 0}]}, "opts": opts}
    if q == "notifications-queue":
        return {"name": "send-webhook", "data": {"url": f"http://127.0.0.1:{port}/hook", "data": {"event": "soak", "n": i}}, "opts": opts}
    return {"name": "cleanup-old-data", "data": {"collections": ["products"], "olderThan": 30, "dryRun": True}, "opts": opts}
files = []
for q, n in counts.items():
    for start in range(0, n, 1000):
        name = f"{work}/{q}-{start}.json"
        with open(name, "w") as f:
            json.dump([job(q, i) for i in range(start, min(n, start + 1000))], f)
        files.append((start, q, name))
files.sort()  # interleave the queues
with open(f"{work}/files", "w") as f:
    for _, q, name in files:
        print(q, name, file=f)
with open(f"{work}/counts.json", "w") as f:
    json.dump(counts, f)
PY

started=$(date +%s.%N)
while read -r queue file; do
  "$bin" jobs add-bulk "$queue" --file "$file" >/dev/null
done <"$work/files"
added_at=$(date +%s.%N)
echo "added $total jobs in $(python3 -c "print(f'{$added_at - $started:.1f}')") s"

count() { redis-cli -p "$BENCH_PORT" "$@"; }
outstanding() {
  local n=0 q
  for q in scraping-queue data-processing-queue notifications-queue cleanup-queue; do
    n=$(( n + $(count llen "bull:$q:wait") + $(count llen "bull:$q:active") + $(count zcard "bull:$q:delayed") + $(count zcard "bull:$q:prioritized") ))
  done
  echo "$n"
}
# Polls the bench-owned server until every queue is empty (an outside process: there is
# nothing to wait on but its state).
while [ "$(outstanding)" != 0 ]; do sleep 1; done
finished=$(date +%s.%N)
sleep 5
[ "$(outstanding)" = 0 ] || { echo "jobs reappeared after the queues emptied"; exit 1; }
kill "$sampler" "$poller" "$sse1" "$sse2" 2>/dev/null || true

status=0
python3 - "$work" "$BENCH_PORT" "$started" "$finished" "$total" <<'PY' || status=1
import json, subprocess, sys
work, port, started, finished, total = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
counts = json.load(open(f"{work}/counts.json"))
def r(*a):
    return int(subprocess.check_output(["redis-cli", "-p", port, *a]).strip() or 0)
ok = True
done = {}
for q in counts:
    done[q] = (r("zcard", f"bull:{q}:completed"), r("zcard", f"bull:{q}:failed"))
expected = dict(counts)
expected["data-processing-queue"] += done["scraping-queue"][0]
for q, (c, f) in done.items():
    good = c + f == expected[q]
    ok &= good
    print(f"{q}: added {expected[q]}, completed {c}, failed {f}{'' if good else '  <-- MISMATCH'}")
seconds = finished - started
processed = sum(c + f for c, f in done.values())
print(f"throughput: {processed} jobs in {seconds:.1f} s = {processed / seconds:.0f} jobs/s ({total} added by the producer, the rest chained saves)")
samples = [l.split() for l in open(f"{work}/rss.log")]
samples = [(int(s[1]), int(s[2]) if len(s) > 2 else 0) for s in samples if len(s) > 1 and s[1] != "0"]
print("rss MB / workers every 2 s:", " ".join(f"{r // 1024}/{w}" for r, w in samples))
rss = [r for r, _ in samples]
warm = rss[len(rss) // 5] if rss else 0
after = rss[len(rss) // 5:] or [0]
print(f"antrian RSS: warm-up {warm // 1024} MB, peak after warm-up {max(after) // 1024} MB, last {rss[-1] // 1024 if rss else 0} MB, peak overall {max(rss or [0]) // 1024} MB ({len(rss)} samples)")
if max(after) > warm * 1.25 + 16 * 1024:
    print("memory grew after warm-up  <-- NOT FLAT")
    ok = False
log = open(f"{work}/antrian.log").read().splitlines()
errors = [l for l in log if " ERROR " in l]
warns = [l for l in log if " WARN " in l]
injected = [l for l in warns if "HTTP 500" in l or "500 Internal Server Error" in l]
other = [l for l in warns if l not in injected]
print(f"log: {len(errors)} ERROR lines, {len(warns)} WARN lines ({len(injected)} about the injected failures)")
for l in (errors + other)[:20]:
    print("  " + l)
ok &= not errors and not other
sys.exit(0 if ok else 1)
PY
redis_peak=$(count info memory | awk -F: '/^used_memory_peak_human/ {print $2}' | tr -d '\r')
echo "redis-server used_memory_peak: $redis_peak"
exit "$status"
