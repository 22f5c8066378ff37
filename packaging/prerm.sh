#!/bin/sh
# Stops Antrian's system services before the package goes (deb: "remove"; rpm: 0 left).
set -e
case "$1" in
  remove | 0)
    if [ -d /run/systemd/system ]; then
      systemctl stop antrian-workers.service antrian-scheduler.service || true
    fi
    ;;
esac
exit 0
