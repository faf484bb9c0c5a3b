"""Sync time of a 100 MB model from an S3 server (moto on loopback), median of 3 runs.

    .venv/bin/python benchmarks/sync_bench.py [--mb 100] [--runs 3]
    .venv/bin/python benchmarks/sync_bench.py --predict-url http://127.0.0.1:8501/v1/models/saved_model_half_plus_two_mkl:predict

"Sync time" is one reconcile step on an empty cache: listing, download of every object,
size/ETag/MD5 verification and the rename into place. The stability rule adds up to
(stable_polls - 1) poll intervals before that step starts; that wait is configuration, not work,
and is reported separately.

`p99_during_sync(request, sync)` measures a serving model's latency before and during a sync;
with --predict-url it runs against a model server that is already serving (the node the team
starts), posting half_plus_two's example request. Moto is the project's only stand-in for MinIO.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modelrepo.config import SyncConfig
from modelrepo.publish import BucketStore
from modelrepo.store import StoreConfig
from modelrepo.sync import Syncer

HOST = "127.0.0.55"


def start_moto() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
    # Niced: moto stands in for a store on another machine; here it shares the node's CPUs.
    proc = subprocess.Popen(["nice", "-n", "15", sys.executable, "-m", "moto.server", "-H", HOST,
                             "-p", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return proc, f"{HOST}:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("moto server did not start")


def bench_store(endpoint: str) -> StoreConfig:
    return StoreConfig(endpoint=endpoint, bucket="models", access_key="bench",
                       secret_key="bench-secret", timeout_seconds=60)


def make_model(root: Path, mb: int) -> Path:
    """A SavedModel-shaped version of `mb` MiB (random bytes: the sync never loads it)."""
    (root / "variables").mkdir(parents=True)
    with open(root / "variables" / "variables.data-00000-of-00001", "wb") as out:
        out.writelines(os.urandom(1 << 20) for _ in range(mb))
    (root / "variables" / "variables.index").write_bytes(b"index")
    (root / "saved_model.pb").write_bytes(b"graph")
    return root


def time_sync(store: StoreConfig, model: str, work: Path, limit_mb: float = 0.0) -> float:
    """Seconds for one reconcile step that brings `model` into an empty cache."""
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    syncer = Syncer(SyncConfig(store=store, models=(model,), cache_dir=cache,
                               status_file=work / "status.json", stable_polls=1,
                               max_mb_per_second=limit_mb))
    syncer.cache.prepare()
    started = time.perf_counter()
    syncer.poll_once()
    elapsed = time.perf_counter() - started
    assert syncer.cache.versions(model) == [1], "version not in place after the sync step"
    return elapsed


def p99_during_sync(request: Callable[[], object], sync: Callable[[], object],
                    baseline_seconds: float = 3.0, rounds: int = 5) -> dict[str, float]:
    """p50/p99 (ms) of `request` called in a loop: alone, then while `sync` runs, `rounds` times.

    Alternating quiet and sync windows and pooling each side keeps slow drifts of a shared
    machine out of the comparison. For the team's whole-node benchmark: `request` posts a
    predict to the serving node, `sync` runs one sync (here: a separate, niced process).
    """
    def measure(stop: threading.Event, into: list[float]) -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            request()
            into.append((time.perf_counter() - t0) * 1000)

    def pct(values: list[float], q: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))]

    before: list[float] = []
    during: list[float] = []
    for _ in range(rounds):
        stop = threading.Event()
        timer = threading.Timer(baseline_seconds, stop.set)
        timer.start()
        measure(stop, before)
        stop = threading.Event()
        worker = threading.Thread(target=measure, args=(stop, during))
        worker.start()
        sync()
        stop.set()
        worker.join()
    return {"p50_before_ms": pct(before, 0.5), "p99_before_ms": pct(before, 0.99),
            "p50_during_ms": pct(during, 0.5), "p99_during_ms": pct(during, 0.99),
            "p99_ratio": pct(during, 0.99) / pct(before, 0.99),
            "requests_before": len(before), "requests_during": len(during)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--predict-url", help="also measure p99 of this REST predict during a sync")
    parser.add_argument("--limit-mb", type=float, default=0.0,
                        help="the sync's max_mb_per_second for the latency run (0: unlimited)")
    parser.add_argument("--sync-only", metavar="ENDPOINT", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sync_only:  # a separate process at model_sync's priority, as on a node
        os.nice(SyncConfig.nice)
        time_sync(bench_store(args.sync_only), "big", args.work, args.limit_mb)
        return 0
    proc, endpoint = start_moto()
    work = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    try:
        store = bench_store(endpoint)
        store.client().make_bucket("models")
        src = make_model(work / "src", args.mb)
        with open(os.devnull, "w") as quiet:
            BucketStore(store).upload(src, "big", "1", quiet)
        times = [time_sync(store, "big", work) for _ in range(args.runs)]
        median = statistics.median(times)
        print(f"sync of a {args.mb} MiB model from {endpoint} (moto): median {median:.2f}s of "
              f"{args.runs} ({', '.join(f'{t:.2f}' for t in times)}), "
              f"{args.mb / median:.0f} MiB/s")
        print("plus the stability wait before it: (stable_polls - 1) x model.poll.seconds "
              "= 1 x 2s with the defaults")
        if args.predict_url:
            import requests

            body = {"instances": [1.0, 2.0, 5.0]}
            result = p99_during_sync(
                lambda: requests.post(args.predict_url, json=body, timeout=10).raise_for_status(),
                lambda: subprocess.run([sys.executable, __file__, "--sync-only", endpoint,
                                        "--work", str(work), "--limit-mb", str(args.limit_mb)],
                                       check=True),
                rounds=args.runs + 2)
            print("latency during sync: " + ", ".join(f"{k} {v:.2f}" for k, v in result.items()))
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
