"""A local server speaking OpenAI's chat-completions protocol (JSON and SSE streaming), scripted per request.

Each POST to /v1/chat/completions takes the next scripted step (the last step repeats):
- `Step(reply="text")`: a normal completion (streamed as SSE chunks when the request asks for it);
- `Step(status=429, retry_after="1")`: a rate-limit error with Retry-After;
- `Step(hang_s=5)`: accept the request and send nothing for that long (a timeout on the client);
- `Step(status=401, echo_key=True)`: refuse the key, quoting it back as OpenAI's own error does.
Every request body and its headers are recorded for the test to inspect.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Step:
    """What the server does with one request."""

    reply: str = ""
    status: int = 200
    retry_after: str | None = None
    hang_s: float = 0.0
    echo_key: bool = False
    chunk_chars: int = 7
    pause_at: int = -1  # streaming: stop after this many characters until `OpenAIFake.release` is set


@dataclass
class Request:
    """One request as received."""

    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]
    at: float


class OpenAIFake:
    """The server; use as a context manager, point clients at `base_url`."""

    def __init__(self, steps: list[Step] | None = None) -> None:
        self.steps: list[Step] = list(steps or [Step(reply="ok")])
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.release = threading.Event()
        self.paused = threading.Event()  # set while a stream waits for `release`
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                step = fake._next(Request(self.path, headers, body, time.monotonic()))
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
                    return
                if step.hang_s:
                    fake._stop.wait(step.hang_s)
                    self.close_connection = True
                    return
                if step.echo_key:
                    key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    error = {"message": f"Incorrect API key provided: {key}.", "type": "invalid_request_error",
                             "code": "invalid_api_key"}
                    self._json(step.status, {"error": error})
                    return
                if step.status != 200:
                    headers = {"Retry-After": step.retry_after} if step.retry_after is not None else {}
                    error = {"message": "Rate limit reached, slow down", "type": "rate_limit_exceeded",
                             "code": "rate_limit_exceeded" if step.status == 429 else "error"}
                    self._json(step.status, {"error": error}, headers)
                    return
                model = body.get("model", "fake")
                if body.get("stream"):
                    self._stream(model, step)
                else:
                    self._json(200, _completion(model, step.reply))

            def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model: str, step: Step) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                sent = 0
                for event in _chunks(model, step.reply, step.chunk_chars):
                    if 0 <= step.pause_at <= sent and not fake.release.is_set():
                        fake.paused.set()
                        fake.release.wait(60)
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                    delta = event["choices"][0]["delta"].get("content") or ""
                    sent += len(delta)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The OpenAI-style base url (ends in /v1)."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def _next(self, request: Request) -> Step:
        with self._lock:
            self.requests.append(request)
            return self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]

    def __enter__(self) -> OpenAIFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split()), "total_tokens": 10 + len(text.split())},
    }


def _chunks(model: str, text: str, size: int) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    for i in range(0, len(text), size):
        piece = text[i : i + size]
        yield {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
