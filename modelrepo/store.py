"""Where a bucket store is and how to talk to it: one `StoreConfig`, one `minio` client.

Every call into the bucket goes through `call()`, which turns the client's many exception types
into one `StoreError` whose `kind` says what an operator must fix and whose text never holds the
secret key.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import certifi
import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from modelrepo.errors import StoreError
from modelrepo.formats import is_version

T = TypeVar("T")
DEFAULT_BUCKET = "models"
AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied",
              "InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed"}


@dataclass(frozen=True)
class StoreConfig:
    """An S3 endpoint and bucket prefix; `prefix` has no leading or trailing slash."""

    endpoint: str
    bucket: str
    prefix: str = ""
    access_key: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    region: str = "us-east-1"
    secure: bool = False
    verify: bool = True
    timeout_seconds: float = 10.0

    @property
    def url(self) -> str:
        """Where the models are, for messages: s3://bucket/prefix at host:port."""
        path = f"s3://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")
        return f"{path} at {'https' if self.secure else 'http'}://{self.endpoint}"

    def key(self, *parts: str) -> str:
        """Object name of <prefix>/<parts...>."""
        return "/".join(p.strip("/") for p in (self.prefix, *parts) if p.strip("/"))

    def client(self) -> Minio:
        """A client with short timeouts and one retry, so an outage is seen in seconds."""
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(self.timeout_seconds, 5.0),
                                    read=self.timeout_seconds),
            retries=urllib3.Retry(total=1, backoff_factor=0.2,
                                  status_forcelist=[500, 502, 503, 504]),
            maxsize=8,
            cert_reqs="CERT_REQUIRED" if self.verify else "CERT_NONE",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        )
        return Minio(self.endpoint, access_key=self.access_key or None,
                     secret_key=self.secret_key or None, region=self.region or None,
                     secure=self.secure, cert_check=self.verify, http_client=http)

    def scrub(self, text: str) -> str:
        """`text` with the secret key blanked out, for logs and status files."""
        return text.replace(self.secret_key, "********") if self.secret_key else text


def parse_base_path(base: str) -> tuple[str, str]:
    """(bucket, prefix) of s3://bucket[/prefix]; empty means the repo node's `models` bucket."""
    if not base:
        return DEFAULT_BUCKET, ""
    if not base.startswith("s3://"):
        raise StoreError(f"model.base.path = {base!r} is not s3://bucket[/prefix]", "config")
    bucket, _, prefix = base[len("s3://"):].partition("/")
    return bucket, prefix.strip("/")


def from_settings(settings: Any) -> StoreConfig:
    """The store of a parsed appliance configuration (s3.type minio or s3)."""
    kind = settings["s3.type"]
    bucket, prefix = parse_base_path(settings["model.base.path"])
    tls = settings["s3.tls"]
    secure = kind == "s3" if tls == "auto" else tls == "true"
    endpoint = settings["s3.endpoint"] or ("s3.amazonaws.com" if kind == "s3" else "")
    return StoreConfig(endpoint=endpoint, bucket=bucket, prefix=prefix,
                       access_key=settings["s3.access.key"],
                       secret_key=settings["s3.secret.key"],
                       region=settings["s3.region"] or "us-east-1", secure=secure,
                       verify=settings["s3.tls.verify"])


def call(store: StoreConfig, what: str, fn: Callable[[], T]) -> T:
    """Run one bucket operation; raise StoreError(kind) with a one-line, secret-free message."""
    try:
        return fn()
    except S3Error as exc:
        if exc.code in AUTH_CODES:
            kind = "credentials"
            why = f"credentials rejected ({exc.code}); check s3.access.key and s3.secret.key"
        elif exc.code == "NoSuchBucket":
            kind, why = "bucket", f"bucket {store.bucket!r} does not exist"
        else:
            kind, why = "error", f"{exc.code}: {exc.message}"
        raise StoreError(store.scrub(f"{what} {store.url}: {why}"), kind) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise StoreError(store.scrub(f"{what} {store.url}: store unreachable "
                                     f"({type(reason).__name__}: {reason})"),
                         "unreachable") from None
    except MinioException as exc:
        raise StoreError(store.scrub(f"{what} {store.url}: {exc}"), "error") from None


@dataclass(frozen=True)
class ObjectInfo:
    """One object of a version: its name relative to the version folder, size and ETag."""

    name: str
    size: int
    etag: str


@dataclass(frozen=True)
class VersionListing:
    """One version folder in the bucket: its name as written (e.g. 00000123) and its objects."""

    folder: str
    objects: tuple[ObjectInfo, ...]


Listing = dict[str, dict[int, VersionListing]]


def list_models(store: StoreConfig, client: Minio, models: tuple[str, ...] | None) -> Listing:
    """model -> version -> folder and objects, for numeric version folders; None lists every model.

    One recursive listing per model (or of the whole prefix): cheap enough for every poll.
    Objects outside <model>/<version>/ and folder markers are ignored.
    """
    out: Listing = {}
    scopes = [store.key(m) + "/" for m in models] if models is not None else [
        store.key() + "/" if store.prefix else ""]

    def run() -> None:
        for scope in scopes:
            for obj in client.list_objects(store.bucket, prefix=scope, recursive=True):
                rel = obj.object_name[len(store.key()) + 1 if store.prefix else 0:]
                model, _, rest = rel.partition("/")
                version, _, name = rest.partition("/")
                if not name or name.endswith("/") or not is_version(version):
                    continue
                found = out.setdefault(model, {}).setdefault(int(version),
                                                             VersionListing(version, ()))
                if found.folder != version:  # "1" and "01": the first folder listed wins
                    continue
                info = ObjectInfo(name, int(obj.size or 0), (obj.etag or "").strip('"'))
                out[model][int(version)] = VersionListing(version, found.objects + (info,))

    call(store, "listing", run)
    for model in models or ():
        out.setdefault(model, {})
    return out
