"""TensorFlow SavedModels, loaded the way TensorFlow Serving loads them.

Graph mode: one `tf.compat.v1.Session` per version, `saved_model.loader.load(sess, ["serve"])`,
every SignatureDef of the MetaGraphDef, run by tensor names through cached C++ callables
(Session::MakeCallable, as TF Serving runs them: no Python-side feed-shape checks, and several
times cheaper per call than `Session.run`).
This serves TF1 and TF2 SavedModels alike. TensorFlow is imported in `load()` only.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from serving.errors import InvalidArgument, ServingError, code_from_number
from serving.runtimes.base import Runtime, Signature, TensorSpec


class TensorFlowRuntime(Runtime):
    format_name = "tensorflow"

    def __init__(self, path: Path, options=None) -> None:
        super().__init__(path, options)
        self._session = None
        self._signatures: dict[str, Signature] = {}
        self._callables: dict[tuple, object] = {}
        self._lock = threading.Lock()  # guards _callables creation only

    @classmethod
    def accepts(cls, path: Path) -> bool:
        return (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file()

    def load(self) -> None:
        import tensorflow as tf

        threads = self.options.threads
        config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
        graph = tf.Graph()
        session = tf.compat.v1.Session(graph=graph, config=config)
        try:
            with graph.as_default():
                meta_graph = tf.compat.v1.saved_model.loader.load(
                    session, [tf.saved_model.SERVING], str(self.path))
        except Exception:
            session.close()
            raise
        self._session = session
        from tensorflow.core.protobuf.config_pb2 import CallableOptions

        self._options = CallableOptions
        self._signatures = {name: _signature(sig) for name, sig in meta_graph.signature_def.items()}

    @property
    def signatures(self) -> dict[str, Signature]:
        return self._signatures

    def predict(self, signature_name: str, inputs: dict[str, np.ndarray],
                output_keys: list[str] | None = None) -> dict[str, np.ndarray]:
        signature = self._signatures[signature_name]
        keys = tuple(output_keys) if output_keys else tuple(sorted(signature.outputs))
        feed_keys = tuple(sorted(inputs))
        run = self._callable(signature, feed_keys, keys)
        try:
            values = run(*(inputs[k] for k in feed_keys))
        except Exception as exc:  # mapped to the client's error code
            raise _as_serving_error(exc) from exc
        return dict(zip(keys, values))

    def _callable(self, signature: Signature, feed_keys: tuple, fetch_keys: tuple):
        key = (id(signature), feed_keys, fetch_keys)
        run = self._callables.get(key)
        if run is None:
            with self._lock:
                run = self._callables.get(key)
                if run is None:
                    run = self._session._make_callable_from_options(self._options(
                        feed=[signature.inputs[k].tensor_name for k in feed_keys],
                        fetch=[signature.outputs[k].tensor_name for k in fetch_keys]))
                    self._callables[key] = run
        return run

    def unload(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        self._callables.clear()


def _spec(info) -> TensorSpec:
    shape = None if info.tensor_shape.unknown_rank else tuple(d.size for d in info.tensor_shape.dim)
    return TensorSpec(tensor_name=info.name, dtype=info.dtype, shape=shape)


def _signature(sig) -> Signature:
    return Signature(method_name=sig.method_name,
                     inputs={k: _spec(v) for k, v in sig.inputs.items()},
                     outputs={k: _spec(v) for k, v in sig.outputs.items()})


def _as_serving_error(exc: Exception) -> ServingError:
    code = getattr(exc, "error_code", None)
    if code is not None:
        return ServingError(getattr(exc, "message", str(exc)), code_from_number(code))
    if isinstance(exc, (ValueError, TypeError)):
        return InvalidArgument(str(exc))
    return ServingError(str(exc))
