"""The CI checks of packer/ that need no VM: formatting, validation of every vars file with the
Packer Debian ships (1.6.6), and shellcheck on every script of the image.

Each fails when its tool reports a problem; they are skipped only where the tool is missing
(`make system-deps` installs packer and shellcheck).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKER = ROOT / "packer"
VARS_FILES = sorted((PACKER / "vars").glob("*.pkrvars.hcl"))


def _shell_scripts() -> list[Path]:
    """Every shell script under packer/: *.sh and extension-less files starting #!/bin/sh."""
    found = []
    for path in sorted(PACKER.rglob("*")):
        if path.is_file() and (path.suffix == ".sh" or path.read_bytes()[:9] == b"#!/bin/sh"):
            found.append(path)
    return found


SHELL_SCRIPTS = _shell_scripts()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (make system-deps installs it)")
    return path


def test_every_target_has_a_vars_file():
    assert {p.name for p in VARS_FILES} >= {"debian-12-local.pkrvars.hcl",
                                            "debian-12-cloud.pkrvars.hcl"}


@pytest.mark.parametrize("folder", ["template", "vars", "plugins"])
def test_packer_fmt(folder):
    packer = _tool("packer")
    result = subprocess.run([packer, "fmt", "-check", "-diff", str(PACKER / folder)],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"packer fmt wants changes:\n{result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def build_inputs(tmp_path_factory):
    """Stand-ins for what `make image` makes before Packer runs (the build key, the project
    archive, the base disk): Packer 1.6.6's validate checks that these files exist."""
    tmp = tmp_path_factory.mktemp("packer-inputs")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / "key")],
                   check=True, timeout=30)
    with tarfile.open(tmp / "src.tar.gz", "w:gz"):
        pass
    (tmp / "base.qcow2").write_bytes(b"")
    (tmp / "seed").mkdir()
    return tmp


@pytest.mark.parametrize("vars_file", VARS_FILES, ids=lambda p: p.name)
def test_packer_validate(vars_file, build_inputs):
    packer = _tool("packer")
    args = [packer, "validate", f"-var-file={vars_file}",
            f"-var=ssh_private_key_file={build_inputs / 'key'}",
            f"-var=source_archive={build_inputs / 'src.tar.gz'}"]
    text = vars_file.read_text()
    if "base_image_kind      = \"local\"" in text:
        args.append(f"-var=base_image_url={build_inputs / 'base.qcow2'}")
    if "file:https://" in text:
        # validate downloads a file: checksum list; CI has no route to the image host, so
        # only the checksum is replaced (by a well-formed one), never the rest of the file.
        args.append("-var=base_image_checksum=sha512:" + "0" * 128)
    if "cloud_init_seed_dir" in text:
        args.append(f"-var=cloud_init_seed_dir={build_inputs / 'seed'}")
    result = subprocess.run(args + [str(PACKER / "template")], check=False, capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, f"packer validate failed:\n{result.stdout}{result.stderr}"


def test_packer_validate_rejects_a_bad_variable(build_inputs):
    """The variables' validation rules are live: a wrong accelerator is refused up front."""
    packer = _tool("packer")
    result = subprocess.run(
        [packer, "validate", f"-var-file={VARS_FILES[0]}", "-var=accelerator=vmware",
         f"-var=ssh_private_key_file={build_inputs / 'key'}",
         f"-var=source_archive={build_inputs / 'src.tar.gz'}",
         f"-var=base_image_url={build_inputs / 'base.qcow2'}", str(PACKER / "template")],
        check=False, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode != 0
    assert "accelerator must be kvm, tcg" in result.stdout + result.stderr


def test_step_list_matches_the_template():
    """tests/packer/test_provisioning.py runs scripts/steps.txt; the build runs local.steps."""
    steps = (PACKER / "scripts" / "steps.txt").read_text().split()
    build = (PACKER / "template" / "build.pkr.hcl").read_text()
    listed = [line.strip().strip('",') for line in build.splitlines()
              if line.strip().endswith('.sh",')]
    assert listed == steps
    assert sorted(steps) == sorted(p.name for p in (PACKER / "scripts").glob("*.sh"))


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(PACKER)))
def test_shellcheck(script):
    shellcheck = _tool("shellcheck")
    result = subprocess.run([shellcheck, "-x", str(script)], check=False, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^set -eux$", script.read_text(), re.MULTILINE), \
        f"{script.name} must run with set -eux"
