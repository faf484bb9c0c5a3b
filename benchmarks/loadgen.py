"""Compiled load generators driven from Python: wrk for REST, h2load for gRPC.

A Python client saturates a core before the server does on this 2-core machine, so every figure
in the README comes from these (Debian packages `wrk` and `nghttp2-client`). Each run is
closed-loop: `concurrency` connections, one request in flight on each.
"""

from __future__ import annotations

import json
import re
import statistics
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REST_BODY = '{"instances": [1.0, 2.0, 5.0]}'
MODEL = "saved_model_half_plus_two_mkl"


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(text: str) -> float:
    """wrk's durations: 512.00us, 1.23ms, 2.00s, 1.05m."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not found:
        raise ValueError(f"unexpected wrk duration {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def wrk(url: str, concurrency: int, seconds: float, body: str = REST_BODY) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        # A JSON string literal is also a valid Lua string literal for this ASCII body.
        script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                     f"wrk.body = {json.dumps(body)}\n")
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--latency",
                          "-s", script.name, url], capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    if "Requests/sec" not in out:
        raise RuntimeError(f"wrk against {url} printed no result:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    # Lines of the "Latency Distribution" block; anchored, since "+/- Stdev" columns such as
    # "76.99%" also contain "99%".
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)$", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)$", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    errors += sum(map(int, socket_errors.groups())) if socket_errors else 0
    return Result(rps, p50, p99, errors)


def grpc_predict_frame() -> bytes:
    """One gRPC message frame (flag, length, PredictRequest) for half_plus_two."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = MODEL
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([[1.0], [2.0], [5.0]], np.float32)))
    payload = request.SerializeToString()
    return b"\x00" + struct.pack(">I", len(payload)) + payload


def h2load(target: str, concurrency: int, seconds: float, frame: bytes) -> Result:
    """gRPC unary Predict load: h2load with a pre-serialized request, one stream per client."""
    with tempfile.TemporaryDirectory() as tmp:
        data, log = Path(tmp) / "req.bin", Path(tmp) / "log.tsv"
        data.write_bytes(frame)
        out = subprocess.run(
            ["h2load", "-c", str(concurrency), "-m", "1", "-D", f"{seconds:g}", "-d", str(data),
             "-H", "content-type: application/grpc", "-H", "te: trailers",
             "--log-file", str(log), f"http://{target}/tensorflow.serving.PredictionService/Predict"],
            capture_output=True, text=True, check=True).stdout
        rows = [line.split("\t") for line in log.read_text().splitlines() if line]
    elapsed_ms = sorted(int(r[2]) / 1000 for r in rows)
    ok = sum(1 for r in rows if r[1] == "200")
    duration = float(re.search(r"finished in ([\d.]+)s", out).group(1))
    return Result(ok / duration, statistics.median(elapsed_ms),
                  elapsed_ms[int(0.99 * (len(elapsed_ms) - 1))], len(rows) - ok)


def median_of(runs: list[Result]) -> Result:
    return Result(statistics.median(r.rps for r in runs), statistics.median(r.p50_ms for r in runs),
                  statistics.median(r.p99_ms for r in runs), sum(r.errors for r in runs))
