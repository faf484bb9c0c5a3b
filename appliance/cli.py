"""`appliance`: the one command for a node (render, up, apply, status, check)."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from pathlib import Path

from appliance.node import Node
from appliance.schema import ConfigError
from appliance.supervisor_client import NotRunning
from modelrepo.errors import ModelRepoError


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


def cmd_drain(node: Node, args: argparse.Namespace) -> int:
    for step in node.drain():
        print(step, flush=True)
    return 0


def _cluster_dir(args: argparse.Namespace) -> Path:
    return Path(args.dir or os.environ.get("APPLIANCE_CLUSTER_DIR") or ".cluster").resolve()


def cmd_cluster(node: Node, args: argparse.Namespace) -> int:
    from appliance import cluster

    base = _cluster_dir(args)
    if args.action == "up":
        extra = dict(item.split("=", 1) for item in args.set)
        nodes = cluster.up(base, args.serving, args.repo,
                           {k.strip(): v.strip() for k, v in extra.items()},
                           first=ipaddress.IPv4Address(args.first_address))
        print(f"\ncluster in {base}; call any node, e.g.:")
        for n in nodes:
            print(f"  {n.name:<10} curl -d '{{\"instances\": [1.0, 2.0, 5.0]}}' "
                  f"http://{n.address}:8080/v1/models/saved_model_half_plus_two_mkl:predict")
        print(f"status: appliance cluster status --dir {base}; stop: appliance cluster down --dir {base}")
        return 0
    if args.action == "down":
        return 0 if cluster.down(base) else 1
    rows = cluster.status(base)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        state = f"running (pid {row['pid']})" if row["pid"] else "stopped"
        print(f"{row['name']:<10} {row['address']:<12} {row['role']:<10} {state}")
        if row["pid"]:
            lines = format_models(row["models"]) + format_envoy(row["envoy"])
            print("\n".join("  " + line for line in lines))
    return 0


def format_status(report: dict) -> str:
    lines = [f"node {report['node']} (config {report['config']})"]
    if report.get("config_error"):
        lines.append("the config file has errors and was not applied:\n" + report["config_error"])
    lines += ["", "processes:"]
    processes = report["processes"]
    if isinstance(processes, str):
        lines.append(f"  {processes}")
    else:
        lines += [f"  {p['name']:<14} {p['state']:<9} {p['description']}" for p in processes]
    lines += format_models(report["models"])
    if report.get("model_store"):
        lines += ["", report["model_store"]]
    lines += format_envoy(report["envoy"])
    return "\n".join(lines)


def format_models(models: dict | str) -> list[str]:
    lines = ["", "models (this node's model server):"]
    if isinstance(models, str):
        lines.append(f"  {models}")
    else:
        for model in models.get("models", []):
            if not model.get("versions"):
                lines.append(f"  {model['name']:<36} no version found in {model['base_path']}")
            for version in model.get("versions", []):
                lines.append(f"  {model['name']:<36} version {version['version']:<10} "
                             f"{version['state']:<12} {version.get('format') or ''} "
                             f"{version.get('error') or ''}".rstrip())
    return lines


def format_envoy(envoy: dict | str) -> list[str]:
    lines = ["", "Envoy's view of the serving nodes:"]
    if isinstance(envoy, str):
        lines.append(f"  {envoy}")
    else:
        for cluster, hosts in envoy.items():
            for host in hosts:
                health = "healthy" if host["healthy"] else "UNHEALTHY " + ",".join(host["failed"])
                lines.append(f"  {cluster:<13} {host['address']:<22} {health:<30} "
                             f"requests {host['requests']}, errors {host['errors']}")
    return lines


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
    sub.add_parser("drain", help="fail health checks, wait for peers and in-flight requests, "
                   "then stop the node").set_defaults(func=cmd_drain)
    cluster = sub.add_parser("cluster", help="a local multi-node cluster on 127.0.0.11, .12, ...")
    cluster.add_argument("action", choices=("up", "status", "down"))
    cluster.add_argument("--serving", type=int, default=3, help="serving nodes (default 3)")
    cluster.add_argument("--repo", action="store_true", help="also a model-repo node")
    cluster.add_argument("--dir", help="where the nodes' state directories go "
                         "(default: $APPLIANCE_CLUSTER_DIR, else ./.cluster)")
    cluster.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="a config key for every node (repeatable)")
    cluster.add_argument("--first-address", default="127.0.0.11",
                         help="address of the first serving node (default 127.0.0.11)")
    cluster.add_argument("--json", action="store_true")
    cluster.set_defaults(func=cmd_cluster)
    _add_models_commands(sub)
    return parser


def _add_models_commands(sub: argparse._SubParsersAction) -> None:
    """`appliance models push|list`, owned by modelrepo/ (imported here, not at module load)."""
    from modelrepo.cli import add_models_parser

    add_models_parser(sub)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    node = Node.select(args.home)
    try:
        return args.func(node, args)
    except ConfigError as exc:
        print(f"appliance: configuration refused, nothing was changed:\n{exc}", file=sys.stderr)
        return 2
    except (NotRunning, RuntimeError, OSError, ModelRepoError) as exc:
        print(f"appliance: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
