#!/bin/sh
set -eux
# The boot services: appliance-firstboot (host SSH keys) once per VM, then
# appliance (check the file, then run the node's role) on every boot.
BUILD_DIR="${BUILD_DIR:-/tmp/appliance-build}"

install -m 0755 "$BUILD_DIR/appliance-boot" /usr/local/sbin/appliance-boot
install -m 0755 "$BUILD_DIR/appliance-firstboot" /usr/local/sbin/appliance-firstboot
install -m 0644 "$BUILD_DIR/appliance.service" /etc/systemd/system/appliance.service
install -m 0644 "$BUILD_DIR/appliance-firstboot.service" /etc/systemd/system/appliance-firstboot.service
systemctl enable appliance-firstboot.service appliance.service
# appliance.service waits for network-online: node.address = auto needs an address.
systemctl enable systemd-networkd-wait-online.service 2>/dev/null || true
