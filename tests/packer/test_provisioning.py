"""The image's provisioning steps, run for real against a fresh Debian 12 root.

This is the build of packer/template/build.pkr.hcl without the VM: the same scripts, in the
order of packer/scripts/steps.txt, each run as root with a clean environment in a chroot of
a fresh debootstrapped Debian root, then the image's boot gate and the appliance's own
self-check (`appliance check`: config renders, Envoy validates it, the built-in models load).

What keeps it affordable (well under ~6 minutes warm, see packer/README.md "CI checks"):
- the debootstrapped root is made once and cached as a tarball; each run unpacks a fresh copy;
- pip in the chroot installs only from a wheel directory (`pip download` of this project on
  the host, same CPython minor version), bind-mounted read-only; nothing is built;
- Debian's .deb files are kept in a bind-mounted apt archive cache between runs.
The cache folder is $APPLIANCE_PACKER_TEST_CACHE, default ~/.cache/appliance-packer-test.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKER = ROOT / "packer"
SUITE = "bookworm"
MIRROR = os.environ.get("APPLIANCE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("APPLIANCE_PACKER_TEST_CACHE",
                            Path.home() / ".cache" / "appliance-packer-test"))
BUILD_DIR = "/tmp/appliance-build"  # as in build.pkr.hcl
STEPS_DIR = "/root/appliance-steps"  # outside BUILD_DIR, which cleanup.sh removes
WHEELS = "/var/cache/appliance-wheels"
EXTRAS = "runtimes"  # the template's default appliance_extras
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("debootstrap") or not shutil.which("chroot"),
    reason="needs root, debootstrap and chroot (make system-deps installs debootstrap)")


def _variable_default(name: str) -> str:
    text = (PACKER / "template" / "variables.pkr.hcl").read_text()
    block = re.search(r'variable "' + re.escape(name) + r'" \{(.*?)\n\}', text, re.DOTALL).group(1)
    return re.search(r'default\s*=\s*"([^"]*)"', block).group(1)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, timeout=kw.pop("timeout", 900), **kw)


def _base_tarball() -> Path:
    """A minimal Debian root, debootstrapped once and cached as a tarball."""
    tarball = CACHE / f"debian-{SUITE}-minbase-root.tar"
    if tarball.exists():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    work = CACHE / f"debootstrap-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        _run(["debootstrap", "--variant=minbase", SUITE, str(work), MIRROR])
        _run(["tar", "--numeric-owner", "-C", str(work), "-cf", f"{tarball}.part", "."])
        os.replace(f"{tarball}.part", tarball)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tarball


def _wheels() -> Path:
    """This project's dependencies as wheels for the chroot's pip (no index there)."""
    chroot_python = (3, 11)  # Debian 12's python3
    if sys.version_info[:2] != chroot_python:
        pytest.fail(f"the wheel cache is downloaded for this Python {sys.version_info[:2]}, "
                    f"but Debian 12's python3 is {chroot_python}: run the tests with 3.11")
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(wheels),
          "setuptools>=68", "wheel", f"{ROOT}[{EXTRAS}]"], timeout=1200)
    return wheels


def _source_archive(dest: Path) -> None:
    """The project's files as `make image` packs them: git ls-files of the working tree."""
    names = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard",
                            "-z"], check=True, capture_output=True, timeout=60).stdout
    with tarfile.open(dest, "w:gz", compresslevel=1) as tar:
        for name in sorted(set(names.decode().split("\0")) - {""}):
            if (ROOT / name).is_file():
                tar.add(ROOT / name, arcname=name, recursive=False)


def _host_extra_ca() -> bytes:
    """The build machine's own extra CAs (its HTTPS egress may need them), as extra_ca_certs."""
    folder = Path("/usr/local/share/ca-certificates")
    return b"".join(p.read_bytes() for p in sorted(folder.glob("*.crt"))) if folder.is_dir() else b""


def _stage_build_inputs(root: Path) -> None:
    """What build.pkr.hcl's file provisioners upload before the steps run."""
    build = root / BUILD_DIR.lstrip("/")
    build.mkdir(parents=True, exist_ok=True)
    _source_archive(build / "appliance-src.tar.gz")
    for f in (PACKER / "files").iterdir():
        shutil.copy(f, build / f.name)
    (build / "extra-ca.pem").write_bytes(_host_extra_ca())


