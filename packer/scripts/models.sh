#!/bin/sh
set -eux
# The built-in models (SPEC §2): put into the node's model store /data/models by the
# project's own installer, so the image and `appliance up` on a laptop agree on them.
prefix=/opt/appliance
models=/data/models

mkdir -p "$models"
if "$prefix/venv/bin/appliance" models --help >/dev/null 2>&1; then
  "$prefix/venv/bin/appliance" models install-builtin --dest "$models"
elif "$prefix/venv/bin/python" -c 'import modelrepo.builtin' 2>/dev/null; then
  "$prefix/venv/bin/python" -m modelrepo.builtin --dest "$models"
else
  echo "this tree has no built-in model installer yet" \
    "(neither 'appliance models install-builtin' nor 'python -m modelrepo.builtin')" >&2
  exit 1
fi
find "$models" -maxdepth 2
