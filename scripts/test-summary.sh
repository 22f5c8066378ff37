#!/usr/bin/env bash
# Prints the closing line of `make test`: the tests of every runner, added up.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r rust_passed rust_failed < <(
  grep -E '^test result: ' target/rust-test.log |
    sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' |
    awk '{p += $1; f += $2} END {print p + 0, f + 0}'
)
read -r ui_passed ui_failed < <(
  node -e 'const r = require("./target/ui-test.json"); console.log(r.numPassedTests, r.numFailedTests)'
)
echo "Rust: $rust_passed passed, $rust_failed failed; UI: $ui_passed passed, $ui_failed failed"
echo "summary: $((rust_passed + ui_passed)) passed, $((rust_failed + ui_failed)) failed"
