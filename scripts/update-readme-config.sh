#!/usr/bin/env bash
# Rewrites README.md's configuration table from the settings table in
# crates/core/src/config/settings.rs (a test fails while the two differ).
set -euo pipefail
cd "$(dirname "$0")/.."
table=$( (cargo test -q -p antrian-core --lib readme_configuration_reference 2>&1 || true) | sed -n "/paste this in:/,/^$/p" | tail -n +2)
[ -n "$table" ] || { echo "README.md is already up to date"; exit 0; }
TABLE="$table" python3 - <<'PY'
import os
table = os.environ["TABLE"].rstrip("\n") + "\n"
text = open("README.md").read()
start = text.index("| Variable | `config.toml` key |")
end = text.index("\n\n", start) + 1
open("README.md", "w").write(text[:start] + table + text[end:])
PY
echo "README.md's configuration table updated"
