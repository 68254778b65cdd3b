"""HttpEmbedder against a local server speaking the OpenAI embeddings and TEI /embed protocols."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from bot.embed import HashEmbedder
from bot.embed_http import HttpEmbedder, endpoint
from bot.errors import EmbedError
from bot.settings import Settings

DIM = 48
TEXTS = [
    "Beijing Hyundai's licence passed to a new holder.",
    "The central bank raised rates by half a point.",
    "Flooding closed the coastal highway on Tuesday.",
    "A new stadium opens downtown next spring.",
    "Shares of the carmaker fell after the recall.",
]


class FakeEmbeddingService:
    """Records requests; answers from a script of canned replies, then with real hash vectors."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, dict[str, str], bytes] | float] = []
        self.truth = HashEmbedder(dim=DIM)
        self.lock = threading.Lock()

    def handle(self, path: str, body: dict[str, Any], auth: str | None = None) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.requests.append({"path": path, "auth": auth, **body})
            step = self.script.pop(0) if self.script else None
        if isinstance(step, float):  # a delay, then the normal reply
            time.sleep(step)
        elif step is not None:
            return step
        if path == "/embed":
            vectors = self.truth.embed(body["inputs"]).tolist()
            return 200, {}, json.dumps(vectors).encode()
        if path == "/v1/embeddings":
            vectors = self.truth.embed(body["input"]).tolist()
            data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
            random.Random(len(data)).shuffle(data)  # clients must order by index, not position
            reply = {"object": "list", "data": data, "model": body["model"], "usage": {}}
            return 200, {}, json.dumps(reply).encode()
        return 404, {}, b'{"error": "not found"}'


@pytest.fixture
def service() -> Iterator[tuple[FakeEmbeddingService, str]]:
    fake = FakeEmbeddingService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            status, headers, payload = fake.handle(self.path, body, self.headers.get("authorization"))
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_endpoint_picks_protocol_from_path() -> None:
    assert endpoint("http://h:8080") == ("http://h:8080/v1/embeddings", "openai")
    assert endpoint("http://h:8080/v1/") == ("http://h:8080/v1/embeddings", "openai")
    assert endpoint("http://h/v1/embeddings") == ("http://h/v1/embeddings", "openai")
    assert endpoint("http://h:80/embed") == ("http://h:80/embed", "tei")


def test_openai_protocol_batches_and_orders_by_index(service: tuple[FakeEmbeddingService, str]) -> None:
    fake, base = service
    embedder = HttpEmbedder(base + "/v1", "all-MiniLM-L6-v2", dim=DIM, batch_size=2)
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, HashEmbedder(dim=DIM).embed(TEXTS), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert [len(r["input"]) for r in fake.requests] == [2, 2, 1]
    assert {r["model"] for r in fake.requests} == {"all-MiniLM-L6-v2"}


def test_tei_protocol(service: tuple[FakeEmbeddingService, str]) -> None:
    fake, base = service
    embedder = HttpEmbedder(base + "/embed", dim=DIM, batch_size=4)
    vectors = embedder.embed(TEXTS)
    np.testing.assert_allclose(vectors, HashEmbedder(dim=DIM).embed(TEXTS), atol=1e-6)
    assert [r["path"] for r in fake.requests] == ["/embed", "/embed"]
    assert fake.requests[0]["inputs"] == TEXTS[:4]


def test_wrong_dimension_is_an_error(service: tuple[FakeEmbeddingService, str]) -> None:
    fake, base = service
    embedder = HttpEmbedder(base, "bge-base")  # expects 384-d by default; the service sends 48-d
    assert fake.requests == []  # constructing it does not touch the network
    with pytest.raises(EmbedError, match=rf"{base}/v1/embeddings returned 48-d vectors for model 'bge-base'; newsbot expects 384"):
        embedder.embed(TEXTS[:1])


def test_name_carries_the_model_so_collections_never_mix() -> None:
    assert HttpEmbedder("http://h", "bge-small").name == "http-bge-small"
    assert HttpEmbedder("http://h", "all-MiniLM-L6-v2").name != HttpEmbedder("http://h", "bge-small").name


