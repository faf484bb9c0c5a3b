"""`python -m logviewer [--home DIR]` serves the browser; `python -m logviewer hash-password`
prints a hash for `logviewer.password` (the password is read without echo, or from stdin)."""

from __future__ import annotations

import argparse
import logging
import sys

from appliance.schema import LOGVIEWER_PORT, ConfigError
from logviewer.auth import hash_password, read_password


def _hash_password() -> int:
    password = read_password(sys.stdin)
    if not password:
        print("An empty password is not allowed (or the two entries differ).", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def _serve(home: str | None, threads: int) -> int:
    import waitress

    from appliance.node import Node
    from logviewer import create_app

    node = Node.select(home)  # resolves node.address = auto like every other process
    layout = node.layout
    try:
        settings = node.settings()
    except ConfigError as exc:
        print(f"logviewer: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings, layout)
    address = settings["node.address"]
    logging.getLogger("waitress").info("log browser on http://%s:%d", address, LOGVIEWER_PORT)
    waitress.serve(app, host=address, port=LOGVIEWER_PORT, threads=threads, ident="logviewer")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m logviewer", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["serve", "hash-password"], default="serve")
    parser.add_argument("--home", help="state directory (default: $APPLIANCE_HOME or /etc, /data)")
    parser.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.command == "hash-password":
        return _hash_password()
    return _serve(args.home, args.threads)


if __name__ == "__main__":
    sys.exit(main())
