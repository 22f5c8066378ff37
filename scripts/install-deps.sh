#!/usr/bin/env bash
# Installs what Antrian's build and tests need and this machine lacks. Idempotent and quiet
# when everything is present. Debian/Ubuntu (apt); uses sudo when not root.
set -euo pipefail

APT_PACKAGES=(
  # Desktop build (Tauri 2 on WebKitGTK 4.1)
  build-essential pkg-config file libssl-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  # Runtime and tests: embedded/test Redis, headless window, WebDriver, D-Bus session
  redis-server xvfb webkit2gtk-driver dbus-x11
  # The install test looks for the installed app's window (xwininfo)
  x11-utils
  # The install test checks the packaged systemd units (systemd-analyze verify)
  systemd
  # A Secret Service for the desktop's keyring test (started on the test's own bus)
  gnome-keyring
  # The SMTP server the e-mail tests send to (run as /usr/bin/python3 -m aiosmtpd)
  python3-aiosmtpd
  # A virtualenv for schemathesis, the dashboard's fuzz test (`make schemathesis`)
  python3-venv
  # The browser the UI's end-to-end tests drive with playwright-core (tests/browser.rs)
  chromium fonts-liberation
  # The README's Troubleshooting commands, which a test runs (curl, redis-cli)
  curl redis-tools
)

# `--cross`: also the C compiler `make cross-check` needs for Windows (ring builds C).
if [ "${1:-}" = --cross ]; then
  APT_PACKAGES+=(gcc-mingw-w64-x86-64)
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The embedded Redis and the tests run their own redis-server; Debian's package also
# starts a system service, which Antrian neither needs nor touches.

if ! command -v cargo >/dev/null; then
  echo "Rust is not installed: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
node_minor=$(node -p 'process.versions.node.split(".")[1]')
if [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 19 ]; }; then
  echo "Node.js $(node --version) is too old for the UI build (Vite needs 20.19 or newer)." >&2
  echo "Install a current Node.js (e.g. from NodeSource or nvm), then run this again." >&2
  exit 1
fi

# The test runner of `make test` (parallel across test binaries, .config/nextest.toml).
if ! command -v cargo-nextest >/dev/null; then
  echo "Installing cargo-nextest (cargo install)"
  cargo install cargo-nextest --locked --version "^0.9.91"
fi

# The WebDriver bridge for the desktop end-to-end test.
if ! command -v tauri-driver >/dev/null; then
  echo "Installing tauri-driver (cargo install)"
  cargo install tauri-driver --locked --version "^2"
fi
