"""A TensorFlow Serving gRPC Predict through the forwarded Envoy gRPC port.

grpc_predict.py HOST:PORT MODEL - exits non-zero unless y = 0.5x + 2 comes back.
"""

import sys

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

target, model = sys.argv[1:3]
request = predict_pb2.PredictRequest()
request.model_spec.name = model
request.inputs["x"].CopyFrom(tf.make_tensor_proto([1.0, 2.0, 5.0], dtype=tf.float32))
with grpc.insecure_channel(target) as channel:
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    reply = stub.Predict(request, timeout=30)
got = tf.make_ndarray(next(iter(reply.outputs.values())))
if not np.allclose(got.ravel(), [2.5, 3.0, 4.5]):
    sys.exit(f"gRPC predict: expected [2.5, 3.0, 4.5], got {got}")
print("ok gRPC predict", got.ravel().tolist())
