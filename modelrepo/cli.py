"""`appliance models push|list`: mounted into the appliance CLI by `add_models_parser`.

Handlers take the appliance's `Node` (for its settings and layout) like every other command.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from modelrepo import status as sync_status
from modelrepo.config import status_file
from modelrepo.errors import ModelRepoError
from modelrepo.publish import BucketStore, LocalStore, Store, format_rows, push
from modelrepo.store import from_settings


def target(settings: Any, layout: Any) -> Store:
    """The configured store: the bucket when s3.type != none, else the local model store."""
    if settings["s3.type"] != "none":
        return BucketStore(from_settings(settings))
    base = settings["model.base.path"]
    return LocalStore(Path(base) if base else Path(layout.models_dir))


def cmd_models_push(node: Any, args: argparse.Namespace) -> int:
    settings = node.settings()
    try:
        store = target(settings, node.layout)
        version, fmt = push(args.dir, args.name, store, args.version, load=not args.no_load)
    except ModelRepoError as exc:
        print(f"appliance models push: {exc}", file=sys.stderr)
        return 1
    print(f"pushed {args.name} version {version} ({fmt}) to {store}")
    return 0


def cmd_models_list(node: Any, args: argparse.Namespace) -> int:
    settings = node.settings()
    try:
        store = target(settings, node.layout)
        rows = store.rows()
    except ModelRepoError as exc:
        print(f"appliance models list: {exc}", file=sys.stderr)
        return 1
    sync = sync_status.read(status_file(node.layout)) if settings["s3.type"] != "none" else None
    if args.json:
        print(json.dumps({"store": str(store), "versions": [asdict(r) for r in rows],
                          "sync": sync}, indent=2))
        return 0
    print(f"store: {store}")
    print(format_rows(rows))
    if settings["s3.type"] != "none":
        print(sync_status.describe(sync))
        for model, info in (sync or {}).get("models", {}).items():
            print(f"  cached on this node: {model} {info.get('cached', [])}")
    return 0


def add_models_parser(sub: Any) -> None:
    """Add `models push` and `models list` to the appliance's subparsers."""
    models = sub.add_parser("models", help="publish and list models in the configured store")
    msub = models.add_subparsers(dest="models_command", required=True)
    p = msub.add_parser("push", help="validate a version directory and upload it as the next "
                        "version (local store or bucket, whichever is configured)")
    p.add_argument("dir", type=Path, help="one version's files (saved_model.pb, *.onnx, ...)")
    p.add_argument("--name", required=True, help="model name (a folder in the store)")
    p.add_argument("--version", type=int, help="version number (default: newest + 1)")
    p.add_argument("--no-load", action="store_true",
                   help="check the format only, do not load the model in its runtime")
    p.set_defaults(func=cmd_models_push)
    ls = msub.add_parser("list", help="models, versions, formats and sizes in the store")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=cmd_models_list)
