"""Slack's Events API over HTTP on uvicorn (a production ASGI server), with health endpoints.

`HttpServer` binds one host and port and serves:
- `POST /slack/events`: the request body (at most `MAX_BODY_BYTES`) goes to the bot's
  `dispatch_http` on a bounded pool of `http_threads` threads, so the event loop never blocks on
  bolt or SQLite;
- `GET /livez`: 200 while the process serves;
- `GET /readyz`: 200 only once the index and the model are loaded, 503 before and while draining;
- `GET /healthz`: the detailed report (kept for existing probes), 200 once warmed up.

uvicorn keeps connections alive (`KEEP_ALIVE_S`), refuses more than `MAX_CONNECTIONS` at once with
a 503, and on SIGTERM (when serving from the main thread) stops accepting, lets the requests in
flight finish and returns (its lifespan shutdown calls `begin_drain`, which also stops a
`--sync-every` loop from starting another run); the caller then drains the answers in flight and a
sync in progress (`newsbot slack --http` waits up to `--drain-seconds`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import uvicorn

from bot.errors import ConfigError

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
LIVE_PATH = "/livez"
READY_PATH = "/readyz"
MAX_BODY_BYTES = 1 << 20  # Slack's payloads are a few KB; refuse anything bigger without parsing it
MAX_DRAIN_BYTES = 16 << 20  # up to this, an oversized body is read away before the 413, so the client sees it
KEEP_ALIVE_S = 30  # Slack reuses connections; an idle one is closed after this
MAX_CONNECTIONS = 256  # beyond this uvicorn answers 503 at once
HTTP_THREADS = 8  # threads running bolt's dispatch (each only acks and queues)
GRACEFUL_S = 10  # how long uvicorn waits for requests in flight on shutdown

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Response = tuple[int, dict[str, list[str]], bytes]


class Served(Protocol):
    """What the server needs from the bot."""

    def dispatch_http(self, body: bytes, query: str, headers: dict[str, list[str]]) -> Response:
        """Run one Slack request through bolt; (status, headers, body)."""
        ...

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, report) for /healthz."""
        ...

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """(ready, report) for /readyz."""
        ...

    def begin_drain(self) -> None:
        """Stop reporting ready (the server is shutting down)."""
        ...


class SlackAsgi:
    """The ASGI application: events to the bot off the event loop, health endpoints, a body size cap."""

    def __init__(self, bot: Served, *, threads: int = HTTP_THREADS) -> None:
        self.bot = bot
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="newsbot-http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope.get("path", ""), scope.get("method", "GET")
        if path in (HEALTH_PATH, READY_PATH, LIVE_PATH) and method in ("GET", "HEAD"):
            if path == LIVE_PATH:
                ok, report = True, {"ok": True}
            elif path == READY_PATH:
                ok, report = self.bot.readiness()
            else:
                ok, report = self.bot.health()
            await _reply(send, 200 if ok else 503, {"content-type": ["application/json"]}, json.dumps(report).encode())
            return
        if path != EVENTS_PATH:
            await _reply(send, 404, {"content-type": ["text/plain"]}, b"not found")
            return
        if method != "POST":
            await _reply(send, 405, {"content-type": ["text/plain"], "allow": ["POST"]}, b"POST only")
            return
        headers: dict[str, list[str]] = {}
        for raw_name, raw_value in scope.get("headers", []):
            headers.setdefault(raw_name.decode("latin-1").lower(), []).append(raw_value.decode("latin-1"))
        try:
            declared = int(headers.get("content-length", ["0"])[0] or 0)
        except ValueError:
            declared = -1
        if declared < 0 or declared > MAX_BODY_BYTES:
            if 0 < declared <= MAX_DRAIN_BYTES:
                await _read(receive, MAX_DRAIN_BYTES)
            await _reply(send, 413, {"content-type": ["text/plain"]}, b"payload too large")
            return
        body = await _read(receive, MAX_BODY_BYTES)
        if body is None:  # a chunked body over the limit
            await _reply(send, 413, {"content-type": ["text/plain"]}, b"payload too large")
            return
        query = scope.get("query_string", b"").decode("latin-1")
        loop = asyncio.get_running_loop()
        try:
            status, out_headers, out = await loop.run_in_executor(self._pool, self.bot.dispatch_http, body, query, headers)
        except Exception:  # noqa: BLE001 - bolt failed outside a listener: log it, answer 500
            log.exception("dispatching a Slack request failed")
            status, out_headers, out = 500, {"content-type": ["text/plain"]}, b"internal error"
        await _reply(send, status, out_headers, out)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.bot.begin_drain()  # not ready any more: a load balancer stops sending here
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        """Stop the dispatch threads (after the server stopped)."""
        self._pool.shutdown(wait=True)


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes `limit` (the rest is read away)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts) if size <= limit else None


async def _reply(send: Send, status: int, headers: dict[str, list[str]], body: bytes) -> None:
    pairs = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, vs in headers.items() for v in vs
             if k.lower() != "content-length"]
    pairs.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": pairs})
    await send({"type": "http.response.body", "body": body})


class HttpServer:
    """uvicorn serving `SlackAsgi` on one bound socket; `serve_forever` (signals when in the main
    thread) or `start()` in a background thread and `shutdown()`."""

    def __init__(
        self,
        bot: Served,
        host: str = "127.0.0.1",
        port: int = 3000,
        *,
        threads: int = HTTP_THREADS,
        graceful_s: float = GRACEFUL_S,
    ) -> None:
        self.bot = bot
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)  # connections wait in the backlog until uvicorn has started
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        sock.set_inheritable(True)
        self._socket = sock
        self.asgi = SlackAsgi(bot, threads=threads)
        config = uvicorn.Config(
            self.asgi,
            lifespan="on",
            log_config=None,  # our logging setup applies
            access_log=False,
            timeout_keep_alive=KEEP_ALIVE_S,
            limit_concurrency=MAX_CONNECTIONS,
            timeout_graceful_shutdown=int(graceful_s),
            backlog=128,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """Base url of the server."""
        host = str(self._socket.getsockname()[0])
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve until SIGTERM/SIGINT (in the main thread) or shutdown(); blocks."""
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self.asgi.close()

    def start(self) -> HttpServer:
        """Serve in a background thread; returns once the server accepts connections."""
        self._thread = threading.Thread(target=self.serve_forever, name="newsbot-http", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise ConfigError(f"the HTTP server on {self.url} stopped while starting (see the log)")
            self._thread.join(0.02)
        return self

    def shutdown(self) -> None:
        """Stop accepting, let requests in flight finish, close the socket."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(GRACEFUL_S + 5)
        self._socket.close()
