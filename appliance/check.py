"""`appliance check`: prove a node can start, without starting it.

Used by the image's boot service before `appliance up`: a bad file leaves the node down with
the reason, never half up.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from appliance import render as rendering
from appliance.builtin import BUILTIN_MODELS
from appliance.layout import Layout
from appliance.schema import ConfigError
from modelrepo.errors import ModelRepoError


def validation_bootstrap(envoy_dir: Path) -> Path:
    """The rendered bootstrap with cds.yaml's clusters inlined as static clusters.

    `envoy --mode validate` does not load file-based CDS, so without this the clusters (health
    checks, circuit breakers, protocol options) would go unchecked until Envoy starts.
    """
    bootstrap = yaml.safe_load((envoy_dir / "bootstrap.yaml").read_text())
    clusters = yaml.safe_load((envoy_dir / "cds.yaml").read_text())["resources"]
    del bootstrap["dynamic_resources"]
    for cluster in clusters:
        bootstrap["static_resources"]["clusters"].append(
            {k: v for k, v in cluster.items() if k != "@type"})
    path = envoy_dir / "validate.yaml"
    path.write_text(yaml.safe_dump(bootstrap))
    return path


def validate_envoy(envoy: str, envoy_dir: Path) -> tuple[bool, str]:
    """Run the real Envoy loader on the rendered configuration (`envoy --mode validate`)."""
    bootstrap = validation_bootstrap(envoy_dir)
    result = subprocess.run([envoy, "--mode", "validate", "-c", str(bootstrap),
                             "--disable-hot-restart", "--log-level", "warning"],
                            capture_output=True, text=True, timeout=120)
    output = (result.stdout + result.stderr).strip()
    return result.returncode == 0, output


def self_check(node, say: Callable[[str], None]) -> bool:
    try:
        settings = node.settings()
    except ConfigError as exc:
        say(f"FAIL configuration: {exc}")
        return False
    say(f"ok   configuration {node.layout.config_file}")
    tools = rendering.Tools.installed()
    ok = True
    with tempfile.TemporaryDirectory(prefix="appliance-check-") as tmp:
        scratch = Layout(config_file=node.layout.config_file, models_dir=node.layout.models_dir,
                         log_dir=Path(tmp) / "logs", run_dir=Path(tmp) / "run",
                         data_dir=Path(tmp) / "data")
        try:
            minio = node.minio_command(settings)
        except ModelRepoError as exc:
            say(f"FAIL model repository role: {exc}")
            return False
        files = rendering.render(settings, scratch, tools, node.home, minio)
        rendering.write_changed(files)
        scratch.log_dir.mkdir()
        say(f"ok   rendered {len(files)} files")
        valid, output = validate_envoy(tools.envoy, scratch.envoy_dir)
        say(("ok   Envoy accepts its configuration" if valid
             else f"FAIL Envoy rejects its configuration:\n{output}"))
        ok &= valid
    ok &= _check_models(node.layout.models_dir, say)
    return ok


def _check_models(models_dir: Path, say: Callable[[str], None]) -> bool:
    from serving.runtimes import create

    ok = True
    for name, (version, _) in BUILTIN_MODELS.items():
        path = models_dir / name / version
        if not path.is_dir():
            say(f"FAIL built-in model {name}: {path} is missing")
            ok = False
            continue
        try:
            runtime = create(path)
            runtime.load()
            runtime.unload()
            say(f"ok   built-in model {name} loads ({runtime.format_name})")
        except Exception as exc:  # any load failure is reported, not raised
            say(f"FAIL built-in model {name} does not load: {exc}")
            ok = False
    return ok
