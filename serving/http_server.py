"""A small HTTP/1.1 server on asyncio + httptools: keep-alive, size limit, graceful stop.

Transport only: each complete request is handed to `handler(method, path, headers, body)`
which returns (status, extra headers, body). Requests on one connection are answered in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import httptools

log = logging.getLogger("serving.http")

Handler = Callable[[str, str, dict, bytes], Awaitable[tuple[int, list, bytes]]]
REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
           413: "Payload Too Large", 429: "Too Many Requests", 499: "Client Closed Request",
           500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable",
           504: "Gateway Timeout"}


def response_bytes(status: int, headers: list, body: bytes, keep_alive: bool) -> bytes:
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}",
            f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers]
    if not keep_alive:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class HttpProtocol(asyncio.Protocol):
    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport = None
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.size = 0
        self.too_large = False
        self.pending: asyncio.Queue | None = None
        self.busy = False
        self.closing = False

    # asyncio callbacks
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.server.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.server.connections.discard(self)
        self.closing = True

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reply_now(400, b'{ "error": "Protocol upgrade is not supported" }')
        except httptools.HttpParserError as exc:
            if not self.too_large:
                self._reply_now(400, b'{ "error": "Malformed HTTP request: %s" }'
                                % str(exc).replace('"', "'").encode())

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.url, self.headers, self.body, self.size = b"", {}, [], 0

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        length = self.headers.get("content-length")
        if length and length.isdigit() and int(length) > self.server.max_body:
            self._too_large()

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > self.server.max_body:
            self._too_large()
        elif not self.too_large:
            self.body.append(body)

    def on_message_complete(self) -> None:
        if self.too_large:
            return
        request = (self.parser.get_method().decode(), self.url.decode("latin-1"), self.headers,
                   b"".join(self.body), self.parser.should_keep_alive())
        if self.busy:
            if self.pending is None:
                self.pending = asyncio.Queue()
            self.pending.put_nowait(request)
            return
        self.busy = True
        self.server.track(asyncio.ensure_future(self._serve(request)))

    def _too_large(self) -> None:
        if not self.too_large:
            self.too_large = True
            self._reply_now(413, self.server.too_large_body)

    def _reply_now(self, status: int, body: bytes) -> None:
        if self.transport and not self.transport.is_closing():
            self.transport.write(response_bytes(
                status, [("Content-Type", "application/json")], body, False))
            self.transport.close()

    async def _serve(self, request) -> None:
        while request is not None:
            method, path, headers, body, keep_alive = request
            try:
                status, extra, payload = await self.server.handler(method, path, headers, body)
            except Exception:  # a bug must not kill the connection silently
                log.exception("Unhandled error serving %s %s", method, path)
                status, extra, payload = 500, [("Content-Type", "application/json")], \
                    b'{ "error": "Internal server error" }'
            keep_alive = keep_alive and not self.server.stopping
            if self.transport.is_closing():
                break
            self.transport.write(response_bytes(status, extra, payload, keep_alive))
            if not keep_alive:
                self.transport.close()
                break
            request = self.pending.get_nowait() if self.pending and not self.pending.empty() \
                else None
        self.busy = False

    def close_if_idle(self) -> None:
        if not self.busy and self.transport and not self.transport.is_closing():
            self.transport.close()


class HttpServer:
    def __init__(self, handler: Handler, max_body: int, too_large_body: bytes) -> None:
        self.handler = handler
        self.max_body = max_body
        self.too_large_body = too_large_body
        self.connections: set[HttpProtocol] = set()
        self.tasks: set[asyncio.Future] = set()
        self.stopping = False
        self._server = None

    def track(self, task: asyncio.Future) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: HttpProtocol(self), host, port,
                                                reuse_address=True, backlog=1024)

    async def stop(self) -> None:
        """Stop accepting, finish every request in flight, close the connections."""
        self.stopping = True
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.close_if_idle()
        while self.tasks:
            await asyncio.wait(list(self.tasks))
        for conn in list(self.connections):
            conn.close_if_idle()
