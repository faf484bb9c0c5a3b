"""Download guards: object names that would escape the version folder, changed objects, rate."""

from __future__ import annotations

import time

import pytest

from modelrepo.download import RateLimit, download_version, safe_relpath
from modelrepo.errors import VersionIncomplete
from modelrepo.store import ObjectInfo


@pytest.mark.parametrize("name", ["../evil", "a/../../evil", "/etc/passwd", "a//b", "./x"])
def test_object_names_cannot_escape_the_version_folder(name):
    with pytest.raises(VersionIncomplete, match="not a plain relative path"):
        safe_relpath(name)


def test_object_changed_since_listing_is_refused(moto, bucket, tmp_path):
    s3 = moto.s3()
    s3.put_object(Bucket=bucket, Key="m/1/model.onnx", Body=b"new content")
    listed = ObjectInfo("model.onnx", 11, "0" * 32)  # what an earlier listing said
    store = moto.store(bucket)
    with pytest.raises(VersionIncomplete, match="changed while downloading"):
        download_version(store, store.client(), "m", "1", (listed,), tmp_path / "stage")


def test_rate_limit_spreads_bytes_over_time():
    limit, started = RateLimit(10 * 2**20), time.monotonic()
    for _ in range(4):
        limit.take(2**20)  # 4 MiB at 10 MiB/s: at least 0.3 s after the first MiB
    assert time.monotonic() - started >= 0.29
