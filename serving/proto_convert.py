"""Data-plane results as tensorflow_serving.apis protos (gRPC answers, and REST proto-JSON)."""

from __future__ import annotations

from tensorflow.core.framework import tensor_shape_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_pb2

from serving.dataplane import Result, Spec
from serving.errors import TF_CODE_NUMBER, Code
from serving.runtimes.base import Signature, TensorSpec
from serving.servable import Servable


def model_spec(name: str, result: Result) -> model_pb2.ModelSpec:
    spec = model_pb2.ModelSpec(name=name, signature_name=result.signature_name)
    spec.version.value = result.version
    return spec


def _tensor_info(spec: TensorSpec) -> meta_graph_pb2.TensorInfo:
    shape = tensor_shape_pb2.TensorShapeProto(unknown_rank=spec.shape is None)
    for size in spec.shape or ():
        shape.dim.add(size=size)
    return meta_graph_pb2.TensorInfo(name=spec.tensor_name, dtype=spec.dtype, tensor_shape=shape)


def signature_def(signature: Signature) -> meta_graph_pb2.SignatureDef:
    proto = meta_graph_pb2.SignatureDef(method_name=signature.method_name)
    for key, spec in signature.inputs.items():
        proto.inputs[key].CopyFrom(_tensor_info(spec))
    for key, spec in signature.outputs.items():
        proto.outputs[key].CopyFrom(_tensor_info(spec))
    return proto


def metadata_response(spec: Spec, result: Result) -> get_model_metadata_pb2.GetModelMetadataResponse:
    response = get_model_metadata_pb2.GetModelMetadataResponse(
        model_spec=model_spec(spec.name, result))
    sigmap = get_model_metadata_pb2.SignatureDefMap()
    for name, signature in result.value.items():
        sigmap.signature_def[name].CopyFrom(signature_def(signature))
    response.metadata["signature_def"].Pack(sigmap)
    return response


def status_response(servables: list[Servable]) -> get_model_status_pb2.GetModelStatusResponse:
    response = get_model_status_pb2.GetModelStatusResponse()
    for servable in servables:
        status = response.model_version_status.add(version=servable.version,
                                                   state=int(servable.state))
        code = servable.error.code if servable.error else Code.OK
        status.status.error_code = TF_CODE_NUMBER[code]
        status.status.error_message = servable.error.message if servable.error else ""
    return response
