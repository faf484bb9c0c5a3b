"""`python -m serving --config serving.json`: run the model server until SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="serving.json to serve")
    args = parser.parse_args(argv)
    # TensorFlow reads these when it is first imported, so they are set before any import of it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    from serving.config import ServerConfig
    from serving.server import serve

    config = ServerConfig.load(args.config)
    logging.basicConfig(
        stream=sys.stderr, level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return serve(config, args.config)


if __name__ == "__main__":
    sys.exit(main())