class Chroot:
    """A fresh Debian root with the build's inputs in place and bind mounts to undo."""

    def __init__(self, path: Path, logs: Path):
        self.path, self.logs, self.mounts = path, logs, []
        self.env = {
            "PATH": CHROOT_PATH, "HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb",
            "DEBIAN_FRONTEND": "noninteractive", "BUILD_DIR": BUILD_DIR,
            "APPLIANCE_EXTRAS": EXTRAS, "PIP_INDEX_URL": "",
            "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELS,
            "MINIO_RELEASE": _variable_default("minio_release"),
            "MINIO_SHA256": _variable_default("minio_sha256"), "MINIO_REQUIRED": "false",
        }

    def mount(self, *args: str, target: str) -> None:
        where = self.path / target.lstrip("/")
        where.mkdir(parents=True, exist_ok=True)
        _run(["mount", *args, str(where)], timeout=60)
        self.mounts.append(where)

    def unmount(self, target: str) -> None:
        where = self.path / target.lstrip("/")
        _run(["umount", str(where)], timeout=60)
        self.mounts.remove(where)

    def unmount_all(self) -> None:
        for where in reversed(self.mounts):
            subprocess.run(["umount", str(where)], check=False, timeout=60)
            if os.path.ismount(where):
                subprocess.run(["umount", "-l", str(where)], check=False, timeout=60)
        self.mounts.clear()

    def run(self, *argv: str, log: str) -> tuple[int, str, float]:
        """Run argv in the root with the clean environment; (exit code, output, seconds)."""
        started = time.monotonic()
        result = subprocess.run(["chroot", str(self.path), *argv], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, timeout=900, check=False)
        (self.logs / f"{log}.log").write_text(result.stdout)
        return result.returncode, result.stdout, time.monotonic() - started

    def step(self, name: str) -> float:
        code, out, seconds = self.run("/bin/sh", f"{STEPS_DIR}/{name}", log=name)
        assert code == 0, f"step {name} failed ({code}); last lines:\n" + out[-4000:]
        return seconds


@pytest.fixture(scope="module")
def image_root(tmp_path_factory):
    """The root after every provisioning step, and the seconds each step took."""
    base, wheels = _base_tarball(), _wheels()
    apt_cache = CACHE / "apt-archives"
    (apt_cache / "partial").mkdir(parents=True, exist_ok=True)
    work = tmp_path_factory.mktemp("image-root")
    root = work / "root"
    root.mkdir()
    logs = work / "logs"
    logs.mkdir()
    _run(["tar", "--numeric-owner", "-C", str(root), "-xf", str(base)], timeout=300)
    shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
    policy = root / "usr" / "sbin" / "policy-rc.d"  # no daemons start inside the chroot
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)

    _stage_build_inputs(root)
    shutil.copytree(PACKER / "scripts", root / STEPS_DIR.lstrip("/"))

    chroot = Chroot(root, logs)
    timings: dict[str, float] = {}
    try:
        chroot.mount("-t", "proc", "proc", target="/proc")
        chroot.mount("--bind", "/dev", target="/dev")
        chroot.mount("-t", "tmpfs", "tmpfs", target="/dev/shm")
        chroot.mount("--bind", str(apt_cache), target="/var/cache/apt/archives")
        chroot.mount("--bind", "-o", "ro", str(wheels), target=WHEELS)
        steps = (PACKER / "scripts" / "steps.txt").read_text().split()
        for name in steps:
            if name == "cleanup.sh":  # the caches are the test's, not the image's
                chroot.unmount("/var/cache/apt/archives")
                chroot.unmount(WHEELS)
            timings[name] = chroot.step(name)
        policy.unlink()
        (work / "timings.txt").write_text(
            "".join(f"{k} {v:.1f}s\n" for k, v in timings.items()))
        yield chroot, timings
    finally:
        chroot.unmount_all()
        shutil.rmtree(root, ignore_errors=True)


