"""Text -> vectors from an embedding service: OpenAI-compatible ``/v1/embeddings`` or TEI ``/embed``.

The protocol follows the url's path: one ending in ``/embed`` speaks Text Embeddings Inference
(``{"inputs": [...]}`` -> ``[[...], ...]``); anything else speaks the OpenAI embeddings protocol
(``{"input": [...], "model": M}`` -> ``{"data": [{"index", "embedding"}]}``), with ``/v1/embeddings``
appended to a bare host and ``/embeddings`` to a path ending in ``/v1``. TEI also serves the OpenAI
route, so either form reaches it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np

from bot.errors import EmbedError
from bot.settings import Settings

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def endpoint(url: str) -> tuple[str, str]:
    """The full request url and its protocol ("openai" or "tei") for a configured url."""
    url = url.rstrip("/")
    path = urlsplit(url).path
    if path.endswith("/embed"):
        return url, "tei"
    if path.endswith("/embeddings"):
        return url, "openai"
    if path.endswith("/v1"):
        return url + "/embeddings", "openai"
    if path in ("", "/"):
        return url + "/v1/embeddings", "openai"
    return url, "openai"


class HttpEmbedder:
    """Embeddings from a remote service, batched, with timeouts and retries on 429 and 5xx.

    ``name`` carries the model (``http-<model>``) because Chroma collections are named after the
    embedder: another model behind the same url gets a new collection, and vectors never mix.
    """

    name = "http"
    dim = 384

    def __init__(
        self,
        url: str,
        model: str = "all-MiniLM-L6-v2",
        *,
        dim: int = 384,
        batch_size: int = 64,
        timeout_s: float = 30.0,
        retries: int = 4,
        backoff_s: float = 0.5,
        max_wait_s: float = 30.0,
        api_key: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url, self.protocol = endpoint(url)
        self.model = model
        self.name = f"http-{model}"
        self.dim = dim
        self.batch_size = batch_size
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers, transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> HttpEmbedder:
        """Build from NEWSBOT_EMBEDDINGS_URL, NEWSBOT_EMBEDDINGS_MODEL and NEWSBOT_EMBEDDINGS_API_KEY."""
        if not settings.embeddings_url:
            raise EmbedError("NEWSBOT_EMBEDDER=http needs NEWSBOT_EMBEDDINGS_URL")
        options.setdefault("api_key", settings.embeddings_api_key)
        return cls(settings.embeddings_url, settings.embeddings_model, **options)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in batches; rows are unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._embed_batch(list(texts[i : i + self.batch_size]))
            for i in range(0, len(texts), self.batch_size)
        ]
        vectors = np.concatenate(parts).astype(np.float32, copy=False)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out: np.ndarray = vectors / np.maximum(norms, 1e-12)
        return out

    def _embed_batch(self, batch: list[str]) -> np.ndarray:
        payload: dict[str, Any]
        if self.protocol == "tei":
            payload = {"inputs": batch, "normalize": True, "truncate": True}
        else:
            payload = {"input": batch, "model": self.model, "encoding_format": "float"}
        body = self._post(payload)
        try:
            if self.protocol == "tei":
                rows = body
            else:
                data = sorted(body["data"], key=lambda item: item["index"])
                rows = [item["embedding"] for item in data]
            vectors = np.asarray(rows, dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise EmbedError(f"embedding service {self.url} sent an unexpected response: {exc!r}") from exc
        if vectors.ndim != 2 or vectors.shape[0] != len(batch):
            raise EmbedError(
                f"embedding service {self.url} returned {vectors.shape[0] if vectors.ndim else 0} "
                f"vectors for {len(batch)} texts"
            )
        if vectors.shape[1] != self.dim:
            raise EmbedError(
                f"embedding service {self.url} returned {vectors.shape[1]}-d vectors for model "
                f"{self.model!r}; newsbot expects {self.dim}-d vectors from it"
            )
        return vectors

    def _post(self, payload: dict[str, Any]) -> Any:
        """POST with retries on connection errors, timeouts, 429 and 5xx (honouring Retry-After)."""
        attempt = 0
        while True:
            wait = self.backoff_s * (2**attempt)
            try:
                response = self._client.post(self.url, json=payload)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                if attempt >= self.retries:
                    raise EmbedError(
                        f"embedding service {self.url} failed after {attempt + 1} tries: {problem}"
                    ) from exc
            else:
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise EmbedError(
                            f"embedding service {self.url} sent invalid JSON: {response.text[:200]!r}"
                        ) from exc
                problem = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code not in RETRY_STATUS or attempt >= self.retries:
                    raise EmbedError(f"embedding service {self.url} failed: {problem}")
                wait = max(wait, _retry_after(response))
            time.sleep(min(wait, self.max_wait_s))
            attempt += 1


def _retry_after(response: httpx.Response) -> float:
    """Seconds a Retry-After header asks for (0 when absent or an HTTP date)."""
    try:
        return max(0.0, float(response.headers.get("retry-after", "0")))
    except ValueError:
        return 0.0
