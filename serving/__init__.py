"""A TensorFlow-Serving-compatible model server: one data plane behind REST and gRPC adapters."""
