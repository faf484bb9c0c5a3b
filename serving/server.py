"""Composition root of the model server process: wires config, manager, source, transports.

One asyncio event loop (uvloop when installed) runs the REST server and grpc.aio; runtime calls
run on a thread pool; the source polls on its own thread. SIGTERM/SIGINT drain gracefully:
/health and gRPC health fail first, `drain_seconds` later the listeners close, in-flight requests
finish, versions unload, and `serve()` returns 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from serving import grpc_api, rest_json
from serving.config import ServerConfig
from serving.dataplane import DataPlane
from serving.http_server import HttpServer
from serving.manager import Manager
from serving.metrics import Metrics
from serving.rest import RestApi
from serving.source import Source

log = logging.getLogger("serving.server")
GRPC_MAX_MESSAGE = 2**31 - 1


class ModelServer:
    def __init__(self, config: ServerConfig, config_path: Path | None = None) -> None:
        self.config = config
        self.config_path = config_path
        self.manager = Manager(config.models, config.runtime_options())
        self.executor = ThreadPoolExecutor(max_workers=config.inference_threads,
                                           thread_name_prefix="inference")
        self.plane = DataPlane(config, self.manager, self.executor, Metrics())
        self.source = Source(config.models, self.manager, config.poll_seconds)
        self.http = HttpServer(RestApi(self.plane, config.cors_allowed_origins).handle,
                               config.max_request_bytes, rest_json.error_body(
                                   f"Request body is larger than the maximum of "
                                   f"{config.max_request_bytes} bytes"))
        self.health = health.aio.HealthServicer()
        self.grpc = None
        self._stop = asyncio.Event()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, self.reload))
        await self.http.start(self.config.rest_address, self.config.rest_port)
        self.grpc = grpc.aio.server(options=[
            ("grpc.max_receive_message_length", min(self.config.max_request_bytes,
                                                    GRPC_MAX_MESSAGE)),
            ("grpc.max_send_message_length", GRPC_MAX_MESSAGE),
            ("grpc.so_reuseport", 0)])
        grpc_api.add_services(self.grpc, self.plane)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.grpc)
        self.grpc.add_insecure_port(f"{self.config.grpc_address}:{self.config.grpc_port}")
        await self.grpc.start()
        log.info("Serving REST on %s:%d and gRPC on %s:%d", self.config.rest_address,
                 self.config.rest_port, self.config.grpc_address, self.config.grpc_port)
        self.source.start()
        watcher = asyncio.ensure_future(self._watch_health())
        await self._stop.wait()
        await self._drain()
        watcher.cancel()
        return 0

    def reload(self) -> None:
        """SIGHUP: re-read the config file and serve its model list, without a restart.

        New models start loading, removed ones stop taking traffic and unload after their
        in-flight requests, changed policies apply at once. Listener settings need a restart
        (`appliance apply` restarts the server when they change).
        """
        if self.config_path is None:
            log.warning("SIGHUP ignored: the server was not started from a config file")
            return
        try:
            new = ServerConfig.load(self.config_path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error("Reload of %s failed, keeping the current models: %s", self.config_path, exc)
            return
        log.info("Reloading the model list from %s: %s", self.config_path,
                 ", ".join(m.name for m in new.models))
        self.manager.set_models(new.models)
        self.source.models = new.models
        self.source.poll_seconds = new.poll_seconds
        self.config = replace(self.config, models=new.models, batching=new.batching,
                              poll_seconds=new.poll_seconds)
        self.plane.config = self.config
        self.source.poll_once()

    async def _watch_health(self) -> None:
        """Mirror /health into grpc.health.v1 (overall "" and one service per model)."""
        serving = health_pb2.HealthCheckResponse.SERVING
        not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
        while True:
            ok, report = self.plane.health()
            await self.health.set("", serving if ok else not_serving)
            for name, model in report["models"].items():
                await self.health.set(name, serving if model["available"] and
                                      not self.plane.draining else not_serving)
            await asyncio.sleep(0.2)

    async def _drain(self) -> None:
        log.info("Shutting down: health reports draining for %.1fs", self.config.drain_seconds)
        self.plane.draining = True
        await self.health.enter_graceful_shutdown()
        await asyncio.sleep(self.config.drain_seconds)
        log.info("Closing listeners; waiting for in-flight requests")
        await asyncio.gather(self.http.stop(), self.grpc.stop(grace=30))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.source.stop)
        await loop.run_in_executor(None, self.manager.unload_all)
        self.executor.shutdown(wait=True)
        log.info("Model server stopped")


def serve(config: ServerConfig, config_path: Path | None = None) -> int:
    try:
        import uvloop
    except ImportError:  # plain asyncio still works, only slower
        uvloop = None
    if uvloop is not None:
        return uvloop.run(ModelServer(config, config_path).run())
    return asyncio.run(ModelServer(config, config_path).run())
