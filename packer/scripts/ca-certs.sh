#!/bin/sh
set -eux
# Trust the build's extra CA certificates (a TLS-inspecting egress proxy) for this build only.
# cleanup.sh removes them again; an empty extra-ca.pem means there are none.
BUILD_DIR="${BUILD_DIR:-/tmp/appliance-build}"
src="$BUILD_DIR/extra-ca.pem"
dest=/usr/local/share/ca-certificates/appliance-build-extra.crt

if [ ! -s "$src" ]; then
  echo "no extra CA certificates for this build"
  exit 0
fi
if ! grep -q 'BEGIN CERTIFICATE' "$src"; then
  echo "extra_ca_certs is not a PEM file of certificates: $src" >&2
  exit 1
fi
mkdir -p /usr/local/share/ca-certificates
install -m 0644 "$src" "$dest"
if command -v update-ca-certificates >/dev/null 2>&1; then
  update-ca-certificates
else
  # Before packages.sh installs ca-certificates: apt itself must reach the archive over HTTPS.
  mkdir -p /etc/ssl/certs
  cat "$src" >>/etc/ssl/certs/ca-certificates.crt
fi
