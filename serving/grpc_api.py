"""gRPC PredictionService and ModelService (tensorflow-serving-api protos) over `DataPlane`.

grpc.aio on the same event loop as REST; each method only converts protos and maps a
`ServingError` to its canonical status code.
"""

from __future__ import annotations

import functools

import grpc
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from serving import proto_convert, tensors
from serving.dataplane import DataPlane, Spec
from serving.errors import InvalidArgument, ServingError, Unimplemented
from serving.examples import serialized_from_input


def _spec(model_spec) -> Spec:
    version = model_spec.version.value if model_spec.HasField("version") else None
    label = model_spec.version_label if model_spec.WhichOneof("version_choice") == \
        "version_label" else None
    return Spec(model_spec.name, version, label or None, model_spec.signature_name)


def _aborts(method):
    """Turn a ServingError into the call's status (code + message), as TF Serving does."""
    @functools.wraps(method)
    async def wrapper(self, request, context):
        try:
            return await method(self, request, context)
        except ServingError as exc:
            await context.abort(exc.code, exc.message)
    return wrapper


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane

    @_aborts
    async def Predict(self, request, context):
        spec = _spec(request.model_spec)

        def decode(signature):
            return {k: tensors.to_ndarray(v) for k, v in request.inputs.items()}

        result = await self.plane.predict(spec, "grpc", decode, list(request.output_filter))
        response = predict_pb2.PredictResponse(
            model_spec=proto_convert.model_spec(spec.name, result))
        for key, value in result.value.items():
            response.outputs[key].CopyFrom(tensors.to_proto(value))
        return response

    @_aborts
    async def Classify(self, request, context):
        spec = _spec(request.model_spec)
        result = await self.plane.classify(spec, "grpc",
                                           lambda: serialized_from_input(request.input))
        response = classification_pb2.ClassificationResponse(
            model_spec=proto_convert.model_spec(spec.name, result))
        for row in result.value:
            classifications = response.result.classifications.add()
            for label, score in row:
                classifications.classes.add(label=label, score=score)
        return response

    @_aborts
    async def Regress(self, request, context):
        spec = _spec(request.model_spec)
        result = await self.plane.regress(spec, "grpc",
                                          lambda: serialized_from_input(request.input))
        response = regression_pb2.RegressionResponse(
            model_spec=proto_convert.model_spec(spec.name, result))
        for value in result.value:
            response.result.regressions.add(value=value)
        return response

    @_aborts
    async def GetModelMetadata(self, request, context):
        fields = list(request.metadata_field)
        if not fields:
            raise InvalidArgument("GetModelMetadataRequest must specify at least one "
                                  "metadata_field")
        for field in fields:
            if field != "signature_def":
                raise InvalidArgument(f"Metadata field {field} is not supported")
        spec = _spec(request.model_spec)
        return proto_convert.metadata_response(spec, self.plane.metadata(spec, "grpc"))

    @_aborts
    async def MultiInference(self, request, context):
        raise Unimplemented("MultiInference is not supported by this server")


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane

    @_aborts
    async def GetModelStatus(self, request, context):
        spec = _spec(request.model_spec)
        response = proto_convert.status_response(self.plane.status(spec, "grpc"))
        assert isinstance(response, get_model_status_pb2.GetModelStatusResponse)
        return response

    @_aborts
    async def HandleReloadConfigRequest(self, request, context):
        raise Unimplemented("Model configuration comes from the appliance's config file; "
                            "edit it and run `appliance apply`")


def add_services(server: grpc.aio.Server, plane: DataPlane) -> None:
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionServicer(plane), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(plane), server)
