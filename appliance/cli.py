"""`appliance`: the one command for a node (render, up, apply, status, check)."""

from __future__ import annotations

import argparse
import json
import sys

from appliance.node import Node
from appliance.schema import ConfigError
from appliance.supervisor_client import NotRunning


def cmd_render(node: Node, args: argparse.Namespace) -> int:
    settings = node.settings(create=True)
    written = node.write_configs(settings)
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} file(s) changed under {node.layout.run_dir}")
    return 0


def cmd_up(node: Node, args: argparse.Namespace) -> int:
    node.up()  # only returns by raising
    return 0


def cmd_apply(node: Node, args: argparse.Namespace) -> int:
    for action in node.apply():
        print(action)
    return 0


def cmd_status(node: Node, args: argparse.Namespace) -> int:
    report = node.status()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_status(report))
    return 0


def cmd_check(node: Node, args: argparse.Namespace) -> int:
    from appliance.check import self_check

    ok = self_check(node, print)
    return 0 if ok else 1


def format_status(report: dict) -> str:
    lines = [f"node {report['node']} (config {report['config']})", "", "processes:"]
    processes = report["processes"]
    if isinstance(processes, str):
        lines.append(f"  {processes}")
    else:
        lines += [f"  {p['name']:<14} {p['state']:<9} {p['description']}" for p in processes]
    lines += ["", "models (this node's model server):"]
    models = report["models"]
    if isinstance(models, str):
        lines.append(f"  {models}")
    else:
        for model in models.get("models", []):
            for version in model.get("model_version_status", []):
                error = version.get("status", {}).get("error_message", "")
                lines.append(f"  {model['name']:<36} version {version['version']:<10} "
                             f"{version['state']:<12} {error}")
    lines += ["", "Envoy's view of the serving nodes:"]
    envoy = report["envoy"]
    if isinstance(envoy, str):
        lines.append(f"  {envoy}")
    else:
        for cluster, hosts in envoy.items():
            for host in hosts:
                health = "healthy" if host["healthy"] else "UNHEALTHY " + ",".join(host["failed"])
                lines.append(f"  {cluster:<13} {host['address']:<22} {health:<30} "
                             f"requests {host['requests']}, errors {host['errors']}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="appliance", description=__doc__)
    parser.add_argument("--home", help="state directory (default: $APPLIANCE_HOME, else the "
                        "image's /etc/appliance, /data and /var/log/appliance)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("render", help="write every config of the node from appliance.conf"
                   ).set_defaults(func=cmd_render)
    sub.add_parser("up", help="run the node in the foreground under supervisord (Ctrl-C stops it)"
                   ).set_defaults(func=cmd_up)
    sub.add_parser("apply", help="re-render after editing appliance.conf; reload only what changed"
                   ).set_defaults(func=cmd_apply)
    status = sub.add_parser("status", help="processes, models and Envoy's view of the backends")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)
    sub.add_parser("check", help="validate config, Envoy config and built-in models, start nothing"
                   ).set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    node = Node.select(args.home)
    try:
        return args.func(node, args)
    except ConfigError as exc:
        print(f"appliance: configuration refused, nothing was changed:\n{exc}", file=sys.stderr)
        return 2
    except (NotRunning, RuntimeError, OSError) as exc:
        print(f"appliance: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
