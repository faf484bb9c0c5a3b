#!/bin/sh
set -eux
# MinIO server for the repo role: one pinned release, checked against the pinned SHA-256
# and against the release's published .sha256sum. A build without a route to the download
# host skips it with a clear message unless MINIO_REQUIRED=true.
MINIO_RELEASE="${MINIO_RELEASE:?the pinned MinIO release, e.g. RELEASE.2024-12-18T13-15-44Z}"
MINIO_SHA256="${MINIO_SHA256:?the SHA-256 of the linux-amd64 binary of that release}"
MINIO_REQUIRED="${MINIO_REQUIRED:-false}"
MINIO_BASE_URL="${MINIO_BASE_URL:-https://dl.min.io/server/minio/release/linux-amd64/archive}"
dest=/usr/local/bin/minio

case "$MINIO_SHA256" in
  *[!0-9a-f]*) echo "MINIO_SHA256 is not lowercase hex: $MINIO_SHA256" >&2; exit 1 ;;
esac
if [ -x "$dest" ] && echo "$MINIO_SHA256  $dest" | sha256sum -c --status; then
  echo "MinIO $MINIO_RELEASE already installed"
  exit 0
fi

url="$MINIO_BASE_URL/minio.$MINIO_RELEASE"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! curl -fsSL --retry 3 --connect-timeout 20 -o "$tmp/minio" "$url" \
  || ! curl -fsSL --retry 3 --connect-timeout 20 -o "$tmp/minio.sha256sum" "$url.sha256sum"; then
  if [ "$MINIO_REQUIRED" = "true" ]; then
    echo "MinIO $MINIO_RELEASE could not be downloaded from $url and minio_required is true" >&2
    exit 1
  fi
  echo "SKIPPED: MinIO $MINIO_RELEASE: no route to $url from this build;" \
    "the image cannot run the repo role (serving nodes with s3.type = s3 or none are unaffected)." \
    "Set minio.binary in appliance.conf after copying a verified binary in, or rebuild with a route." >&2
  exit 0
fi

published="$(cut -d' ' -f1 "$tmp/minio.sha256sum")"
if [ "$published" != "$MINIO_SHA256" ]; then
  echo "MinIO $MINIO_RELEASE: published SHA-256 $published differs from the pinned $MINIO_SHA256" >&2
  exit 1
fi
echo "$MINIO_SHA256  $tmp/minio" | sha256sum -c -
install -m 0755 "$tmp/minio" "$dest"
"$dest" --version
