#!/bin/sh
# Antrian's system services read /etc/antrian: made from the package's defaults once, and
# never overwritten by an upgrade (the defaults stay in /usr/share/antrian). The
# environment file holds secrets: only root reads it (systemd does, before a service starts).
set -e
mkdir -p /etc/antrian
[ -e /etc/antrian/config.toml ] || install -m 0644 /usr/share/antrian/config.toml /etc/antrian/config.toml
[ -e /etc/antrian/antrian.env ] || install -m 0600 /usr/share/antrian/antrian.env /etc/antrian/antrian.env
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
exit 0
