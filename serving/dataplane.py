"""The one data plane: lookup, version resolution, validation, inference, status, metadata.

REST and gRPC only translate wire formats into calls on `DataPlane` and results back. Every
method runs on the event loop; runtime calls go to the executor (batched where allowed), and
every request is counted in `Metrics` under its transport's protocol name.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from serving.batching import Batcher, batchable, rows_of
from serving.config import ServerConfig
from serving.errors import FailedPrecondition, InvalidArgument, NotFound, ServingError
from serving.manager import Manager
from serving.metrics import Metrics
from serving.runtimes.base import CLASSIFY_METHOD, REGRESS_METHOD, Signature
from serving.servable import Servable, State
from serving.tensors import dtype_name, numpy_dtype, tf_dtype

DEFAULT_SIGNATURE = "serving_default"


@dataclass(frozen=True)
class Spec:
    """What a request names: TensorFlow Serving's ModelSpec."""

    name: str
    version: int | None = None
    label: str | None = None
    signature_name: str = ""


@dataclass
class Result:
    version: int
    signature_name: str
    value: object  # outputs dict, classification lists or regression values


class DataPlane:
    def __init__(self, config: ServerConfig, manager: Manager, executor, metrics: Metrics) -> None:
        self.config = config
        self.manager = manager
        self.executor = executor
        self.metrics = metrics
        self.draining = False

    @contextmanager
    def _request(self, api: str, protocol: str, spec: Spec):
        """Count and time one request; yields a dict the handler puts "version" into."""
        started = time.perf_counter()
        seen = {"version": ""}
        try:
            yield seen
        except ServingError as exc:
            self.metrics.observe(spec.name, seen["version"], api, protocol,
                                 time.perf_counter() - started, exc.code.name)
            raise
        self.metrics.observe(spec.name, seen["version"], api, protocol,
                             time.perf_counter() - started)

    @contextmanager
    def _servable(self, spec: Spec, seen: dict):
        servable = self.manager.resolve(spec.name, spec.version, spec.label)
        seen["version"] = str(servable.version)
        try:
            yield servable
        finally:
            servable.release()

    def _signature(self, servable: Servable, spec: Spec, protocol: str) -> tuple[str, Signature]:
        name = spec.signature_name or DEFAULT_SIGNATURE
        signature = servable.runtime.signatures.get(name)
        if signature is None:
            if protocol == "rest":
                raise InvalidArgument(f'Serving signature name: "{name}" not found in signature def')
            raise FailedPrecondition(f'Serving signature key "{name}" not found.')
        return name, signature

    # ---- inference ----------------------------------------------------------------------

    async def predict(self, spec: Spec, protocol: str, decode: Callable[[Signature], dict],
                      output_filter: list[str] | None = None) -> Result:
        with self._request("predict", protocol, spec) as seen, self._servable(spec, seen) as s:
            name, signature = self._signature(s, spec, protocol)
            inputs = decode(signature)
            _check_inputs(spec.name, signature, inputs)
            keys = _check_output_filter(signature, output_filter)
            outputs = await self._run(s, name, signature, inputs, keys)
            return Result(s.version, name, outputs)

    async def classify(self, spec: Spec, protocol: str, decode: Callable[[], np.ndarray]) -> Result:
        with self._request("classify", protocol, spec) as seen, self._servable(spec, seen) as s:
            name, signature = self._signature(s, spec, protocol)
            if signature.method_name != CLASSIFY_METHOD:
                raise InvalidArgument("Expected classification signature method_name to be "
                                      f"{CLASSIFY_METHOD}. Was: {signature.method_name}")
            examples = decode()
            outputs = await self._run(s, name, signature, _example_inputs(signature, examples),
                                      None)
            return Result(s.version, name, _classifications(outputs, len(examples)))

    async def regress(self, spec: Spec, protocol: str, decode: Callable[[], np.ndarray]) -> Result:
        with self._request("regress", protocol, spec) as seen, self._servable(spec, seen) as s:
            name, signature = self._signature(s, spec, protocol)
            if signature.method_name != REGRESS_METHOD:
                raise InvalidArgument("Expected regression signature method_name to be "
                                      f"{REGRESS_METHOD}. Was: {signature.method_name}")
            if "outputs" not in signature.outputs:
                raise InvalidArgument("No regression outputs found in signature: outputs")
            examples = decode()
            outputs = await self._run(s, name, signature, _example_inputs(signature, examples),
                                      ["outputs"])
            return Result(s.version, name, _regressions(outputs["outputs"], len(examples)))

    async def _run(self, servable: Servable, name: str, signature: Signature,
                   inputs: dict, keys: list | None) -> dict[str, np.ndarray]:
        runtime = servable.runtime
        batching = self.config.batching_for(self.manager.configs[servable.model])
        rows = rows_of(inputs)
        if batching.enabled and rows is not None and batchable(signature):
            batcher = servable.batchers.get(name)
            if batcher is None:
                batcher = servable.batchers[name] = Batcher(
                    lambda i, k: runtime.predict(name, i, k), batching, self.executor)
            return await batcher.submit(inputs, keys, rows)
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(
            self.executor, runtime.predict, name, inputs, keys)

    # ---- model information -----------------------------------------------------------------

    def metadata(self, spec: Spec, protocol: str) -> Result:
        with self._request("metadata", protocol, spec) as seen, self._servable(spec, seen) as s:
            return Result(s.version, "", dict(s.runtime.signatures))

    def status(self, spec: Spec, protocol: str) -> list[Servable]:
        """GetModelStatusImpl: every version known (one when asked for one), newest first."""
        with self._request("status", protocol, spec):
            version = spec.version
            if spec.label is not None:
                labels = self.manager.configs.get(spec.name)
                if labels is None or spec.label not in labels.version_labels:
                    raise InvalidArgument(f"Unrecognized servable version label: {spec.label}")
                version = labels.version_labels[spec.label]
            versions = self.manager.versions(spec.name)
            if not versions:
                raise NotFound(f"Could not find any versions of model {spec.name}")
            if version is not None:
                versions = [s for s in versions if s.version == version]
                if not versions:
                    raise NotFound(f"Could not find version {version} of model {spec.name}")
            return versions

    def health(self) -> tuple[bool, dict]:
        models = {}
        for name in self.manager.configs:
            versions = self.manager.versions(name)
            available = sorted(s.version for s in versions if s.state == State.AVAILABLE)
            errors = [f"version {s.version}: {s.error.message}" for s in versions if s.error]
            state = "AVAILABLE" if available else (
                versions[0].state.name if versions else "NO_VERSIONS")
            models[name] = {"available": available, "state": state,
                            "error": "; ".join(errors) or None}
        ok = all(m["available"] for m in models.values())
        status = "draining" if self.draining else ("ok" if ok else "unavailable")
        report = {"status": status, "models": models}
        if self.config.store_status_file:
            report["model_store"] = _store_state(self.config.store_status_file)
        return status == "ok", report

    def models(self) -> dict:
        return {"models": [
            {"name": name, "base_path": str(self.manager.configs[name].base_path),
             "versions": [{"version": str(s.version), "state": s.state.name,
                           "format": s.runtime.format_name if s.runtime else None,
                           "error": s.error.message if s.error else None}
                          for s in self.manager.versions(name)]}
            for name in self.manager.configs]}

    def model_states(self) -> dict[tuple[str, str], int]:
        return {(name, str(s.version)): int(s.state)
                for name in self.manager.configs for s in self.manager.versions(name)}


