"""What this node's model server says about its models (REST on node.address:8501).

Shapes are TensorFlow Serving's: `GET /v1/models/<m>` gives `model_version_status`, and
`.../versions/<v>/metadata` gives `metadata.signature_def.signature_def`. Unknown extra fields are
ignored, so a newer server does not break the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from appliance.schema import MODEL_SERVER_REST_PORT
from logviewer.upstream import HTTPStatus, Unreachable


def base_url(settings) -> str:
    return f"http://{settings['node.address']}:{MODEL_SERVER_REST_PORT}"


@dataclass(frozen=True)
class VersionState:
    state: str  # START, LOADING, AVAILABLE, UNLOADING, END, or "not served"
    error: str


def _error_text(body) -> str:
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])
    return ""


def model_status(fetch, base: str, model: str) -> dict[int, VersionState]:
    """Load state and error of each version the server knows; {} for a model it does not know.

    Raises Unreachable when the server does not answer at all.
    """
    try:
        body = fetch(f"{base}/v1/models/{quote(model, safe='')}")
    except HTTPStatus as exc:
        if exc.status == 404:
            return {}
        raise
    states = {}
    for item in body.get("model_version_status", []) if isinstance(body, dict) else []:
        try:
            number = int(item.get("version"))
        except (TypeError, ValueError):
            continue
        status = item.get("status") or {}
        error = status.get("error_message") or ""
        if status.get("error_code") not in (None, "OK") and not error:
            error = status["error_code"]
        states[number] = VersionState(str(item.get("state", "UNKNOWN")), error)
    return states


def server_models(fetch, base: str) -> list[str]:
    """Names of every model the server lists under /v1/models (an extension; [] if absent)."""
    try:
        body = fetch(f"{base}/v1/models")
    except HTTPStatus:
        return []
    items = body.get("models", []) if isinstance(body, dict) else body
    names = []
    for item in items if isinstance(items, list) else []:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str):
            names.append(name)
    return names


@dataclass(frozen=True)
class Tensor:
    name: str
    dtype: str
    shape: str  # e.g. "(?, 224, 224, 3)", "unknown rank"
    tensor: str  # the graph tensor name, e.g. "x:0"


@dataclass(frozen=True)
class Signature:
    name: str
    method: str
    inputs: list[Tensor]
    outputs: list[Tensor]


def _shape(info: dict) -> str:
    shape = info.get("tensor_shape") or {}
    if shape.get("unknown_rank"):
        return "unknown rank"
    dims = []
    for dim in shape.get("dim", []):
        size = str(dim.get("size", "-1"))
        dims.append("?" if size == "-1" else size)
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _tensors(mapping: dict) -> list[Tensor]:
    return [Tensor(key, str(info.get("dtype", "")).removeprefix("DT_").lower(), _shape(info),
                   str(info.get("name", ""))) for key, info in sorted(mapping.items())]


def signatures(body) -> list[Signature]:
    """Signatures of a metadata answer, readable: dtype names, shapes with ? for any size."""
    defs = (body or {}).get("metadata", {}).get("signature_def", {}).get("signature_def", {})
    return [Signature(name, str(sig.get("method_name", "")), _tensors(sig.get("inputs", {})),
                      _tensors(sig.get("outputs", {})))
            for name, sig in sorted(defs.items()) if isinstance(sig, dict)]


def metadata(fetch, base: str, model: str, version: int) -> list[Signature]:
    """A version's signatures; raises Unreachable (or HTTPStatus with the server's error)."""
    url = f"{base}/v1/models/{quote(model, safe='')}/versions/{version}/metadata"
    return signatures(fetch(url))


__all__ = ["HTTPStatus", "Unreachable", "base_url", "metadata", "model_status", "server_models"]
