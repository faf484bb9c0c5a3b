"""Request counters and latency histograms, rendered as Prometheus text.

Updated on the event loop only (both transports run there), so no locking is needed.
Names follow TensorFlow Serving's `:tensorflow:serving:` metrics in spirit, with the labels
model, version, api (predict|classify|regress|metadata|status) and protocol (rest|grpc).
"""

from __future__ import annotations

import bisect
from collections import defaultdict

BUCKETS_US = (100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
              1000000, 2500000, 5000000, 10000000)


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple, int] = defaultdict(int)
        self.errors: dict[tuple, int] = defaultdict(int)
        self.latency: dict[tuple, list] = {}  # labels -> [bucket counts..., sum, count]

    def observe(self, model: str, version: str, api: str, protocol: str, seconds: float,
                error_code: str | None = None) -> None:
        labels = (model, version, api, protocol)
        self.requests[labels] += 1
        if error_code is not None:
            self.errors[labels + (error_code,)] += 1
        hist = self.latency.get(labels)
        if hist is None:
            hist = self.latency[labels] = [0] * (len(BUCKETS_US) + 2)
        micros = seconds * 1e6
        hist[bisect.bisect_left(BUCKETS_US, micros)] += 1
        hist[-2] += micros
        hist[-1] += 1

    def render(self, model_states: dict[tuple[str, str], int]) -> str:
        """Prometheus text exposition format 0.0.4."""
        out = ["# HELP serving_requests_total Requests by model, version, API and protocol.",
               "# TYPE serving_requests_total counter"]
        out += [f"serving_requests_total{{{_labels(k)}}} {v}" for k, v in self.requests.items()]
        out += ["# HELP serving_request_errors_total Failed requests by canonical error code.",
                "# TYPE serving_request_errors_total counter"]
        out += [f"serving_request_errors_total{{{_labels(k[:4])},code=\"{k[4]}\"}} {v}"
                for k, v in self.errors.items()]
        out += ["# HELP serving_request_latency_microseconds Request latency inside the server.",
                "# TYPE serving_request_latency_microseconds histogram"]
        for key, hist in self.latency.items():
            labels = _labels(key)
            running = 0
            for bound, count in zip(BUCKETS_US, hist):
                running += count
                out.append(f'serving_request_latency_microseconds_bucket{{{labels},le="{bound}"}}'
                           f" {running}")
            out.append(f'serving_request_latency_microseconds_bucket{{{labels},le="+Inf"}} '
                       f"{hist[-1]}")
            out.append(f"serving_request_latency_microseconds_sum{{{labels}}} {hist[-2]:.1f}")
            out.append(f"serving_request_latency_microseconds_count{{{labels}}} {hist[-1]}")
        out += [("# HELP serving_model_version_state Lifecycle state of each model version "
                "(ModelVersionStatus.State number: 30 AVAILABLE)."),
                "# TYPE serving_model_version_state gauge"]
        out += [f'serving_model_version_state{{model="{_esc(m)}",version="{v}"}} {state}'
                for (m, v), state in sorted(model_states.items())]
        return "\n".join(out) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(key: tuple) -> str:
    model, version, api, protocol = key
    return (f'model="{_esc(model)}",version="{_esc(version)}",api="{api}",'
            f'protocol="{protocol}"')