def _store_state(path: str) -> str:
    from modelrepo import status

    return status.describe(status.read(Path(path)))


def _check_inputs(model: str, signature: Signature, inputs: dict[str, np.ndarray]) -> None:
    expected, sent = set(signature.inputs), set(inputs)
    if expected != sent:
        raise InvalidArgument(
            f"Request inputs do not match required inputs for model `{model}`. Send extra: "
            f"{{{','.join(sorted(sent - expected))}}}. Missing but required: "
            f"{{{','.join(sorted(expected - sent))}}}.")
    for i, key in enumerate(sorted(inputs)):
        want = signature.inputs[key].dtype
        if tf_dtype(inputs[key]) != want:
            raise InvalidArgument(f"Expects arg[{i}] to be {dtype_name(want)} but "
                                  f"{dtype_name(tf_dtype(inputs[key]))} is provided")
        if inputs[key].dtype != numpy_dtype(want):
            inputs[key] = inputs[key].astype(numpy_dtype(want))
        _check_shape(key, inputs[key].shape, signature.inputs[key].shape)


def _check_shape(key: str, got: tuple[int, ...], want: tuple[int, ...] | None) -> None:
    """Refuse a fixed dimension that differs from the signature's, when the ranks agree.

    A different rank is left to the model, as TensorFlow Serving does: the original product's
    `{"instances": [1.0, 2.0, 5.0]}` feeds shape [3] to half_plus_two's [-1, 1] input and its
    graph broadcasts. With equal ranks a mismatch is always a client error, and without this
    check an element-wise graph would silently answer it.
    """
    if want is None or len(got) != len(want):
        return
    for axis, (size, expected) in enumerate(zip(got, want)):
        if expected >= 0 and size != expected:
            raise InvalidArgument(
                f"Input `{key}` has shape [{','.join(map(str, got))}] but the signature expects "
                f"[{','.join(map(str, want))}]: dimension {axis} must be {expected}, not {size}")


