#!/bin/sh
set -eux
# System packages: Python, a Java runtime for PMML (pypmml), systemd, SSH, and what the boot
# service and operators use. apt-get install is itself idempotent.
export DEBIAN_FRONTEND=noninteractive

apt-get update
apt-get install -y --no-install-recommends \
  ca-certificates \
  cloud-init \
  curl \
  default-jre-headless \
  iproute2 \
  less \
  openssh-server \
  procps \
  python3 \
  python3-venv \
  systemd \
  systemd-sysv \
  tzdata

# Operators log in with their own keys only.
mkdir -p /etc/ssh/sshd_config.d
cat >/etc/ssh/sshd_config.d/50-appliance.conf <<'CONF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
CONF
java -version
