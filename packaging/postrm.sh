#!/bin/sh
# Purging the package (deb) removes the services' configuration; removing it keeps it.
set -e
case "$1" in
  purge) rm -rf /etc/antrian ;;
esac
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
exit 0
