#!/usr/bin/env bash
# Prints the closing line of `make test`: the tests of every runner, added up.
set -euo pipefail
cd "$(dirname "$0")/.."
# nextest's JUnit report: the root element counts every test run, failed, errored, skipped.
read -r rust_passed rust_failed < <(
  python3 - target/nextest/default/junit.xml <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
n = lambda k: int(r.get(k, 0))
failed = n("failures") + n("errors")
print(n("tests") - failed - n("skipped"), failed)
PY
)
read -r ui_passed ui_failed < <(
  node -e 'const r = require("./target/ui-test.json"); console.log(r.numPassedTests, r.numFailedTests)'
)
echo "Rust: $rust_passed passed, $rust_failed failed; UI: $ui_passed passed, $ui_failed failed"
echo "summary: $((rust_passed + ui_passed)) passed, $((rust_failed + ui_failed)) failed"
