"""Row and columnar REST bodies through the core's JSON codec, straight into a runtime."""

from __future__ import annotations

import json

from serving import rest_json
from serving.proto_convert import signature_def


def rest_predict(runtime, doc: dict) -> dict:
    """Decode `doc` as the REST API does, run the runtime, encode the answer as REST does."""
    signature = runtime.signatures["serving_default"]
    inputs, fmt = rest_json.predict_inputs(doc, signature)
    outputs = runtime.predict("serving_default", inputs, None)
    return json.loads(rest_json.predict_response(outputs, fmt))


def signature_json(runtime) -> dict:
    """The signature as TensorFlow Serving's metadata shows it (proto JSON)."""
    from google.protobuf import json_format

    return json_format.MessageToDict(signature_def(runtime.signatures["serving_default"]),
                                     preserving_proto_field_name=True)