def test_from_settings_uses_url_and_model(service: tuple[FakeEmbeddingService, str]) -> None:
    fake, base = service
    settings = Settings(embedder="http", embeddings_url=base, embeddings_model="bge-small")
    HttpEmbedder.from_settings(settings, dim=DIM).embed(TEXTS[:1])
    assert fake.requests[0]["model"] == "bge-small"


def test_api_key_is_sent_but_never_shown(service: tuple[FakeEmbeddingService, str]) -> None:
    fake, base = service
    settings = Settings(embedder="http", embeddings_url=base, embeddings_api_key="sk-secret-123")
    HttpEmbedder.from_settings(settings, dim=DIM).embed(TEXTS[:1])
    assert fake.requests[0]["auth"] == "Bearer sk-secret-123"
    assert "sk-secret" not in repr(settings)
    fake.script = [(401, {}, b'{"error": "bad key"}')]
    with pytest.raises(EmbedError) as caught:
        HttpEmbedder(base, api_key="sk-secret-123").embed(TEXTS[:1])
    assert "HTTP 401" in str(caught.value) and "sk-secret" not in str(caught.value)


def test_429_then_success_is_retried(service: tuple[FakeEmbeddingService, str]) -> None:
    fake, base = service
    fake.script = [(429, {"Retry-After": "0"}, b'{"error": "rate limited"}')]
    vectors = HttpEmbedder(base, dim=DIM, backoff_s=0.01).embed(TEXTS[:3])
    assert len(fake.requests) == 2
    np.testing.assert_allclose(vectors, HashEmbedder(dim=DIM).embed(TEXTS[:3]), atol=1e-6)


def test_5xx_retried_then_gives_up_naming_url(service: tuple[FakeEmbeddingService, str]) -> None:
    fake, base = service
    fake.script = [(503, {}, b"overloaded")] * 3
    embedder = HttpEmbedder(base, retries=2, backoff_s=0.01)
    with pytest.raises(EmbedError, match=rf"{base}/v1/embeddings failed: HTTP 503"):
        embedder.embed(TEXTS[:1])
    assert len(fake.requests) == 3


def test_client_error_is_not_retried(service: tuple[FakeEmbeddingService, str]) -> None:
    fake, base = service
    fake.script = [(400, {}, b'{"error": "bad model"}')]
    with pytest.raises(EmbedError, match=r"HTTP 400.*bad model"):
        HttpEmbedder(base, backoff_s=0.01).embed(TEXTS[:1])
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (b'{"object": "list", "results": []}', "unexpected response"),
        (b"<html>gateway</html>", "invalid JSON"),
        (b'{"data": [{"index": 0, "embedding": [1.0, 0.0]}]}', "returned 1 vectors for 2 texts"),
        (b'{"data": [{"index": 0, "embedding": [1.0]}, {"index": 1}]}', "unexpected response"),
    ],
)
def test_bad_response_raises_embed_error_with_url(
    service: tuple[FakeEmbeddingService, str], reply: bytes, problem: str
) -> None:
    fake, base = service
    fake.script = [(200, {}, reply)]
    with pytest.raises(EmbedError, match=rf"{base}/v1/embeddings.*{problem}"):
        HttpEmbedder(base).embed(TEXTS[:2])


def test_timeout_is_retried_then_reported(service: tuple[FakeEmbeddingService, str]) -> None:
    fake, base = service
    fake.script = [0.6, 0.6]
    embedder = HttpEmbedder(base, timeout_s=0.2, retries=1, backoff_s=0.01)
    with pytest.raises(EmbedError, match=rf"{base}/v1/embeddings failed after 2 tries: .*Timeout"):
        embedder.embed(TEXTS[:1])


def test_unreachable_service_names_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(EmbedError, match=rf"{url}/v1/embeddings failed after 2 tries"):
        HttpEmbedder(url, retries=1, backoff_s=0.01).embed(TEXTS[:1])
