"""Parse the key/value file into immutable, typed `Settings`, once per process.

Every error names the file and line, the key, the value and what is allowed; all errors of a file
are reported together so an operator fixes them in one pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.schema import KEYS, KEYS_BY_NAME, RESERVED_PORTS, ConfigError, Key

PER_MODEL_SUFFIXES = {k.name.removeprefix("model."): k for k in KEYS if k.per_model}


@dataclass(frozen=True)
class Settings(Mapping[str, Any]):
    """Typed values of every key; `for_model` resolves model.<name>.<key> overrides."""

    values: Mapping[str, Any]
    overrides: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    source: str = "<defaults>"

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def models(self) -> tuple[str, ...]:
        return self.values["model.name"]

    def with_value(self, key: str, value: Any) -> "Settings":
        """A copy with one key replaced (used to pin a detected node.address)."""
        return Settings({**self.values, key: value}, self.overrides, self.source)

    def for_model(self, model: str, key: str) -> Any:
        return self.overrides.get((model, key), self.values[key])

    def masked(self) -> dict[str, str]:
        """Text of every key as set, with secrets replaced: safe to show or log."""
        shown = {}
        for key in KEYS:
            text = _to_text(self.values[key.name])
            shown[key.name] = "********" if key.secret and text else text
        for (model, name), value in self.overrides.items():
            shown[f"model.{model}.{name.removeprefix('model.')}"] = _to_text(value)
        return shown


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_value(key: Key, text: str, where: str) -> Any:
    try:
        return key.type.parse(text)
    except (ValueError, KeyError, TypeError):
        pass
    hint = ""
    if key.name.endswith(".port") and text.isdigit() and int(text) in RESERVED_PORTS:
        hint = f" ({text} is {RESERVED_PORTS[int(text)]})"
    shown = "(the value given, not shown: it is a secret)" if key.secret else repr(text)
    raise ConfigError(f"{where}: {key.name} = {shown} is not allowed{hint}; "
                      f"{key.name} must be {key.type.allowed}")


def _split_line(line: str) -> tuple[str, str] | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if "=" not in stripped:
        raise ValueError
    name, _, value = stripped.partition("=")
    return name.strip(), value.strip()


def parse_text(text: str, source: str = "<text>") -> Settings:
    """Parse the file's text; raise ConfigError listing every problem found."""
    errors: list[str] = []
    raw: dict[str, tuple[str, str]] = {}
    per_model: list[tuple[str, str, str, Key, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{source}:{number}"
        try:
            pair = _split_line(line)
        except ValueError:
            errors.append(f"{where}: {line.strip()!r} is not a 'key = value' line")
            continue
        if pair is None:
            continue
        name, value = pair
        if name in raw:
            errors.append(f"{where}: {name} is set twice (first at {raw[name][1]})")
        elif name in KEYS_BY_NAME:
            raw[name] = (value, where)
        elif (found := _per_model_key(name)) is not None:
            model, key = found
            raw[name] = (value, where)
            per_model.append((name, model, value, key, where))
        else:
            errors.append(f"{where}: unknown key {name!r}; known keys: "
                          + ", ".join(k.name for k in KEYS)
                          + " (and model.<name>.<key> for per-model keys)")

    values: dict[str, Any] = {}
    for key in KEYS:
        value, where = raw.get(key.name, (key.default, f"{source} (default)"))
        try:
            values[key.name] = _parse_value(key, value, where)
        except ConfigError as exc:
            errors.append(str(exc))

    overrides: dict[tuple[str, str], Any] = {}
    models = values.get("model.name", ())
    for name, model, value, key, where in per_model:
        if model not in models:
            errors.append(f"{where}: {name} names model {model!r}, which is not in model.name "
                          f"({', '.join(models)})")
            continue
        try:
            overrides[(model, key.name)] = _parse_value(key, value, where)
        except ConfigError as exc:
            errors.append(str(exc))

    if not errors:
        errors.extend(_cross_checks(values, source))
    if errors:
        raise ConfigError("\n".join(errors))
    return Settings(values=values, overrides=overrides, source=source)


def _per_model_key(name: str) -> tuple[str, Key] | None:
    if not name.startswith("model."):
        return None
    for suffix, key in PER_MODEL_SUFFIXES.items():
        if name.endswith("." + suffix):
            model = name[len("model."):-len(suffix) - 1]
            if model:
                return model, key
    return None


def _cross_checks(values: dict[str, Any], source: str) -> list[str]:
    errors = []
    if values["http.port"] == values["grpc.port"]:
        errors.append(f"{source}: http.port and grpc.port are both {values['http.port']}; "
                      "they must differ")
    base = values["model.base.path"]
    if values["s3.type"] == "none" and base.startswith("s3://"):
        errors.append(f"{source}: model.base.path = {base!r} is a bucket but s3.type = none; "
                      "set s3.type to minio or s3, or give a directory")
    if values["s3.type"] != "none" and base.startswith("/"):
        errors.append(f"{source}: model.base.path = {base!r} is a directory but s3.type = "
                      f"{values['s3.type']}; give s3://bucket[/prefix] (empty means s3://models)")
    if values["node.role"] == "modelrepo" and not values["serving.nodes"]:
        errors.append(f"{source}: node.role = modelrepo needs serving.nodes, the addresses of "
                      "the serving nodes its Envoy balances over")
    if values["s3.type"] == "minio" and not values["s3.endpoint"]:
        errors.append(f"{source}: s3.type = minio needs s3.endpoint, the repo node's "
                      "address:9000 (e.g. 10.0.0.5:9000)")
    return errors


def load(path: Path) -> Settings:
    """Read and parse the file at `path` (which must exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from exc
    return parse_text(text, source=str(path))


def default_file_text() -> str:
    """The file written on first start: every key, commented with its description."""
    lines = ["# Inference Engine appliance configuration: one 'key = value' per line.",
             "# Edit, then run 'appliance apply'. Every key and its allowed values: README.md.",
             ""]
    for key in KEYS:
        lines.append(f"# {key.description}")
        lines.append(f"{key.name} = {key.default}")
        lines.append("")
    return "\n".join(lines)
