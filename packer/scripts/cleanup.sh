#!/bin/sh
set -eux
# Leave nothing of the build in the image: its CA, its SSH key, host keys (made on first
# boot), the machine id (made on first boot), caches, logs of the build.
export DEBIAN_FRONTEND=noninteractive

if [ -e /usr/local/share/ca-certificates/appliance-build-extra.crt ]; then
  rm -f /usr/local/share/ca-certificates/appliance-build-extra.crt
  update-ca-certificates --fresh
fi
apt-get clean
rm -rf /var/lib/apt/lists/*
rm -rf /root/.cache /tmp/appliance-build
rm -f /root/.ssh/authorized_keys /etc/ssh/ssh_host_*
rm -rf /opt/appliance/src/.git
find /opt/appliance/venv -name '__pycache__' -prune -exec rm -rf {} + 2>/dev/null || true
truncate -s 0 /etc/machine-id
rm -f /var/lib/dbus/machine-id
rm -rf /var/lib/appliance/firstboot.done
find /var/log -type f -exec truncate -s 0 {} +
rm -f /root/.bash_history
# cloud-init runs again on each VM made from the image (installs the operator's SSH key).
if command -v cloud-init >/dev/null 2>&1; then
  cloud-init clean --logs
fi
