"""Mirror <bucket>/<prefix>/<model>/<version>/ into the local cache the model server polls.

Run as `python -m modelrepo.sync --config <run_dir>/sync.json` (supervisor program model_sync).

Rules (docs/CONTRACTS.md, "Model sync"):
- A bucket version is downloaded only after `stable_polls` consecutive listings show exactly the
  same objects (names, sizes, ETags): S3 has no rename, so "nothing changed for one poll interval"
  is how a finished upload is told from one still in progress. `appliance models push` also
  uploads the format-defining file (saved_model.pb, *.xml, *.onnx, *.pmml) last.
- It is downloaded into a staging directory, verified (sizes, ETags, format, numeric folder) and
  moved into place with one rename. Cached versions are immutable.
- A cached version whose folder has no objects left in a successful listing is removed.
- Any failure to reach or use the store changes nothing in the cache; it is logged once per
  attempt with exponential backoff and shown in the status file.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from modelrepo import status as status_file
from modelrepo.cache import Cache
from modelrepo.config import SyncConfig
from modelrepo.download import RateLimit, download_version, safe_relpath
from modelrepo.errors import ModelRepoError, StoreError, VersionIncomplete
from modelrepo.formats import detect
from modelrepo.store import ObjectInfo, VersionListing, list_models

log = logging.getLogger("model_sync")


def _signature(objects: tuple[ObjectInfo, ...]) -> tuple[tuple[str, int, str], ...]:
    return tuple(sorted((o.name, o.size, o.etag) for o in objects))


class Syncer:
    """One node's sync loop. `poll_once` is one reconcile step; `run` loops until stopped."""

    def __init__(self, config: SyncConfig) -> None:
        self.config = config
        self.store = config.store
        self.cache = Cache(config.cache_dir)
        self._client = self.store.client()
        self._limit = RateLimit(config.max_mb_per_second * 2**20)
        self._seen: dict[tuple[str, int], tuple[Any, int]] = {}  # listing signature, times seen
        self._rejected: dict[tuple[str, int], tuple[Any, str]] = {}  # signature, reason
        self._status: dict[str, Any] = {
            "state": "starting", "store": self.store.url, "pid": os.getpid(), "polls": 0,
            "last_success": None, "last_error": None, "last_error_at": None,
            "failing_since": None, "consecutive_failures": 0, "next_poll_seconds": 0.0,
            "models": {},
        }

    # One reconcile step --------------------------------------------------------------------
    def poll_once(self) -> None:
        """List the bucket, remove versions gone from it, download stable new ones.

        Raises StoreError when the store cannot be used; the cache is then untouched (apart from
        versions already completed in this poll).
        """
        listing = list_models(self.store, self._client, self.config.models)
        models: dict[str, Any] = {}
        for model in self.config.models:
            models[model] = self._reconcile(model, listing.get(model, {}))
        self._status["models"] = models

    def _reconcile(self, model: str, versions: dict[int, VersionListing]) -> dict:
        for version in self.cache.versions(model):
            if version not in versions:
                log.info("%s/%s: deleted from the store, removing it from the cache",
                         model, version)
                self.cache.remove(model, version)
        pending: list[int] = []
        rejected: dict[str, str] = {}
        cached = set(self.cache.versions(model))
        for version in sorted(versions, reverse=True):
            if version in cached:
                continue
            sig = _signature(versions[version].objects)
            previous, count = self._seen.get((model, version), (None, 0))
            count = count + 1 if previous == sig else 1
            self._seen[(model, version)] = (sig, count)
            reason = self._check(model, versions[version].folder, version, sig, count)
            if reason == "pending":
                pending.append(version)
            elif reason:
                rejected[str(version)] = reason
        for key in [k for k in self._seen if k[0] == model and k[1] not in versions]:
            self._seen.pop(key)
        return {"cached": self.cache.versions(model), "store": sorted(versions),
                "pending": sorted(pending), "rejected": rejected}

    def _check(self, model: str, folder: str, version: int, sig: Any, count: int) -> str | None:
        """Download the version if it is ready; return why not ("pending" or a reason)."""
        old = self._rejected.get((model, version))
        if old and old[0] == sig:
            return old[1]
        if count < self.config.stable_polls:
            return "pending"
        if detect(name for name, _, _ in sig) is None:
            return self._reject(model, version, sig, "no recognised model format (saved_model.pb, "
                                                     "*.xml + *.bin, *.onnx, *.pmml)")
        try:
            for name, _, _ in sig:
                safe_relpath(name)
        except VersionIncomplete as exc:
            return self._reject(model, version, sig, str(exc))
        staging = self.cache.new_staging(model, version)
        try:
            objects = tuple(ObjectInfo(n, s, e) for n, s, e in sig)
            started = time.monotonic()
            fmt = download_version(self.store, self._client, model, folder, objects, staging,
                                   self.config.workers, self._limit)
            self.cache.place(staging, model, folder)
        except StoreError:
            self.cache.discard(staging)
            raise
        except (ModelRepoError, OSError) as exc:
            self.cache.discard(staging)
            self._seen.pop((model, version), None)
            log.warning("%s/%s: not moved into place: %s", model, version, exc)
            return "pending"
        size = sum(s for _, s, _ in sig)
        log.info("%s/%s: %s model, %d files, %d bytes synced in %.2fs", model, version, fmt,
                 len(sig), size, time.monotonic() - started)
        return None

    def _reject(self, model: str, version: int, sig: Any, reason: str) -> str:
        self._rejected[(model, version)] = (sig, reason)
        log.warning("%s/%s: not synced: %s", model, version, reason)
        return reason

    # The loop ------------------------------------------------------------------------------
    def step(self) -> float:
        """One poll with its bookkeeping; return the seconds to wait before the next one."""
        st = self._status
        try:
            self.poll_once()
        except StoreError as exc:
            st["consecutive_failures"] += 1
            st["state"] = exc.kind if exc.kind in status_file.STATES else "error"
            st["last_error"], st["last_error_at"] = str(exc), status_file.now_iso()
            st["failing_since"] = st["failing_since"] or st["last_error_at"]
            delay = min(self.config.poll_seconds * 2 ** (st["consecutive_failures"] - 1),
                        max(self.config.max_backoff_seconds, self.config.poll_seconds))
            log.error("%s; keeping %d cached versions; retry %d in %.1fs", exc,
                      sum(len(self.cache.versions(m)) for m in self.config.models),
                      st["consecutive_failures"], delay)
        else:
            if st["consecutive_failures"]:
                log.info("model store %s reachable again", self.store.url)
            st.update(state="ok", last_success=status_file.now_iso(), failing_since=None,
                      consecutive_failures=0)
            delay = self.config.poll_seconds
        for model in self.config.models:  # the cache is the truth even when the store is down
            st["models"].setdefault(model, {})["cached"] = self.cache.versions(model)
        st["polls"] += 1
        st["next_poll_seconds"] = delay
        st["updated"], st["updated_unix"] = status_file.now_iso(), time.time()
        status_file.write(self.config.status_file, st)
        return delay

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; never raises for store failures."""
        self.cache.prepare()
        log.info("syncing %s from %s into %s every %.1fs", ", ".join(self.config.models),
                 self.store.url, self.config.cache_dir, self.config.poll_seconds)
        while not stop.is_set():
            stop.wait(self.step())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelrepo.sync", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="the sync.json to use")
    args = parser.parse_args(argv)
    try:
        config = SyncConfig.load(args.config)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        print(f"model_sync: cannot read {args.config}: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if config.nice:
        os.nice(config.nice)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    Syncer(config).run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
