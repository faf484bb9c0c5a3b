"""Download one version into a staging directory and prove it matches its listing.

Why verify: a listing names every object with size and ETag; an object replaced or cut off during
the download must not be moved into place. Single-part ETags are the MD5 of the content and are
checked against the bytes; multipart ETags are checked to be the same object the listing named.
"""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from minio import Minio

from modelrepo.errors import VersionIncomplete
from modelrepo.formats import detect_dir
from modelrepo.store import ObjectInfo, StoreConfig, call

CHUNK = 1 << 20


class RateLimit:
    """Bytes per second shared by every download thread (0: unlimited); thread-safe.

    A sync that saturates a small node's CPU and network raises the serving model's tail
    latency; spreading the same bytes over more time keeps the sync in the background.
    """

    def __init__(self, bytes_per_second: float) -> None:
        self.rate = bytes_per_second
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def take(self, n: int) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            now = time.monotonic()
            self._next = max(self._next, now) + n / self.rate
            wait = self._next - now - n / self.rate
        if wait > 0:
            time.sleep(wait)


UNLIMITED = RateLimit(0)


def safe_relpath(name: str) -> PurePosixPath:
    """The object's path inside the version folder; refuse names that would escape it."""
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise VersionIncomplete(f"object name {name!r} is not a plain relative path")
    return PurePosixPath(name)


def fetch(store: StoreConfig, client: Minio, key: str, obj: ObjectInfo, dest: Path,
          limit: RateLimit = UNLIMITED) -> None:
    """Stream one object to `dest`; raise VersionIncomplete when it differs from the listing."""
    dest.parent.mkdir(parents=True, exist_ok=True)

    def run() -> tuple[int, str, str]:
        resp = client.get_object(store.bucket, key)
        digest, size = hashlib.md5(usedforsecurity=False), 0
        try:
            with open(dest, "wb") as out:
                for chunk in resp.stream(CHUNK):
                    limit.take(len(chunk))
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
            return size, resp.headers.get("ETag", "").strip('"'), digest.hexdigest()
        finally:
            resp.close()
            resp.release_conn()

    size, etag, md5 = call(store, f"downloading {key} from", run)
    if size != obj.size:
        raise VersionIncomplete(f"{key}: got {size} bytes, the listing says {obj.size}")
    if etag and obj.etag and etag != obj.etag:
        raise VersionIncomplete(f"{key}: changed while downloading (ETag {etag} != {obj.etag})")
    if "-" not in obj.etag and obj.etag and md5 != obj.etag:
        raise VersionIncomplete(f"{key}: content MD5 {md5} does not match ETag {obj.etag}")


def download_version(store: StoreConfig, client: Minio, model: str, folder: str,
                     objects: tuple[ObjectInfo, ...], staging: Path, workers: int = 4,
                     limit: RateLimit = UNLIMITED) -> str:
    """Fetch every object into `staging`, verify it, and return the recognised format."""
    jobs = [(store.key(model, folder, o.name), o, staging / safe_relpath(o.name), limit)
            for o in objects]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for future in [pool.submit(fetch, store, client, *job) for job in jobs]:
            future.result()
    present = {str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()}
    missing = {o.name for o in objects} - present
    if missing:
        raise VersionIncomplete(f"{model}/{folder}: missing after download: {sorted(missing)}")
    fmt = detect_dir(staging)
    if fmt is None:
        raise VersionIncomplete(f"{model}/{folder}: no recognised model format")
    return fmt
