#!/usr/bin/env bash
# Runs `make test`'s stages in order, each as its own make target, and prints how long
# each took at the end, whether the run passed or not. Stops at the first failing stage,
# as make's prerequisites would.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
names=()
secs=()
status=0
run_start=$SECONDS
for stage in "$@"; do
  start=$SECONDS
  ${MAKE:-make} --no-print-directory "$stage"
  status=$?
  names+=("$stage")
  secs+=($((SECONDS - start)))
  [ "$status" -eq 0 ] || break
done
echo
echo "stage times:"
for i in "${!names[@]}"; do
  printf '  %-16s %4d:%02d\n' "${names[$i]}" $((secs[i] / 60)) $((secs[i] % 60))
done
total=$((SECONDS - run_start))
printf '  %-16s %4d:%02d\n' total $((total / 60)) $((total % 60))
if [ "$status" -ne 0 ]; then
  echo "make test: stage '${names[-1]}' failed"
  exit "$status"
fi
scripts/test-summary.sh
