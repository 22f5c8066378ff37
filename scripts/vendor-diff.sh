#!/usr/bin/env bash
# Compares each vendored crate with the crates.io release it copies (vendor/README.md):
# downloads the published .crate, checks it against the checksum in crates.io's index,
# and diffs the sources. Cargo never downloads a crate that [patch.crates-io] replaces, so
# the registry copy is not on disk to diff against.
#   scripts/vendor-diff.sh           list the files that differ; fails when one of them is
#                                    not named in vendor/README.md
#   scripts/vendor-diff.sh --patch   also print the differences
set -euo pipefail
cd "$(dirname "$0")/.."
patch=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for dir in vendor/*/; do
  dir=${dir%/}
  name=$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/Cargo.toml" | head -1)
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$dir/Cargo.toml" | head -1)
  curl -sSfL -o "$tmp/$name.crate" "https://static.crates.io/crates/$name/$name-$version.crate"
  lower=$(echo "$name" | tr 'A-Z' 'a-z')
  index="https://index.crates.io/${lower:0:2}/${lower:2:2}/$lower"
  want=$(curl -sSfL "$index" | python3 -c "
import json, sys
for line in sys.stdin:
    entry = json.loads(line)
    if entry['vers'] == '$version':
        print(entry['cksum'])")
  got=$(sha256sum "$tmp/$name.crate" | cut -d' ' -f1)
  if [ "$want" != "$got" ]; then
    echo "$name $version: the download does not match crates.io's checksum ($got, index says $want)" >&2
    exit 1
  fi
  tar xzf "$tmp/$name.crate" -C "$tmp"
  published="$tmp/$name-$version"
  echo "$dir against $name $version from crates.io (sha256 $got):"
  # The published package also carries files cargo writes when packaging; they are not source.
  changed=$(diff -rq -x .cargo_vcs_info.json -x Cargo.lock -x Cargo.toml.orig -x node_modules \
    "$published" "$dir" | sed -e "s#^Files $published/\([^ ]*\) and .* differ#\1#" -e "s#^Only in $published[/:] *#published only: #" -e "s#^Only in $dir[/:] *#vendored only: #" || true)
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    if grep -qF "\`${line}\`" vendor/README.md; then
      echo "  changed, listed in vendor/README.md: $line"
    else
      echo "  changed, NOT listed in vendor/README.md: $line"
      status=1
    fi
  done <<<"$changed"
  if [ "$patch" = --patch ]; then
    diff -ru -x .cargo_vcs_info.json -x Cargo.lock -x Cargo.toml.orig -x node_modules "$published" "$dir" || true
  fi
done
exit "$status"
