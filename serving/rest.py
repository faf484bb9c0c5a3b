"""The REST surface as one route table, translating HTTP to `DataPlane` calls.

Paths and their regular expressions are TensorFlow Serving's (http_rest_api_handler.cc),
plus the appliance's /health, /v1/models listing and Prometheus metrics.
"""

from __future__ import annotations

import json
import re

import orjson
from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2

from serving import rest_json
from serving.dataplane import DataPlane, Spec
from serving.errors import InvalidArgument, NotFound, ServingError
from serving.examples import serialized_from_json
from serving.proto_convert import metadata_response, status_response

JSON = ("Content-Type", "application/json")
_VERSION = r"(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?"
PREDICT_PATH = re.compile(r"(?i)/v1/models/([^/:]+)" + _VERSION + r":(classify|regress|predict)")
MODEL_PATH = re.compile(r"(?i)/v1/models(?:/([^/:]+))?" + _VERSION + r"(?:/(metadata))?")
JSON_OPTS = {"preserving_proto_field_name": True, "always_print_fields_with_no_presence": True,
                 "indent": 1}


class RestApi:
    def __init__(self, plane: DataPlane, cors_origins: tuple[str, ...] = ()) -> None:
        self.plane = plane
        self.cors_origins = cors_origins

    async def handle(self, method: str, target: str, headers: dict, body: bytes):
        path = target.split("?", 1)[0]
        cors = self._cors(headers.get("origin"))
        if method == "OPTIONS" and cors:
            return 204, cors + [("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                                ("Access-Control-Allow-Headers", "Content-Type"),
                                ("Access-Control-Max-Age", "600")], b""
        try:
            status, payload = await self._route(method, path, body)
            extra = [("Content-Type", "text/plain; version=0.0.4")] if path.startswith(
                "/monitoring/") else [JSON]
        except ServingError as exc:
            status, payload, extra = exc.http_status, rest_json.error_body(exc.message), [JSON]
        return status, extra + cors, payload

    def _cors(self, origin: str | None) -> list:
        if not origin or not self.cors_origins:
            return []
        if "*" in self.cors_origins:
            return [("Access-Control-Allow-Origin", "*")]
        if origin in self.cors_origins:
            return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        return []

    async def _route(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if method == "POST" and (m := PREDICT_PATH.fullmatch(path)):
            name, version, label, verb = m.groups()
            spec = Spec(name, int(version) if version else None, label)
            return 200, await getattr(self, "_" + verb.lower())(spec, body)
        if method == "GET":
            if path == "/health":
                ok, report = self.plane.health()
                return (200 if ok else 503), orjson.dumps(report)
            if path == "/monitoring/prometheus/metrics":
                return 200, self.plane.metrics.render(self.plane.model_states()).encode()
            if m := MODEL_PATH.fullmatch(path):
                name, version, label, metadata = m.groups()
                if not name:
                    return 200, orjson.dumps(self.plane.models())
                spec = Spec(name, int(version) if version else None, label)
                return 200, self._metadata(spec) if metadata else self._status(spec)
        if path.lower().startswith("/v1/"):
            raise InvalidArgument(f"Malformed request: {method} {path}")
        raise NotFound(f"Not found: {method} {path}")

    async def _predict(self, spec: Spec, body: bytes) -> bytes:
        doc = rest_json.parse(body)
        spec = Spec(spec.name, spec.version, spec.label, rest_json.signature_name(doc))
        fmt = []

        def decode(signature):
            inputs, kind = rest_json.predict_inputs(doc, signature)
            fmt.append(kind)
            return inputs

        result = await self.plane.predict(spec, "rest", decode)
        return rest_json.predict_response(result.value, fmt[0])

    async def _classify(self, spec: Spec, body: bytes) -> bytes:
        doc = rest_json.parse(body)
        spec = Spec(spec.name, spec.version, spec.label, rest_json.signature_name(doc))
        result = await self.plane.classify(spec, "rest", lambda: serialized_from_json(doc))
        return rest_json.classify_response(result.value)

    async def _regress(self, spec: Spec, body: bytes) -> bytes:
        doc = rest_json.parse(body)
        spec = Spec(spec.name, spec.version, spec.label, rest_json.signature_name(doc))
        result = await self.plane.regress(spec, "rest", lambda: serialized_from_json(doc))
        return rest_json.regress_response(result.value)

    def _status(self, spec: Spec) -> bytes:
        response = status_response(self.plane.status(spec, "rest"))
        return json_format.MessageToJson(response, **JSON_OPTS).encode() + b"\n"

    def _metadata(self, spec: Spec) -> bytes:
        response = metadata_response(spec, self.plane.metadata(spec, "rest"))
        sigmap = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(sigmap)
        doc = {"model_spec": json.loads(json_format.MessageToJson(response.model_spec,
                                                                 **JSON_OPTS)),
               "metadata": {"signature_def": json.loads(json_format.MessageToJson(sigmap,
                                                                                 **JSON_OPTS))}}
        return json.dumps(doc, indent=1).encode() + b"\n"

