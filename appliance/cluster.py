"""A local cluster on one machine: N serving nodes on 127.0.0.11, .12, ... (a repo node on .10).

Each node is an ordinary `appliance --home <dir>/<node> up` with the standard ports on its own
loopback address, so what runs here is what runs on a fleet of VMs. `cluster up` with a new
--serving count is also the membership-change procedure: every node's file gets the new
serving.nodes, running nodes `apply` it, new nodes start, and nodes past the count drain.
"""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from appliance.addresses import can_bind
from appliance.layout import Layout
from appliance.render import atomic_write
from appliance.settings import load

FIRST_ADDRESS = ipaddress.IPv4Address("127.0.0.11")


@dataclass(frozen=True)
class LocalNode:
    name: str
    home: Path
    address: str
    role: str

    @property
    def pid_file(self) -> Path:
        return self.home / "node.pid"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        return pid if alive(pid) else None


def alive(pid: int) -> bool:
    """True while `pid` runs; reaps it first when it is our own exited child (a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not our child: nothing to reap
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def plan(base: Path, serving: int, repo: bool,
         first: ipaddress.IPv4Address = FIRST_ADDRESS) -> list[LocalNode]:
    """Serving nodes on consecutive addresses from `first`; the repo node just before them, so
    its address stays put when serving nodes come and go."""
    nodes = [LocalNode(f"serving-{i + 1}", base / f"serving-{i + 1}", str(first + i), "serving")
             for i in range(serving)]
    if repo:
        nodes.append(LocalNode("repo", base / "repo", str(first - 1), "modelrepo"))
    return nodes


def existing(base: Path) -> list[LocalNode]:
    """The nodes whose state directories exist under `base`, from their own config files."""
    found = []
    for home in sorted(base.glob("*/appliance.conf")):
        settings = load(home)
        found.append(LocalNode(home.parent.name, home.parent, settings["node.address"],
                               settings["node.role"]))
    return found


def set_keys(text: str, values: dict[str, str]) -> str:
    """Set keys in a config file's text, keeping every other line (and the operator's edits)."""
    lines = text.splitlines()
    for key, value in values.items():
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i, line in enumerate(lines):
            if pattern.match(line):
                lines[i] = f"{key} = {value}"
                break
        else:
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def write_config(node: LocalNode, serving_addresses: list[str], extra: dict[str, str]) -> None:
    path = node.home / "appliance.conf"
    text = path.read_text() if path.exists() else ""
    values = {"node.address": node.address, "node.role": node.role,
              "serving.nodes": ", ".join(serving_addresses), **extra}
    node.home.mkdir(parents=True, exist_ok=True)
    atomic_write(path, set_keys(text, values), mode=0o600)


def appliance(node: LocalNode, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "appliance.cli", "--home", str(node.home), *args],
                          capture_output=True, text=True, timeout=timeout)


def start(node: LocalNode) -> int:
    log = open(node.home / "appliance-up.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--home", str(node.home), "up"],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    node.pid_file.write_text(str(process.pid))
    return process.pid


def stop(node: LocalNode, timeout: float = 120) -> bool:
    """SIGTERM the node's supervisord (a graceful stop) and wait for it to exit."""
    pid = node.pid()
    if pid is None:
        return True
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            node.pid_file.unlink(missing_ok=True)
            return True
        time.sleep(0.1)
    return False


def check_addresses(nodes: list[LocalNode]) -> None:
    for node in nodes:
        reason = can_bind(node.address)
        if reason:
            raise OSError(f"cannot bind {node.address} for {node.name}: {reason}. A local cluster "
                          "needs the loopback range 127.0.0.11 and up (Linux routes all of "
                          "127.0.0.0/8 to lo; on macOS add each with 'sudo ifconfig lo0 alias "
                          f"{node.address}')")


def up(base: Path, serving: int, repo: bool, extra: dict[str, str], say=print,
       first: ipaddress.IPv4Address = FIRST_ADDRESS) -> list[LocalNode]:
    """Bring the cluster to `serving` serving nodes (+ repo); returns the nodes running."""
    if serving < 1:
        raise ValueError("a cluster needs at least one serving node (--serving 1 or more)")
    wanted = plan(base, serving, repo, first)
    check_addresses(wanted)
    addresses = [n.address for n in wanted if n.role == "serving"]
    wanted_names = {n.name for n in wanted}
    leaving = [n for n in existing(base) if n.name not in wanted_names and n.pid()]
    for node in wanted + leaving:
        write_config(node, addresses, extra)
    for node in wanted:
        if node.pid():
            result = appliance(node, "apply")
            say(f"{node.name} ({node.address}): " + (result.stdout.strip().splitlines() or ["-"])[-1])
            if result.returncode != 0:
                raise RuntimeError(f"apply failed on {node.name}: {result.stderr.strip()}")
        else:
            say(f"{node.name} ({node.address}): starting, pid {start(node)}")
    for node in leaving:
        say(f"{node.name} ({node.address}): removed from serving.nodes, draining")
        appliance(node, "apply")
        stop(node)
    return wanted


def down(base: Path, say=print) -> bool:
    ok = True
    for node in existing(base):
        if node.pid():
            stopped = stop(node)
            say(f"{node.name} ({node.address}): " + ("stopped" if stopped else "did not stop in time"))
            ok &= stopped
    return ok


def status(base: Path) -> list[dict]:
    from appliance.node import Node

    rows = []
    for node in existing(base):
        row = {"name": node.name, "address": node.address, "role": node.role, "pid": node.pid()}
        if row["pid"]:
            report = Node(Layout.for_home(node.home), node.home).status()
            row["models"] = report["models"]
            row["envoy"] = report["envoy"]
        rows.append(row)
    return rows
