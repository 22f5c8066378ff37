#!/usr/bin/env bash
# Antrian's benchmarks (see bench/README.md). Results are printed and kept in bench/results/;
# the comparison with Node.js BullMQ and bull-board is rendered into docs/benchmarks.md.
#   bench/run.sh                  embedded Redis ready time, desktop cold start, binary sizes
#   BENCH_DEB=1 bench/run.sh      also builds the .deb bundle and reports its size
#   BENCH_CLEAN_CLONE=1 bench/run.sh   also times `make test` on a fresh clone
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=bench/results
mkdir -p "$out"
report="$out/report-$(date -u +%Y%m%dT%H%M%SZ).txt"
log() { echo "$*" | tee -a "$report"; }

log "# Antrian benchmarks, $(date -u), $(nproc) cores, $(git rev-parse --short HEAD)"

log "## Embedded Redis time-to-ready ($(redis-server --version | cut -d' ' -f3))"
cargo bench -q --locked -p antrian-core --bench embedded_ready 2>&1 | grep 'embedded redis ready' | tee -a "$report"

log "## Desktop cold start, release build: launch through WebDriver until the Overview shows 'connected' (5 runs)"
cargo test -q --release --locked -p antrian-desktop --test desktop_window --no-run 2>/dev/null
for _ in 1 2 3 4 5; do
  cargo test -q --release --locked -p antrian-desktop --test desktop_window -- --nocapture 2>&1 \
    | grep -o 'desktop cold start to connected Overview: [0-9]* ms' | tee -a "$report"
done

log "## Antrian vs Node.js bullmq@6 and bull-board, with Redis's ceiling, and desktop memory against an empty Tauri window (writes docs/benchmarks.md)"
bench/compare.sh 2>&1 | tee -a "$report"

log "## Scheduler: fire-time precision of a one-second cron schedule under steady load (100 runs)"
cargo bench -q --locked -p antrian-core --bench schedule_precision 2>&1 | grep '^schedule precision' | tee -a "$report"

log "## A queue tab with 100,000 jobs: pages and filtered pages"
cargo bench -q --locked -p antrian-core --bench queue_listing 2>&1 | grep -E '^(100000|queue counts|page|filtered|search script)' | tee -a "$report"

log "## Scraping: parse cost of a ~200 KB page, 2,000 pages end to end at concurrency 32"
cargo bench -q --locked -p antrian-jobs --bench scrape 2>&1 | grep -E '^(parse|end to end):' | tee -a "$report"

log "## Product store: save-product-data throughput, export of 100,000 products"
cargo bench -q --locked -p antrian-jobs --bench data 2>&1 | grep -E '^(save-product-data|export)' | tee -a "$report"

log "## Release binary sizes (stripped, thin LTO)"
cargo build -q --release --locked -p antrian-cli -p antrian-desktop
for bin in antrian antrian-desktop; do
  log "$bin: $(du -h "target/release/$bin" | cut -f1) ($(stat -c %s "target/release/$bin") bytes)"
done

if [ "${BENCH_DEB:-}" = 1 ]; then
  log "## Bundles"
  make package >"$out/package.log" 2>&1
  for f in target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm; do log "$(basename "$f"): $(du -h "$f" | cut -f1) ($(stat -c %s "$f") bytes)"; done
fi

if [ "${BENCH_CLEAN_CLONE:-}" = 1 ]; then
  log "## README test command on a fresh clone"
  tmp=$(mktemp -d)
  git clone -q . "$tmp/antrian"
  start=$(date +%s)
  (cd "$tmp/antrian" && make test >"$tmp/make-test.log" 2>&1)
  log "make test on a fresh clone: $(( $(date +%s) - start )) s (log: $tmp/make-test.log)"
fi
log "report: $report"
