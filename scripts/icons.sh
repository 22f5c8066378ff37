#!/usr/bin/env bash
# Renders icons/antrian.svg to every PNG size the bundles and the window use. Run after
# changing the SVG, and commit the PNGs (the build does not need rsvg-convert).
# Needs rsvg-convert (apt-get install librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/../icons"
for size in 16 24 32 48 64 128 256 512; do
  rsvg-convert -w "$size" -h "$size" antrian.svg -o "${size}x${size}.png"
done
cp 512x512.png icon.png
# Windows and macOS formats, from the 512 px PNG, with the Tauri CLI (npm ci in ui/ first).
if [ -x ../ui/node_modules/.bin/tauri ]; then
  tmp=$(mktemp -d)
  ../ui/node_modules/.bin/tauri icon icon.png -o "$tmp" >/dev/null
  cp "$tmp/icon.ico" "$tmp/icon.icns" .
  rm -rf "$tmp"
fi
