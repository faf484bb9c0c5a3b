#!/bin/sh
set -eux
# The boot services: appliance-firstboot (host SSH keys, this node's address) once, then
# appliance (check the file, then run the node's role) on every boot.
BUILD_DIR="${BUILD_DIR:-/tmp/appliance-build}"

install -m 0755 "$BUILD_DIR/appliance-boot" /usr/local/sbin/appliance-boot
install -m 0755 "$BUILD_DIR/appliance-firstboot" /usr/local/sbin/appliance-firstboot
install -m 0644 "$BUILD_DIR/appliance.service" /etc/systemd/system/appliance.service
install -m 0644 "$BUILD_DIR/appliance-firstboot.service" /etc/systemd/system/appliance-firstboot.service
systemctl enable appliance-firstboot.service appliance.service
# Wait for an address before starting (node.address must be bindable).
systemctl enable systemd-networkd-wait-online.service 2>/dev/null || true
