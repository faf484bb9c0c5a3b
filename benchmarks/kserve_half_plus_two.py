"""KServe's Python model server (V1 protocol) serving half_plus_two with this project's own
TensorFlow runtime: the comparison point of serving_bench.py. Run with a Python that has
kserve installed and this repository on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import kserve
import numpy as np

from serving.runtimes.tensorflow import TensorFlowRuntime


class HalfPlusTwo(kserve.Model):
    def __init__(self, name: str, model_dir: Path) -> None:
        super().__init__(name)
        self.runtime = TensorFlowRuntime(model_dir)
        self.load()

    def load(self) -> bool:
        self.runtime.load()
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None):
        if isinstance(payload, (bytes, bytearray)):  # KServe hands over the raw body
            payload = json.loads(payload)
        x = np.asarray(payload["instances"], np.float32).reshape(-1, 1)
        y = self.runtime.predict("serving_default", {"x": x})["y"]
        return {"predictions": y.reshape(-1).tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--address", default="127.0.0.72")
    parser.add_argument("--http-port", type=int, default=8088)
    args = parser.parse_args()
    server = kserve.ModelServer(http_port=args.http_port, workers=1, enable_grpc=False)
    server.start([HalfPlusTwo("half_plus_two", args.model_dir)])


if __name__ == "__main__":
    main()
