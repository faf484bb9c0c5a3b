"""Closed-loop gRPC Predict load on half_plus_two: N calls in flight, report req/s and p50/p99.

    python benchmarks/grpc_load.py 127.0.0.1:8500 --concurrency 8 --seconds 5

One asyncio client process (grpc.aio); on a small machine the client's own CPU use is part of
what is measured, so compare with a REST run made with the same care (e.g. wrk -t1).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import grpc
import numpy as np
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc


def request(model: str) -> predict_pb2.PredictRequest:
    from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

    req = predict_pb2.PredictRequest()
    req.model_spec.name = model
    req.inputs["x"].CopyFrom(tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT, float_val=[1.0, 2.0, 5.0],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=3)])))
    return req


async def run(target: str, model: str, concurrency: int, seconds: float) -> dict:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        req = request(model)
        await stub.Predict(req, timeout=10)
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def worker():
            nonlocal errors
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    await stub.Predict(req, timeout=10)
                except grpc.RpcError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    lat = np.array(latencies) * 1000
    return {"requests_per_s": round(len(latencies) / elapsed, 1), "errors": errors,
            "p50_ms": round(float(np.percentile(lat, 50)), 3),
            "p99_ms": round(float(np.percentile(lat, 99)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target")
    parser.add_argument("--model", default="saved_model_half_plus_two_mkl")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(asyncio.run(run(args.target, args.model, args.concurrency, args.seconds)))


if __name__ == "__main__":
    main()
