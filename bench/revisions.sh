#!/usr/bin/env bash
# Two revisions of `antrian workers` side by side: builds the CLI of each (in a temporary
# worktree, into target/revs so neither touches target/release), then runs the process
# side of the throughput bench (node/process_worker.mjs: 20,000 validate-data jobs, timed
# from the jobs' own timestamps) with each binary in turn on one redis-server, the order
# swapped every round. Prints every round's figures and, per concurrency, the median of
# the rounds' own ratios B / A. What a change to the per-job path is worth, measured in
# one run on one machine (see bench/README.md).
#   bench/revisions.sh A B                    e.g. bench/revisions.sh main~1 main
#   BENCH_ROUNDS=6 BENCH_CONCURRENCY=1,10,50  (the defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source bench/lib.sh
[ $# -eq 2 ] || { echo "usage: bench/revisions.sh REV_A REV_B" >&2; exit 2; }
rounds=${BENCH_ROUNDS:-6}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS must be a whole number of rounds, 1 or more; not '$rounds'" >&2; exit 2; }
export BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-1,10,50}
[[ $BENCH_CONCURRENCY =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "BENCH_CONCURRENCY must be concurrencies separated by commas, like 1,10,50; not '$BENCH_CONCURRENCY'" >&2; exit 2; }
for rev in "$1" "$2"; do
  git rev-parse --verify --quiet "$rev^{commit}" >/dev/null || { echo "not a revision here: '$rev'" >&2; exit 2; }
done
install_bench_node

bins=$(mktemp -d)
trees=()
cleanup() {
  for tree in "${trees[@]}"; do git worktree remove --force "$tree" 2>/dev/null || true; done
  [ -z "${BENCH_PORT:-}" ] || redis-cli -p "$BENCH_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$bins" "${BENCH_DIR:-}"
}
trap cleanup EXIT
build() { # build REV NAME: the CLI of REV, copied to $bins/NAME
  local tree
  tree=$(mktemp -d)
  trees+=("$tree")
  git worktree add --detach --quiet "$tree" "$1"
  CARGO_TARGET_DIR="$PWD/target/revs" cargo build -q --release --locked -p antrian-cli --manifest-path "$tree/Cargo.toml"
  cp target/revs/release/antrian "$bins/$2"
}
build "$1" a
build "$2" b
start_bench_redis
trap cleanup EXIT

out=$(mktemp)
for r in $(seq "$rounds"); do
  if (( r % 2 )); then order="a b"; else order="b a"; fi
  for side in $order; do
    BENCH_RUNS=1 node bench/node/process_worker.mjs "$BENCH_REDIS_URL" "$bins/$side" |
      sed "s/^process/round $r $side:/" | tee -a "$out"
  done
done

python3 - "$out" "$1" "$2" <<'PY'
import re, statistics, sys
path, a, b = sys.argv[1:]
runs = {}
for line in open(path):
    m = re.match(r"round (\d+) (a|b): concurrency (\d+): (\d+) jobs/s, ([\d.]+) CPU", line)
    if m:
        r, side, c, rate, cpu = m.groups()
        runs.setdefault(int(c), {}).setdefault(int(r), {})[side] = (float(rate), float(cpu))
for c, by_round in sorted(runs.items()):
    pairs = [v for v in by_round.values() if "a" in v and "b" in v]
    rates = [v["b"][0] / v["a"][0] for v in pairs]
    cpus = [v["b"][1] / v["a"][1] for v in pairs]
    print(f"concurrency {c} (median of {len(pairs)} rounds' ratios): {b} / {a} throughput "
          f"{statistics.median(rates):.2f} (rounds {', '.join(f'{x:.2f}' for x in rates)}), "
          f"CPU per job {statistics.median(cpus):.2f}")
PY
rm -f "$out"
