"""How long the log browser takes to render a log page over a 200 MB log (issue 5: < 1 s).

Generates a 200 MB model-server-like log in a temporary state directory, then times complete
GET requests of the log page (the last `logviewer.tail.lines` lines, default 500), of a follow poll
and of the log list, through a real waitress server on 127.0.0.40:8090 (or Flask's test client
with --in-process). Prints the median of several runs.

    .venv/bin/python benchmarks/logviewer_bench.py [--mb 200] [--runs 7] [--in-process]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.layout import Layout
from appliance.schema import LOGVIEWER_PORT
from appliance.settings import parse_text
from logviewer import create_app

ADDRESS = "127.0.0.40"
LINE = ("2026-11-23 11:30:00,{:06d} INFO serving.rest POST /v1/models/resnet/versions/1:predict "
        "200 took 12.5 ms request_id=3f2a9c1e-{:08d}\n")


def make_log(path: Path, megabytes: int) -> int:
    """Write about `megabytes` MB of log lines; return the size in bytes."""
    block = "".join(LINE.format(i % 1000000, i) for i in range(10000)).encode()
    needle_at = megabytes * 1024 * 1024 // 2
    with path.open("wb") as f:
        while f.tell() < megabytes * 1024 * 1024:
            if needle_at and f.tell() >= needle_at:  # one line for the search to find
                f.write(b"2026-11-23 11:30:00,000000 ERROR resnet version 2 failed to load\n")
                needle_at = 0
            f.write(block)
    return path.stat().st_size


def timed(get, url: str, runs: int) -> float:
    """Median seconds of `runs` complete requests (after one warm-up)."""
    get(url)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        body = get(url)
        samples.append(time.perf_counter() - start)
        assert len(body) > 0
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--in-process", action="store_true", help="Flask test client, no server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        layout = Layout.for_home(Path(tmp))
        layout.log_dir.mkdir(parents=True)
        size = make_log(layout.log_dir / "model_server.log", args.mb)
        app = create_app(parse_text(f"node.address = {ADDRESS}\n"), layout)
        if args.in_process:
            client = app.test_client()

            def get(url):
                return client.get(url).data

            prefix, how = "", "Flask test client"
        else:
            import waitress.server

            server = waitress.server.create_server(app, host=ADDRESS, port=LOGVIEWER_PORT)
            threading.Thread(target=server.run, daemon=True).start()
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

            def get(url):
                with opener.open(url, timeout=30) as resp:
                    return resp.read()

            prefix, how = f"http://{ADDRESS}:{LOGVIEWER_PORT}", "waitress over HTTP"
        page = timed(get, f"{prefix}/logs/model_server.log", args.runs)
        follow = timed(get, f"{prefix}/logs/model_server.log/follow.json?offset={size}",
                       args.runs)
        listing = timed(get, f"{prefix}/logs/", args.runs)
        found = get(f"{prefix}/logs/model_server.log/search?q=failed+to+load")
        assert b"1 matching line." in found, "the search benchmark found nothing"
        search = timed(get, f"{prefix}/logs/model_server.log/search?q=failed+to+load",
                       max(1, args.runs // 3))
        print(f"log page over a {size / 2**20:.0f} MiB log ({how}, median of {args.runs}): "
              f"{page * 1000:.1f} ms (last 500 lines); follow poll {follow * 1000:.1f} ms; "
              f"log list {listing * 1000:.1f} ms; "
              f"plain-text search of the whole log {search * 1000:.0f} ms")
    return 0 if page < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
