"""Server-side batching: concurrent requests are merged, and each gets exactly its own answer."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import numpy as np
import requests
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from serving.batching import Batcher, batchable
from serving.config import BatchingConfig
from serving.runtimes.base import Signature, TensorSpec
from serving.tensors import to_proto


def test_batcher_merges_concurrent_requests_and_splits_answers():
    calls = []
    gate = threading.Event()

    def run(inputs, keys):
        calls.append(inputs["x"].shape[0])
        gate.wait(5)
        return {"y": inputs["x"] * 2}

    async def scenario():
        batcher = Batcher(run, BatchingConfig(max_batch_size=64), ThreadPoolExecutor(1))
        first = asyncio.ensure_future(batcher.submit({"x": np.array([[0.0]])}, None, 1))
        await asyncio.sleep(0.05)  # the first call is running: the rest queue up behind it
        rest = [asyncio.ensure_future(batcher.submit({"x": np.full((n, 1), float(n))}, None, n))
                for n in (1, 2, 3)]
        await asyncio.sleep(0.05)
        gate.set()
        return await first, await asyncio.gather(*rest)

    first, rest = asyncio.run(scenario())
    assert calls == [1, 6]  # one call alone, then the three queued requests merged into one
    assert first["y"].tolist() == [[0.0]]
    assert [r["y"].ravel().tolist() for r in rest] == [[2.0], [4.0, 4.0], [6.0, 6.0, 6.0]]


def test_batchable_only_with_dynamic_first_dimension():
    dyn = TensorSpec("x:0", 1, (-1, 1))
    assert batchable(Signature("p", {"x": dyn}, {"y": dyn}))
    assert not batchable(Signature("p", {"x": TensorSpec("x:0", 1, None)}, {"y": dyn}))
    assert not batchable(Signature("p", {"x": TensorSpec("x:0", 1, (2, 1))}, {"y": dyn}))


def test_concurrent_requests_get_their_own_answers(main_server):
    stub = prediction_service_pb2_grpc.PredictionServiceStub(
        grpc.insecure_channel(main_server.grpc_target))

    def rest(i):
        session = requests.Session()
        out = []
        for j in range(40):
            rows = [[float(i * 1000 + j * 10 + k)] for k in range(1 + (i + j) % 3)]
            r = session.post(main_server.url + "/v1/models/builtin:predict",
                             json={"instances": rows}, timeout=10)
            out.append((rows, r.json()["predictions"]))
        return out

    def grpc_call(i):
        out = []
        for j in range(40):
            rows = np.array([[float(-i * 1000 - j)]] * (1 + j % 2), np.float32)
            request = predict_pb2.PredictRequest()
            request.model_spec.name = "builtin"
            request.inputs["x"].CopyFrom(to_proto(rows))
            response = stub.Predict(request, timeout=10)
            out.append((rows.tolist(), np.reshape(response.outputs["y"].float_val, (-1, 1)).tolist()))
        return out

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(rest, i) for i in range(4)] + \
                  [pool.submit(grpc_call, i) for i in range(1, 5)]
        results = [pair for f in futures for pair in f.result()]
    assert len(results) == 320
    for rows, answer in results:
        assert answer == [[0.5 * r[0] + 2.0] for r in rows]
