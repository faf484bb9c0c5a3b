#!/bin/sh
set -eux
# The Python environment: this project (from the archive uploaded by the build, kept in
# /opt/appliance/src) and its runtimes in /opt/appliance/venv; `appliance` on PATH.
# Re-running replaces the source and reinstalls into the same venv.
BUILD_DIR="${BUILD_DIR:-/tmp/appliance-build}"
APPLIANCE_EXTRAS="${APPLIANCE_EXTRAS:-}"
prefix=/opt/appliance

# An empty PIP_INDEX_URL from Packer means "pip's default", not "no index".
if [ -z "${PIP_INDEX_URL:-}" ]; then
  unset PIP_INDEX_URL
fi
export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
if [ -s /usr/local/share/ca-certificates/appliance-build-extra.crt ]; then
  # pip trusts its own bundle, not the system's: point it at the system one for this build.
  export PIP_CERT=/etc/ssl/certs/ca-certificates.crt
fi

mkdir -p "$prefix"
rm -rf "$prefix/src.new"
mkdir -p "$prefix/src.new"
tar -xzf "$BUILD_DIR/appliance-src.tar.gz" -C "$prefix/src.new"
rm -rf "$prefix/src"
mv "$prefix/src.new" "$prefix/src"

if [ ! -x "$prefix/venv/bin/python" ]; then
  python3 -m venv "$prefix/venv"
fi
target="$prefix/src"
if [ -n "$APPLIANCE_EXTRAS" ]; then
  target="$prefix/src[$APPLIANCE_EXTRAS]"
fi
# Editable, as `make install` does: the node renders from the source tree's envoy/
# templates (appliance.render reads PROJECT_ROOT/envoy), so /opt/appliance/src stays.
"$prefix/venv/bin/pip" install --editable "$target"

ln -sf "$prefix/venv/bin/appliance" /usr/local/bin/appliance
appliance --help >/dev/null
