"""In-process runtime ceilings: ResNet-50 (random weights) at batch 1 in OpenVINO IR and ONNX,
per engine and precision, and PMML predict for a small regression and a tree model.

    .venv/bin/python benchmarks/runtime_bench.py [--seconds 3] [--runs 3] [--work DIR]

Builds ResNet-50 with torch (extra `build-models`; torchvision is not usable beside the CPU
torch here, so the network is written out below), exports ONNX and OpenVINO IR into --work once,
then times each case in a tight loop through the project's own runtime classes and prints the
median of --runs runs as JSON lines. It is the ceiling the server's throughput is compared to.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def resnet50():
    """torchvision's ResNet-50 v1.5 layout, random weights (speed only)."""
    from torch import nn

    class Bottleneck(nn.Module):
        def __init__(self, cin, width, stride):
            super().__init__()
            cout = width * 4
            self.body = nn.Sequential(
                nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True),
                nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width),
                nn.ReLU(True), nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout))
            self.skip = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            self.relu = nn.ReLU(True)

        def forward(self, x):
            return self.relu(self.body(x) + self.skip(x))

    layers, cin = [], 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(blocks):
            layers.append(Bottleneck(cin, width, stride if i == 0 else 1))
            cin = width * 4
    return nn.Sequential(
        nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
        nn.MaxPool2d(3, 2, 1), *layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(2048, 1000)).eval()


def build(work: Path) -> tuple[Path, Path]:
    """ResNet-50 as work/onnx/1/model.onnx and work/ir/1/model.xml (f32 weights), once."""
    onnx_dir, ir_dir = work / "onnx" / "1", work / "ir" / "1"
    if not (onnx_dir / "model.onnx").is_file():
        import openvino as ov
        import torch

        torch.manual_seed(0)
        onnx_dir.mkdir(parents=True, exist_ok=True)
        ir_dir.mkdir(parents=True, exist_ok=True)
        torch.onnx.export(resnet50(), (torch.zeros(1, 3, 224, 224),),
                          str(onnx_dir / "model.onnx"), input_names=["images"],
                          output_names=["logits"], opset_version=17, dynamo=False,
                          dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
        ov.save_model(ov.convert_model(str(onnx_dir / "model.onnx")), str(ir_dir / "model.xml"),
                      compress_to_fp16=False)
    return onnx_dir, ir_dir


def tight_loop(runtime, inputs: dict, seconds: float) -> dict:
    """Calls per second and p50/p99 latency (ms) of back-to-back predicts."""
    runtime.predict("serving_default", inputs)  # warm-up
    latencies, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        started = time.perf_counter()
        runtime.predict("serving_default", inputs)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    return {"per_s": len(latencies) / sum(latencies), "p50_ms": 1e3 * latencies[len(latencies) // 2],
            "p99_ms": 1e3 * latencies[int(len(latencies) * 0.99)]}


def median_of(runs: int, measure) -> dict:
    results = [measure() for _ in range(runs)]
    return {k: round(statistics.median(r[k] for r in results), 2) for k in results[0]}


def resnet_cases(onnx_dir: Path, ir_dir: Path):
    from serving.runtimes.base import RuntimeOptions
    from serving.runtimes.onnx import ONNXRuntime
    from serving.runtimes.openvino import OpenVINORuntime

    latency = {"openvino_hint": "LATENCY"}  # one request at a time: all cores on it
    yield "openvino-ir", "default(bf16)", OpenVINORuntime(ir_dir, RuntimeOptions(**latency))
    yield "openvino-ir", "f32", OpenVINORuntime(
        ir_dir, RuntimeOptions(openvino_precision="f32", **latency))
    yield "onnx@onnxruntime", "f32", ONNXRuntime(onnx_dir, RuntimeOptions(onnx_runtime="onnxruntime"))
    yield "onnx@openvino", "default(bf16)", ONNXRuntime(
        onnx_dir, RuntimeOptions(onnx_runtime="openvino", **latency))
    yield "onnx@openvino", "f32", ONNXRuntime(
        onnx_dir, RuntimeOptions(onnx_runtime="openvino", openvino_precision="f32", **latency))


def pmml_cases():
    from serving.runtimes.pmml import PMMLRuntime

    models = REPO / "tests" / "runtimes" / "models"
    rng = np.random.default_rng(0)
    for name, make in (("pmml_regression", lambda n: {"x1": rng.random(n), "x2": rng.random(n)}),
                       ("pmml_tree", lambda n: {"x1": rng.random(n), "color": np.array(
                           [b"red"] * n, dtype=object)})):
        for rows in (1, 100):
            yield name, rows, PMMLRuntime(models / name / "1"), make(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one run")
    parser.add_argument("--runs", type=int, default=3, help="runs per case; the median is shown")
    parser.add_argument("--work", type=Path, default=Path("/tmp/runtime_bench"))
    parser.add_argument("--only", choices=("resnet", "pmml"), default=None)
    args = parser.parse_args()
    images = {"images": np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)}
    if args.only != "pmml":
        for engine, precision, runtime in resnet_cases(*build(args.work)):
            runtime.load()
            result = median_of(args.runs, lambda r=runtime: tight_loop(r, images, args.seconds))
            runtime.unload()
            print(json.dumps({"model": "resnet50", "batch": 1, "engine": engine,
                              "precision": precision, **result}), flush=True)
    if args.only != "resnet":
        for name, rows, runtime, inputs in pmml_cases():
            runtime.load()
            result = median_of(args.runs, lambda r=runtime, i=inputs: tight_loop(
                r, i, args.seconds))
            runtime.unload()
            print(json.dumps({"model": name, "rows_per_call": rows, **result,
                              "rows_per_s": round(result["per_s"] * rows, 1)}), flush=True)


if __name__ == "__main__":
    main()
