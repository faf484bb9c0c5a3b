"""ResNet-50 (random weights) served through Envoy over gRPC, OpenVINO IR and ONNX, at
concurrency 1, 4 and 16, with and without server-side batching, beside the same model in-process
in a tight loop with the same runtime (the ceiling), all in one run.

    .venv/bin/python benchmarks/resnet_server_bench.py [--runs 3] [--seconds 5]

Needs torch (extra `build-models`) once, to build the network (benchmarks/runtime_bench.py),
and h2load (Debian `nghttp2-client`). Precision is OpenVINO's default for both models (bf16 on
this CPU): ONNX files are served by OpenVINO unless onnx.runtime says otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen import h2load, median_of  # noqa: E402
from benchmarks.runtime_bench import build, tight_loop  # noqa: E402
from tests.nodes import start_node  # noqa: E402

ADDRESS = "127.0.0.71"
MODELS = ("resnet_ir", "resnet_onnx")


def frame(model: str, image: np.ndarray) -> bytes:
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.inputs["images"].CopyFrom(tf.make_tensor_proto(image))
    payload = request.SerializeToString()
    return b"\x00" + struct.pack(">I", len(payload)) + payload


def ceilings(store: Path, image: np.ndarray, args) -> dict[str, float]:
    """Best in-process calls/s per model: one thread in a tight loop, either OpenVINO hint."""
    from serving.runtimes import create
    from serving.runtimes.base import RuntimeOptions

    best = {}
    for model in MODELS:
        rates = []
        for hint in ("LATENCY", "THROUGHPUT"):
            runtime = create(store / model / "1", RuntimeOptions(openvino_hint=hint))
            runtime.load()
            rates.append(statistics.median(
                tight_loop(runtime, {"images": image}, args.seconds)["per_s"]
                for _ in range(args.runs)))
            runtime.unload()
        best[model] = max(rates)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/runtime_bench"))
    parser.add_argument("--batching", nargs="+", default=["false", "true"],
                        help="model.batching values to measure")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="extra config keys for the node")
    args = parser.parse_args()
    onnx_dir, ir_dir = build(args.work)
    store = Path(tempfile.mkdtemp(prefix="resnet-store-"))
    shutil.copytree(ir_dir, store / "resnet_ir" / "1")
    shutil.copytree(onnx_dir, store / "resnet_onnx" / "1")
    image = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    ceiling = ceilings(store, image, args)
    print(f"# resnet_server_bench: {args.runs} runs of {args.seconds:g}s, medians; gRPC through "
          "Envoy; default precision (bf16 here)\n")
    print("| model | batching | concurrency | req/s | p50 ms | p99 ms | errors | "
          "of in-process ceiling |\n|---|---|---|---|---|---|---|---|")
    for batching in args.batching:
        home = Path(tempfile.mkdtemp(prefix="resnet-node-"))
        node = start_node(home, ADDRESS, f"model.name = {', '.join(MODELS)}\n"
                          f"model.batching = {batching}\nmax.request.mb = 64\n"
                          + "".join(f"{item.replace('=', ' = ', 1)}\n" for item in args.set),
                          {m: store / m for m in MODELS})
        try:
            for model in MODELS:
                request = frame(model, image)
                for c in (1, 4, 16):
                    r = median_of([h2load(f"{ADDRESS}:8081", c, args.seconds, request)
                                   for _ in range(args.runs)])
                    print(f"| {model} | {batching} | {c} | {r.rps:.1f} | {r.p50_ms:.1f} | "
                          f"{r.p99_ms:.1f} | {r.errors} | {r.rps / ceiling[model]:.0%} |",
                          flush=True)
        finally:
            node.stop()
    print("\nin-process ceilings (calls/s, batch 1, best hint): "
          + ", ".join(f"{m} {v:.1f}" for m, v in ceiling.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
