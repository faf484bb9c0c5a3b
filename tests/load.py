"""Steady concurrent load for fault tests: bounded, loopback only, every failure recorded."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from dataclasses import dataclass, field

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

MODEL = "saved_model_half_plus_two_mkl"
BODY = json.dumps({"instances": [1.0, 2.0, 5.0]})
REFUSED = "refused"


@dataclass
class Load:
    """Threads calling predict through the given Envoy entry nodes, REST and gRPC alternating."""

    entries: list[str]  # node addresses whose Envoy receives the load
    threads: int = 4
    max_seconds: float = 120.0  # a hard bound, whatever the test does
    ok: int = 0
    refused: int = 0  # connections refused: never accepted, so never in flight
    failures: list[tuple[str, str]] = field(default_factory=list)  # (x-request-id, what)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> "Load":
        for i in range(self.threads):
            worker = threading.Thread(target=self._run, args=(i,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(30)

    def wait_for_successes(self, count: int, timeout: float = 60) -> None:
        target = self.ok + count
        deadline = time.monotonic() + timeout
        while self.ok < target:
            if time.monotonic() > deadline:
                raise TimeoutError(f"load made only {self.ok} of {target} successes; "
                                   f"failures: {self.failures[:5]}")
            time.sleep(0.05)

    def _record(self, request_id: str, error: str | None) -> None:
        with self._lock:
            if error is None:
                self.ok += 1
            elif error == REFUSED:
                self.refused += 1
            else:
                self.failures.append((request_id, error))

    def _run(self, index: int) -> None:
        entries = itertools.cycle(self.entries[index % len(self.entries):] + self.entries)
        deadline = time.monotonic() + self.max_seconds
        grpc_mode = index % 2 == 1
        channels: dict[str, grpc.Channel] = {}
        request = predict_request()
        for n in itertools.count():
            if self._stop.is_set() or time.monotonic() > deadline:
                break
            address = next(entries)
            request_id = f"load-{index}-{n}"
            if grpc_mode:
                channel = channels.setdefault(address, grpc.insecure_channel(f"{address}:8081"))
                self._record(request_id, _grpc_call(channel, request, request_id))
            else:
                self._record(request_id, _rest_call(address, request_id))
        for channel in channels.values():
            channel.close()


def predict_request() -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = MODEL
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([[1.0], [2.0], [5.0]], np.float32)))
    return request


def _rest_call(address: str, request_id: str) -> str | None:
    conn = http.client.HTTPConnection(address, 8080, timeout=30)
    try:
        conn.request("POST", f"/v1/models/{MODEL}:predict", BODY,
                     {"Content-Type": "application/json", "x-request-id": request_id})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200 or json.loads(body) != {"predictions": [2.5, 3.0, 4.5]}:
            return f"REST {address}: {response.status} {body[:200]!r}"
        return None
    except ConnectionRefusedError:
        return REFUSED
    except (OSError, http.client.HTTPException) as exc:
        return f"REST {address}: {exc!r}"
    finally:
        conn.close()


def _grpc_call(channel: grpc.Channel, request, request_id: str) -> str | None:
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    try:
        response = stub.Predict(request, timeout=30, metadata=[("x-request-id", request_id)])
    except grpc.RpcError as err:
        details = err.details() or ""
        if err.code() == grpc.StatusCode.UNAVAILABLE and (
                "Connection refused" in details or "failed to connect" in details.lower()):
            return REFUSED
        return f"gRPC: {err.code()} {details}"
    values = list(response.outputs["y"].float_val)
    return None if values == [2.5, 3.0, 4.5] else f"gRPC: wrong answer {values}"


def envoy_log_entries(log_dir) -> dict[str, dict]:
    """Access-log entries of the load's requests, by x-request-id."""
    entries = {}
    path = log_dir / "envoy.log"
    for line in path.read_text().splitlines() if path.exists() else ():
        entry = json.loads(line)
        if str(entry.get("request_id", "")).startswith("load-"):
            entries[entry["request_id"]] = entry
    return entries
