"""Talk to a node's supervisord over its unix control socket (XML-RPC)."""

from __future__ import annotations

import xmlrpc.client
from pathlib import Path

from supervisor.xmlrpc import SupervisorTransport


class NotRunning(RuntimeError):
    """No supervisord answers on the node's control socket."""


class Supervisor:
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        transport = SupervisorTransport(None, None, f"unix://{socket_path}")
        self._proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    @property
    def rpc(self):
        return self._proxy.supervisor

    def running(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            return self.rpc.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def require_running(self) -> None:
        if not self.running():
            raise NotRunning(f"no supervisord answers on {self.socket_path}: the node is not up "
                             "(start it with 'appliance up')")

    def processes(self) -> list[dict]:
        return self.rpc.getAllProcessInfo()

    def pid(self) -> int:
        return self.rpc.getPID()

    def update(self) -> dict[str, list[str]]:
        """Apply program files that were added, changed or removed (like `supervisorctl update`)."""
        added, changed, removed = self.rpc.reloadConfig()[0]
        for name in removed + changed:
            self._stop_group(name)
            self.rpc.removeProcessGroup(name)
        for name in changed + added:
            self.rpc.addProcessGroup(name)
        return {"added": added, "changed": changed, "removed": removed}

    def restart(self, name: str) -> None:
        self._stop_group(name)
        self.rpc.startProcessGroup(name, True)

    def signal(self, name: str, signal_name: str) -> None:
        self.rpc.signalProcessGroup(name, signal_name)

    def shutdown(self) -> None:
        self.rpc.shutdown()

    def _stop_group(self, name: str) -> None:
        try:
            self.rpc.stopProcessGroup(name, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString and "BAD_NAME" not in fault.faultString:
                raise
