"""The one schema of the configuration file: every key's type, default and description.

Everything that reads or documents the file (the parser, `appliance render`, the README's
parameter table, the log browser's config view) derives from `KEYS`; nothing else lists keys.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Callable

# Ports the product keeps for itself: a listener on them would collide with a node's own services.
MODEL_SERVER_GRPC_PORT = 8500
MODEL_SERVER_REST_PORT = 8501
ENVOY_ADMIN_VIEW_PORT = 8001
LOGVIEWER_PORT = 8090
MINIO_PORT = 9000
RESERVED_PORTS = {
    MODEL_SERVER_GRPC_PORT: "the model server's gRPC port",
    MODEL_SERVER_REST_PORT: "the model server's REST port",
    ENVOY_ADMIN_VIEW_PORT: "Envoy's admin view",
    LOGVIEWER_PORT: "the log browser",
    MINIO_PORT: "MinIO on a repo node",
}


class ConfigError(ValueError):
    """A configuration value that is not allowed; the message names key, value and what is allowed."""


@dataclass(frozen=True)
class Type:
    """How one key's text is parsed; `allowed` is shown in errors and in the README."""

    allowed: str
    parse: Callable[[str], Any]


def _int(lo: int, hi: int) -> Type:
    def parse(text: str) -> int:
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError
        value = int(text)
        if not lo <= value <= hi:
            raise ValueError
        return value

    return Type(f"an integer from {lo} to {hi}", parse)


def _float(lo: float, hi: float) -> Type:
    def parse(text: str) -> float:
        value = float(text)
        if not lo <= value <= hi:
            raise ValueError
        return value

    return Type(f"a number from {lo:g} to {hi:g}", parse)


def _port() -> Type:
    base = _int(1, 65535)

    def parse(text: str) -> int:
        value = base.parse(text)
        if value in RESERVED_PORTS:
            raise ValueError
        return value

    reserved = ", ".join(f"{p} ({what})" for p, what in sorted(RESERVED_PORTS.items()))
    return Type(f"a TCP port from 1 to 65535 except {reserved}", parse)


def _bool() -> Type:
    table = {"true": True, "yes": True, "on": True, "1": True,
             "false": False, "no": False, "off": False, "0": False}

    def parse(text: str) -> bool:
        return table[text.lower()]

    return Type("true or false", parse)


def _choice(*values: str) -> Type:
    def parse(text: str) -> str:
        if text not in values:
            raise ValueError
        return text

    return Type("one of " + ", ".join(values), parse)


def _string(pattern: str = r".*", allowed: str = "any text") -> Type:
    def parse(text: str) -> str:
        if not re.fullmatch(pattern, text):
            raise ValueError
        return text

    return Type(allowed, parse)


MODEL_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"


def _model_names() -> Type:
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(n.strip() for n in text.split(",") if n.strip())
        if not names or any(not re.fullmatch(MODEL_NAME, n) for n in names):
            raise ValueError
        if len(set(names)) != len(names):
            raise ValueError
        return names

    return Type("one or more model names separated by commas (letters, digits, _ . -)", parse)


def _versions() -> Type:
    def parse(text: str) -> tuple[int, ...]:
        if not text.strip():
            return ()
        out = tuple(int(v) for v in text.split(","))
        if any(v < 1 for v in out):
            raise ValueError
        return out

    return Type("positive version numbers separated by commas", parse)


def _labels() -> Type:
    def parse(text: str) -> dict[str, int]:
        labels: dict[str, int] = {}
        for item in filter(None, (i.strip() for i in text.split(","))):
            name, _, version = item.partition("=")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name.strip()):
                raise ValueError
            labels[name.strip()] = int(version)
            if labels[name.strip()] < 1:
                raise ValueError
        return labels

    return Type("label=version pairs separated by commas, e.g. stable=1,canary=2", parse)


def _address(auto: bool = False) -> Type:
    def parse(text: str) -> str:
        if auto and text == "auto":
            return text
        return str(ipaddress.IPv4Address(text))

    allowed = "an IPv4 address such as 127.0.0.1 or 10.0.0.5"
    return Type(allowed + (", or auto (detected)" if auto else ""), parse)