def _check_output_filter(signature: Signature, keys: list[str] | None) -> list[str] | None:
    if not keys:
        return None
    seen = set()
    for key in keys:
        if key not in signature.outputs:
            raise InvalidArgument(f"output tensor alias not found in signature: {key} Outputs "
                                  f"expected to be in the set {{{','.join(sorted(signature.outputs))}}}.")
        if key in seen:
            raise InvalidArgument(f"duplicate output tensor alias: {key}")
        seen.add(key)
    return list(keys)


def _example_inputs(signature: Signature, examples: np.ndarray) -> dict[str, np.ndarray]:
    if len(signature.inputs) != 1:
        raise InvalidArgument("Expected one input Tensor.")
    return {next(iter(signature.inputs)): examples}


def _classifications(outputs: dict[str, np.ndarray], batch: int) -> list:
    scores, classes = outputs.get("scores"), outputs.get("classes")
    if scores is None and classes is None:
        raise InvalidArgument("Expected classification signature outputs to contain classes "
                              "and/or scores.")
    for name, value in (("scores", scores), ("classes", classes)):
        if value is not None and (value.ndim != 2 or value.shape[0] != batch):
            raise InvalidArgument(f"Expected Tensor shape: [{batch} num_classes] but got "
                                  f"[{','.join(map(str, value.shape))}] for {name}")
    width = (scores if scores is not None else classes).shape[1]
    results = []
    for i in range(batch):
        row = []
        for j in range(width):
            label = classes[i][j] if classes is not None else b""
            label = label.decode("utf-8", "replace") if isinstance(label, bytes) else str(label)
            row.append((label, float(scores[i][j]) if scores is not None else 0.0))
        results.append(row)
    return results


def _regressions(values: np.ndarray, batch: int) -> list[float]:
    if not (values.ndim == 1 or (values.ndim == 2 and values.shape[1] == 1)) or \
            values.shape[0] != batch:
        raise InvalidArgument("Expected output Tensor shape to be either [batch_size] or "
                              f"[batch_size, 1] but got [{','.join(map(str, values.shape))}]")
    return [float(v) for v in values.reshape(-1)]
