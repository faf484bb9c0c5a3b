"""This machine's addresses: detecting node.address = auto, and checking an address can be bound."""

from __future__ import annotations

import ipaddress
import socket
import subprocess


def local_addresses() -> list[str]:
    """IPv4 addresses configured on this machine's interfaces, loopback last."""
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True,
                             timeout=5).stdout
        found = [line.split()[3].split("/")[0] for line in out.splitlines() if " inet " in line]
    except (OSError, subprocess.SubprocessError, IndexError):
        found = socket.gethostbyname_ex(socket.gethostname())[2]
    return sorted(set(found), key=lambda a: (ipaddress.IPv4Address(a).is_loopback, a))


def can_bind(address: str) -> str | None:
    """None when a listener can bind `address`, else the reason."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def detect_node_address(serving_nodes: tuple[str, ...]) -> str:
    """The listed serving-node address that is this machine's, else its first non-loopback one."""
    mine = local_addresses()
    for address in serving_nodes:
        if address in mine:
            return address
    for address in mine:
        if not ipaddress.IPv4Address(address).is_loopback:
            return address
    raise OSError("node.address = auto found no address of this machine (none of serving.nodes "
                  "and no non-loopback interface); set node.address explicitly")