def _addresses() -> Type:
    def parse(text: str) -> tuple[str, ...]:
        found = tuple(str(ipaddress.IPv4Address(a.strip())) for a in text.split(",") if a.strip())
        if len(set(found)) != len(found):
            raise ValueError
        return found

    return Type("empty (this node only) or distinct IPv4 addresses separated by commas", parse)


def _drain() -> Type:
    bounded = _float(0, 600)

    def parse(text: str) -> float | str:
        return text if text == "auto" else bounded.parse(text)

    return Type("auto or a number of seconds from 0 to 600", parse)


def _origins() -> Type:
    def parse(text: str) -> tuple[str, ...]:
        origins = tuple(o.strip() for o in text.split(",") if o.strip())
        for origin in origins:
            if origin != "*" and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?", origin):
                raise ValueError
        return origins

    return Type("empty (CORS off), * or origins like https://app.example.com, comma separated", parse)


def _base_path() -> Type:
    def parse(text: str) -> str:
        if text and not (text.startswith("/") or re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{2,62}(/.*)?", text)):
            raise ValueError
        return text.rstrip("/") if text not in ("", "/") else text

    return Type("empty (the node's model store), an absolute directory, or s3://bucket[/prefix]", parse)


@dataclass(frozen=True)
class Key:
    name: str
    type: Type
    default: str
    description: str
    secret: bool = False
    per_model: bool = False  # may also be given as model.<name>.<rest of the key>


KEYS: tuple[Key, ...] = (
    Key("model.name", _model_names(), "saved_model_half_plus_two_mkl",
        "Models to serve, comma separated: each is a folder <model.base.path>/<name>/<version>/."),
    Key("model.base.path", _base_path(), "",
        "Where the models live. Empty: the node's model store (/data/models on the image)."),
    Key("model.version.policy", _choice("latest", "all", "specific"), "latest",
        "Which versions to serve: the newest N, all of them, or those in model.versions.",
        per_model=True),
    Key("model.version.latest", _int(1, 100), "1",
        "N for the latest policy: how many of the newest versions to serve.", per_model=True),
    Key("model.versions", _versions(), "",
        "Versions to serve under the specific policy, comma separated.", per_model=True),
    Key("model.version.labels", _labels(), "",
        "Version labels for /labels/<label> routes, e.g. stable=1,canary=2.", per_model=True),
    Key("model.batching", _bool(), "true",
        "Merge concurrent requests into one runtime call, for signatures whose inputs and "
        "outputs all have a dynamic first dimension (others never batch).", per_model=True),
    Key("model.batching.max.size", _int(1, 4096), "64",
        "Most rows (sum of first dimensions) in one batched runtime call.", per_model=True),
    Key("model.batching.timeout.micros", _int(0, 1_000_000), "0",
        "How long a partial batch waits for more requests; 0 takes what is queued at once "
        "and adds no latency.", per_model=True),
    Key("model.batching.threads", _int(1, 64), "2",
        "Batched runtime calls in flight at once per model version (OpenVINO runs them on "
        "separate streams).", per_model=True),
    Key("model.batching.max.queued", _int(1, 100_000), "100",
        "Batches allowed to wait; past this a request gets RESOURCE_EXHAUSTED (429).",
        per_model=True),
    Key("model.poll.seconds", _float(0.2, 3600), "2",
        "How often the model store is checked for new or removed versions."),
    Key("serving.threads", _int(1, 256), "2",
        "Runtime calls the model server runs at once (its inference thread pool)."),
    Key("serving.framework.threads", _int(0, 256), "1",
        "Threads each TensorFlow call may use; 0: all cores. 1 is fastest for small models "
        "on few cores, where parallelism comes from serving.threads."),
    Key("onnx.runtime", _choice("openvino", "onnxruntime"), "openvino",
        "Engine for *.onnx models; OpenVINO measured 2x faster here (README, runtime benchmark)."),
    Key("onnxruntime.threads", _int(0, 256), "0",
        "ONNX Runtime intra-op threads per call; 0: serving.framework.threads."),
    Key("openvino.hint", _choice("throughput", "latency"), "throughput",
        "OpenVINO performance hint: throughput runs several requests side by side."),
    Key("openvino.streams", _int(0, 256), "0",
        "OpenVINO streams under the throughput hint; 0: OpenVINO picks for the cores."),
    Key("openvino.precision", _choice("default", "f32", "bf16", "f16"), "default",
        "OpenVINO inference precision; default is the CPU's (bf16 where it has it)."),
    Key("envoy.workers", _int(0, 64), "0",
        "Envoy worker threads; 0: one per core, Envoy's own default (on 2 cores it measured "
        "faster than 1 worker, README benchmark)."),
    Key("http.port", _port(), "8080", "Envoy's REST listener, on every node."),
    Key("grpc.port", _port(), "8081", "Envoy's gRPC listener, on every node."),
    Key("node.address", _address(auto=True), "127.0.0.1",
        "The address this node's listeners bind to and peers reach it at; auto: the one of "
        "this machine's addresses listed in serving.nodes, else its first non-loopback address."),
    Key("node.role", _choice("serving", "modelrepo"), "serving",
        "serving: Envoy and a model server; modelrepo: Envoy, the log browser and MinIO, no "
        "model server."),
    Key("serving.nodes", _addresses(), "",
        "Addresses of every serving node of the cluster; Envoy on every node balances over "
        "them. Empty: this node alone. The same file can be copied to every node."),
    Key("lb.policy", _choice("round_robin", "least_request", "random"), "least_request",
        "How Envoy spreads requests over the serving nodes."),
    Key("health.interval.seconds", _float(0.2, 60), "1",
        "How often Envoy checks each serving node's /health."),
    Key("drain.seconds", _drain(), "auto",
        "On stop or drain: how long a serving node keeps answering while failing its health "
        "check, so peers stop sending to it; auto: 3 health intervals in a cluster, 0 alone."),
    Key("enable.access.log", _bool(), "true",
        "Write Envoy's access log (envoy.log): one line per request naming the backend."),
    Key("max.request.mb", _int(1, 1024), "32",
        "Largest request body accepted, in MiB; larger ones get a JSON 413."),
    Key("request.timeout.seconds", _float(0.1, 3600), "30",
        "How long Envoy waits for a model server's answer before a 504."),
    Key("cors.allowed.origins", _origins(), "",
        "Browser origins allowed to call the REST API (CORS); empty turns CORS off."),
    Key("log.level", _choice("debug", "info", "warning", "error"), "info",
        "Log level of the model server and the appliance's own processes."),
    Key("s3.type", _choice("none", "minio", "s3"), "none",
        "Model store: none (local disk), minio (the repo node), s3 (any S3-compatible bucket)."),
    Key("s3.access.key", _string(r"\S*", "text without spaces"), "",
        "S3 access key.", secret=True),
    Key("s3.secret.key", _string(r"\S*", "text without spaces"), "",
        "S3 secret key.", secret=True),
    Key("s3.endpoint", _string(r"|[A-Za-z0-9][A-Za-z0-9.-]*(:\d{1,5})?", "empty or host[:port]"),
        "", "S3 endpoint host:port; empty: s3.amazonaws.com for s3, required for minio "
        "(the repo node's address:9000)."),
    Key("s3.region", _string(r"[a-z0-9-]*", "empty or a region name such as us-east-1"), "",
        "S3 region; empty: us-east-1."),
    Key("s3.tls", _choice("auto", "true", "false"), "auto",
        "HTTPS to the S3 endpoint; auto: on for s3, off for minio (plain MinIO)."),
    Key("s3.tls.verify", _bool(), "true",
        "Verify the S3 endpoint's TLS certificate (turn off only for self-signed test setups)."),
    Key("minio.binary", _string(r"|/\S+", "empty or an absolute path"), "",
        "The MinIO server binary on a repo node; empty: found on PATH."),
    Key("s3.sync.mib.per.second", _float(0, 100000), "10",
        "Cap on a serving node's model download rate in MiB/s (0: none). At 10, a sync raised "
        "p99 of the model serving by 7% on 2 cores; unlimited, by 80% (README)."),
    Key("logviewer.password", _string(r"|(scrypt|pbkdf2):\S+\$\S+\$[0-9a-f]+",
                                      "empty (no login) or a hash from "
                                      "'python -m logviewer hash-password'"), "",
        "Password hash for the log browser on port 8090; empty leaves it open.", secret=True),
    Key("logviewer.tail.lines", _int(10, 10000), "500",
        "How many of a log's last lines the log browser shows when a log is opened."),
)

KEYS_BY_NAME: dict[str, Key] = {k.name: k for k in KEYS}
