"""What the CLI does to a node: prepare it, run it, apply a changed file, report its state.

Each operation reads the settings once (the composition root) and passes them down.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from appliance import render as rendering
from appliance.addresses import detect_node_address
from appliance.builtin import ensure_builtin_models
from appliance.envoy_admin import EnvoyAdmin
from appliance.layout import Layout
from appliance.schema import MODEL_SERVER_REST_PORT, ConfigError
from appliance.settings import Settings, default_file_text, load
from appliance.supervisor_client import NotRunning, Supervisor
from modelrepo.config import status_file as sync_status_file
from serving.config import ServerConfig


@dataclass(frozen=True)
class Node:
    layout: Layout
    home: Path | None  # the state directory when not running on the image's system paths

    @classmethod
    def select(cls, home: str | None) -> "Node":
        chosen = home or os.environ.get("APPLIANCE_HOME")
        return cls(Layout.select(chosen), Path(chosen).resolve() if chosen else None)

    @property
    def supervisor(self) -> Supervisor:
        return Supervisor(self.layout.supervisor_socket)

    def settings(self, create: bool = False) -> Settings:
        """Parse the config file; with `create`, first write the defaults when it is missing."""
        path = self.layout.config_file
        if create and not path.exists():
            rendering.atomic_write(path, default_file_text(), mode=0o600)
            print(f"wrote the default configuration to {path}")
        settings = load(path)
        if settings["node.address"] == "auto":
            settings = settings.with_value("node.address",
                                           detect_node_address(settings["serving.nodes"]))
        return settings

    def minio_command(self, settings: Settings):
        """The repo node's MinIO command; MinioSetupError (binary missing, example or empty
        keys) refuses the role before anything starts. None on other nodes."""
        if not rendering.minio_role(settings):
            return None
        from modelrepo.minio import server_command

        return server_command(settings, self.layout)

    def rendered(self, settings: Settings) -> dict[Path, str]:
        return rendering.render(settings, self.layout, rendering.Tools.installed(), self.home,
                                self.minio_command(settings))

    def write_configs(self, settings: Settings) -> list[Path]:
        return rendering.write_changed(self.rendered(settings),
                                       remove_stale_under=self.layout.supervisor_dir / "programs")

    def prepare(self) -> Settings:
        """Everything `up` needs before starting processes: config, folders, models, files."""
        settings = self.settings(create=True)
        self.minio_command(settings)  # a repo node that cannot run MinIO stops here
        for folder in (self.layout.log_dir, self.layout.run_dir, self.layout.models_dir):
            folder.mkdir(parents=True, exist_ok=True)
        ensure_builtin_models(self.layout.models_dir)
        self.write_configs(settings)
        return settings

    def up(self) -> None:
        """Run supervisord in the foreground (this process becomes it)."""
        if self.supervisor.running():
            raise RuntimeError(f"this node is already running (supervisord pid "
                               f"{self.supervisor.pid()}); use 'appliance apply' to change it")
        settings = self.prepare()
        self.layout.supervisor_socket.unlink(missing_ok=True)
        conf = self.layout.supervisor_dir / "supervisord.conf"
        print(f"starting node {settings['node.address']}: REST on :{settings['http.port']}, "
              f"gRPC on :{settings['grpc.port']}, logs in {self.layout.log_dir}", flush=True)
        os.execv(sys.executable, [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(conf)])

    def apply(self) -> list[str]:
        """Re-render; reload only what changed. Returns the actions taken, for the operator."""
        settings = self.settings()  # a bad file raises here, before anything is touched
        supervisor = self.supervisor
        if not supervisor.running():
            changed = self.write_configs(settings)
            return [f"the node is not running; wrote {len(changed)} changed file(s); "
                    "start it with 'appliance up'"]
        serving_json = self.layout.serving_config
        old_server = serving_json.read_text() if serving_json.exists() else None
        changed = set(self.write_configs(settings))
        actions = [f"rewrote {p}" for p in sorted(changed)]
        envoy_dir = self.layout.envoy_dir
        groups = supervisor.update()
        restarted = set(groups["changed"]) | set(groups["added"])
        actions += [f"{what} program {name}" for what, names in groups.items() for name in names]
        if envoy_dir / "bootstrap.yaml" in changed and "envoy" not in restarted:
            supervisor.restart("envoy")
            actions.append("restarted envoy (its listeners changed)")
        if serving_json in changed and "model_server" not in restarted and old_server:
            if ServerConfig.from_json(serving_json.read_text()).needs_restart_after(
                    ServerConfig.from_json(old_server)):
                supervisor.restart("model_server")
                actions.append("restarted the model server (its listeners or limits changed)")
            else:
                supervisor.signal("model_server", "HUP")
                actions.append("model server reloads its model list in place (SIGHUP)")
        if {envoy_dir / "cds.yaml", envoy_dir / "eds_rest.yaml", envoy_dir / "eds_grpc.yaml"} & changed:
            actions.append("Envoy picks up the new clusters/endpoints from its files (no restart)")
        return actions or ["nothing changed"]

    def drain(self) -> list[str]:
        """Stop the node without losing a request; returns what was done, with timings.

        The model server goes first: it fails /health, keeps answering for drain.seconds while
        peers' Envoys eject it, finishes its in-flight requests and exits. Then supervisord
        stops Envoy (which drains its own listeners) and itself.
        """
        supervisor = self.supervisor
        supervisor.require_running()
        steps = []
        started = time.monotonic()
        names = {p["name"] for p in supervisor.processes()}
        if "model_server" in names:
            supervisor.rpc.stopProcessGroup("model_server", True)
            steps.append(f"model server drained and stopped in {time.monotonic() - started:.1f}s")
        supervisor.shutdown()
        deadline = time.monotonic() + 120
        while supervisor.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        steps.append(f"Envoy drained and the node stopped after {time.monotonic() - started:.1f}s")
        return steps

    def runs_model_server(self) -> bool:
        return (self.layout.supervisor_dir / "programs" / "model_server.conf").exists()

    def applied_address(self) -> str:
        """The address the running node was rendered with (Envoy's node id)."""
        import yaml

        bootstrap = yaml.safe_load((self.layout.envoy_dir / "bootstrap.yaml").read_text())
        return bootstrap["node"]["id"]

    def status(self) -> dict:
        """What runs now. Works with a broken config file too: it reports the applied state."""
        report: dict = {"config": str(self.layout.config_file)}
        try:
            address = self.settings()["node.address"]
        except ConfigError as exc:
            report["config_error"] = str(exc)
            address = self.applied_address()
        report["node"] = address
        try:
            self.supervisor.require_running()
            report["processes"] = [
                {"name": p["name"], "state": p["statename"], "pid": p["pid"],
                 "description": p["description"]} for p in self.supervisor.processes()]
        except NotRunning as exc:
            report["processes"] = str(exc)
        report["models"] = (_model_server_view(address) if self.runs_model_server()
                            else "none: this node runs no model server (model-repo role, or "
                                 "not in serving.nodes)")
        report["envoy"] = _envoy_view(EnvoyAdmin(self.layout.envoy_admin_socket))
        status_file = sync_status_file(self.layout)
        if status_file.exists():
            from modelrepo import status as sync_status

            report["model_store"] = sync_status.describe(sync_status.read(status_file))
        return report


def _model_server_view(address: str) -> object:
    url = f"http://{address}:{MODEL_SERVER_REST_PORT}/v1/models"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError) as exc:
        return f"model server not reachable at {url}: {exc}"


def _envoy_view(admin: EnvoyAdmin) -> object:
    try:
        data = admin.clusters()
    except (OSError, ValueError) as exc:
        return f"Envoy admin not reachable on {admin.socket_path}: {exc}"
    view = {}
    for cluster in data.get("cluster_statuses", []):
        if not cluster["name"].startswith("serving_"):
            continue
        hosts = []
        for host in cluster.get("host_statuses", []):
            sock = host["address"]["socket_address"]
            flags = host.get("health_status", {})
            failed = sorted(k for k, v in flags.items() if v is True)
            stats = {s["name"]: s.get("value", 0) for s in host.get("stats", [])}
            hosts.append({"address": f"{sock['address']}:{sock['port_value']}",
                          "healthy": not failed, "failed": failed,
                          "requests": int(stats.get("rq_total", 0)),
                          "errors": int(stats.get("rq_error", 0))})
        view[cluster["name"]] = hosts
    return view


__all__ = ["Node", "ConfigError", "NotRunning"]
