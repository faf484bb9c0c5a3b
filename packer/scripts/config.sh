#!/bin/sh
set -eux
# The node's file-system layout (appliance.layout.Layout.system()) and the one file the
# operator edits, root-only because it holds S3 keys. An existing file is kept.
conf=/etc/appliance/appliance.conf

install -d -m 0700 -o root -g root /etc/appliance
install -d -m 0755 /data /data/models /var/log/appliance
if [ ! -e "$conf" ]; then
  umask 077
  /opt/appliance/venv/bin/python -c 'from appliance.settings import default_file_text; print(default_file_text())' >"$conf.new"
  # On a VM the node listens on its own address, whatever DHCP gave it.
  sed -i 's/^node\.address = .*/node.address = auto/' "$conf.new"
  mv "$conf.new" "$conf"
fi
chown root:root "$conf"
chmod 0600 "$conf"
# No password logins: root has none (SSH keys only, see packages.sh).
usermod -p '*' root