def test_every_step_ran(image_root):
    _, timings = image_root
    assert list(timings) == (PACKER / "scripts" / "steps.txt").read_text().split()


def test_the_build_leaves_no_secrets_or_build_trust(image_root):
    chroot, _ = image_root
    root = chroot.path
    assert not list((root / "etc" / "ssh").glob("ssh_host_*")), "host keys are made on first boot"
    assert not (root / "root" / ".ssh" / "authorized_keys").exists()
    assert not (root / "usr/local/share/ca-certificates/appliance-build-extra.crt").exists()
    assert (root / "etc" / "machine-id").read_text() == ""
    assert not (root / BUILD_DIR.lstrip("/")).exists()
    shadow = (root / "etc" / "shadow").read_text().splitlines()
    for line in shadow:
        user, password = line.split(":")[:2]
        assert password in ("*", "!", "!*", "!!"), f"{user} has a password in the image"


def test_config_file_is_root_only(image_root):
    chroot, _ = image_root
    conf = chroot.path / "etc" / "appliance" / "appliance.conf"
    info = conf.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == 0
    assert stat.S_IMODE(conf.parent.stat().st_mode) == 0o700
    text = conf.read_text()
    assert "model.name = saved_model_half_plus_two_mkl" in text
    assert "\nnode.address = auto\n" in text


def test_boot_services_are_enabled(image_root):
    chroot, _ = image_root
    wants = chroot.path / "etc" / "systemd" / "system" / "multi-user.target.wants"
    assert (wants / "appliance.service").is_symlink()
    assert (wants / "appliance-firstboot.service").is_symlink()
    for unit in ("appliance.service", "appliance-firstboot.service"):
        text = (chroot.path / "etc" / "systemd" / "system" / unit).read_text()
        program = re.search(r"^ExecStart=(\S+)", text, re.MULTILINE).group(1)
        assert os.access(chroot.path / program.lstrip("/"), os.X_OK), f"{unit}: {program}"
    service = (chroot.path / "etc/systemd/system/appliance.service").read_text()
    assert "RestartPreventExitStatus=78" in service and "journal+console" in service


def test_envoy_and_minio(image_root):
    chroot, _ = image_root
    code, out, _ = chroot.run("envoy", "--version", log="envoy-version")
    assert code == 0 and "envoy" in out.lower(), out
    minio_log = (chroot.logs / "minio.sh.log").read_text()
    assert (chroot.path / "usr/local/bin/minio").exists() or "SKIPPED: MinIO" in minio_log


def test_cheap_steps_are_idempotent(image_root):
    chroot, _ = image_root
    conf = chroot.path / "etc" / "appliance" / "appliance.conf"
    before = conf.read_text()
    _stage_build_inputs(chroot.path)  # a re-run build uploads its inputs again
    for name in ("ca-certs.sh", "envoy.sh", "models.sh", "config.sh", "boot-service.sh"):
        chroot.step(name)
    assert conf.read_text() == before


def test_boot_gate_keeps_a_bad_config_down(image_root):
    """appliance-boot refuses to start on a file that fails the check, naming the key."""
    chroot, _ = image_root
    conf = chroot.path / "etc" / "appliance" / "appliance.conf"
    good = conf.read_text()
    try:
        conf.write_text(good + "\nhttp.port = 8500\n")
        code, out, _ = chroot.run("/usr/local/sbin/appliance-boot", log="boot-bad-config")
        assert code == 78, out
        assert "http.port" in out and "NOT STARTED" in out, out
        assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    finally:
        conf.write_text(good)


def test_appliance_self_check_in_the_image(image_root):
    """Last: the appliance's own check of the provisioned root (render, Envoy, models)."""
    chroot, timings = image_root
    code, out, seconds = chroot.run("appliance", "check", log="appliance-check")
    if code != 0 and "invalid choice: 'check'" in out:
        pytest.fail("this tree's appliance CLI has no 'check' command yet:\n" + out[-2000:])
    assert code == 0, f"appliance check failed in the provisioned root:\n{out[-4000:]}"
    print("step seconds:", {**timings, "appliance check": round(seconds, 1)})
