#!/usr/bin/env bash
# Worker throughput, client CPU and add->start latency: Antrian's pool in-process
# ("antrian", no-op handler), the whole `antrian workers` process on validate-data jobs
# ("process"), the bare engine (a plain bullmq-official Worker, "bare") and a Node.js
# bullmq@6 Worker ("node"), on one bench-owned redis-server (see bench/README.md). Throughput is timed from the jobs' own timestamps
# (bench/span.lua), so start-up and shutdown count on no side.
#
# The sides alternate, one run of every concurrency at a time (Antrian, bare, Node,
# process, Antrian, ...) for BENCH_ROUNDS rounds (default 5): on a shared 2-core machine,
# running all of one side first let a noisy minute decide the ratio. Each side's figure is
# the median of its runs; each ratio is the median of the rounds' own ratios, so a slow
# minute that one round fell into moves both sides of that round's ratio together, with
# the middle half of the rounds' ratios in brackets ("0.91 [0.90-0.95]"). The rounds' own
# lines are printed first ("round N: ...").
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source bench/lib.sh
rounds=${BENCH_ROUNDS:-5}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS must be a whole number of rounds, 1 or more; not '$rounds'" >&2; exit 2; }
install_bench_node
cargo bench -q --locked -p antrian-core --bench worker_throughput --no-run 2>/dev/null
cargo build -q --release --locked -p antrian-cli
start_bench_redis
url=$BENCH_REDIS_URL

out=$(mktemp)
for r in $(seq "$rounds"); do
  {
    BENCH_REDIS_URL=$url BENCH_RUNS=1 BENCH_LATENCY=0 \
      cargo bench -q --locked -p antrian-core --bench worker_throughput 2>&1 | grep -E '^(antrian|bare) '
    BENCH_RUNS=1 BENCH_LATENCY=0 node bench/node/worker.mjs "$url"
    BENCH_RUNS=1 node bench/node/process_worker.mjs "$url" target/release/antrian
  } | sed "s/^/round $r: /" >>"$out"
done
BENCH_REDIS_URL=$url BENCH_CONCURRENCY=none \
  cargo bench -q --locked -p antrian-core --bench worker_throughput 2>&1 | grep '^antrian' >>"$out"
BENCH_RUNS=0 node bench/node/worker.mjs "$url" | grep latency >>"$out"

python3 - "$out" <<'PY'
import re, statistics, sys
runs = {}  # (round, side, concurrency) -> (jobs/s, CPU s per 10k jobs)
text = open(sys.argv[1]).read()
for m in re.finditer(r"^round (\d+): (\w+) concurrency (\d+): (\d+) jobs/s, ([\d.]+) CPU", text, re.M):
    runs[(int(m[1]), m[2], int(m[3]))] = (float(m[4]), float(m[5]))
print("\n".join(re.findall(r"^round .*$", text, re.M)))
sides, levels = ("antrian", "process", "bare", "node"), (1, 10, 50)
rounds = sorted({r for r, _, _ in runs})
for side in sides:
    for c in levels:
        got = [runs[(r, side, c)] for r in rounds if (r, side, c) in runs]
        if got:
            rate, cpu = statistics.median(g[0] for g in got), statistics.median(g[1] for g in got)
            print(f"{side} concurrency {c}: {rate:.0f} jobs/s, {cpu:.2f} CPU s per 10k jobs (median of {len(got)})")
for line in re.findall(r"^\w+ add->start latency.*$", text, re.M):
    print(line)
def paired(a, b, c, field):
    """The median of the rounds' own a/b ratios (field 0: jobs/s, 1: CPU), with the middle
    half of those ratios (the interquartile range) in brackets when there are 4 rounds or
    more: whether a ratio near a goal is told apart from it depends on that spread."""
    xs = [runs[(r, a, c)][field] / runs[(r, b, c)][field] for r in rounds
          if (r, a, c) in runs and (r, b, c) in runs and runs[(r, b, c)][field] > 0]
    if not xs:
        return "-"
    if len(xs) < 4:
        return f"{statistics.median(xs):.2f}"
    q1, _, q3 = statistics.quantiles(xs, n=4)
    return f"{statistics.median(xs):.2f} [{q1:.2f}-{q3:.2f}]"
for c in levels:
    print(f"concurrency {c} (median of the rounds' ratios): pool/bare {paired('antrian', 'bare', c, 0)}, "
          f"process/bare {paired('process', 'bare', c, 0)}, bare/node {paired('bare', 'node', c, 0)}, "
          f"pool/node {paired('antrian', 'node', c, 0)}, process/node {paired('process', 'node', c, 0)}; "
          f"CPU per job pool/node {paired('antrian', 'node', c, 1)}, process/node {paired('process', 'node', c, 1)}, "
          f"process/bare {paired('process', 'bare', c, 1)}")
PY
rm -f "$out"
