"""Vectors -> Chroma. One store class for embedded (PersistentClient) and server (HttpClient) Chroma.

This is the only module that imports chromadb; its errors are translated into StoreError here.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from bot.errors import StoreError
from bot.settings import Settings

HNSW = {"space": "cosine", "ef_construction": 200, "ef_search": 128, "max_neighbors": 16}


@dataclass(frozen=True)
class DenseFilter:
    """Metadata filters that the vector store applies during search."""

    max_ord: int | None = None
    min_ord: int | None = None
    sources: tuple[str, ...] = ()


class VectorStore(Protocol):
    """Stores chunk vectors and finds the nearest ones."""

    def search(self, vector: np.ndarray, n: int, flt: DenseFilter | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity, best first."""
        ...


class ChromaStore:
    """Chunk vectors in a Chroma collection named after the embedder (so models never mix)."""

    def __init__(self, settings: Settings, embedder_name: str, dim: int, namespace: str | None = None) -> None:
        self.settings = settings
        # On a shared server, `namespace` (the state file's instance id) keeps data dirs apart: the
        # chunks of one index must never be deleted or counted by another.
        suffix = f"-{namespace}" if namespace else ""
        self.shared = bool(settings.chroma_host) and not namespace  # other indexes may use the collection
        self.collection_name = _collection_name(f"newsbot-{embedder_name}-{dim}{suffix}")
        self._collection: Any = None
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def _lock_path(self) -> Path | None:
        return None if self.settings.chroma_host else self.settings.data_dir / "chroma.lock"

    @property
    def location(self) -> str:
        """Where the vectors live, for `newsbot stats`."""
        s = self.settings
        if s.chroma_host:
            return f"chroma server http://{s.chroma_host}:{s.chroma_port} collection {self.collection_name}"
        return f"{s.data_dir / 'chroma'} collection {self.collection_name}"

    def _col(self) -> Any:
        if self._collection is not None:
            return self._collection
        with self._lock:
            if self._collection is None:
                try:
                    import chromadb
                    from chromadb.config import Settings as ChromaSettings

                    chroma_settings = ChromaSettings(anonymized_telemetry=False)
                    s = self.settings
                    if s.chroma_host:
                        self._client = chromadb.HttpClient(host=s.chroma_host, port=s.chroma_port or 8000, settings=chroma_settings)
                    else:
                        (s.data_dir / "chroma").mkdir(parents=True, exist_ok=True)
                        self._client = chromadb.PersistentClient(path=str(s.data_dir / "chroma"), settings=chroma_settings)
                    self._collection = self._client.get_or_create_collection(
                        self.collection_name, embedding_function=None, configuration={"hnsw": dict(HNSW)}
                    )
                except Exception as exc:  # noqa: BLE001 - chromadb raises many types
                    raise StoreError(f"could not open Chroma at {self.location}: {exc}") from exc
        return self._collection

    def add(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        """Upsert chunk vectors in batches the server accepts."""
        col = self._col()
        try:
            limit = max(1, min(4096, int(self._client.get_max_batch_size())))
        except Exception:  # noqa: BLE001 - older servers lack the call
            limit = 1000
        try:
            for i in range(0, len(ids), limit):
                with _file_lock(self._lock_path, exclusive=True):
                    col.upsert(
                        ids=list(ids[i : i + limit]),
                        embeddings=vectors[i : i + limit],
                        documents=list(texts[i : i + limit]),
                        metadatas=list(metadatas[i : i + limit]),
                    )
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"could not write to Chroma at {self.location}: {exc}") from exc

    def delete_docs(self, doc_ids: Sequence[str]) -> None:
        """Delete every chunk of the given documents."""
        if not doc_ids:
            return
        col = self._col()
        try:
            for i in range(0, len(doc_ids), 500):
                with _file_lock(self._lock_path, exclusive=True):
                    col.delete(where={"doc_id": {"$in": list(doc_ids[i : i + 500])}})
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"could not delete from Chroma at {self.location}: {exc}") from exc

    def search(self, vector: np.ndarray, n: int, flt: DenseFilter | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity, best first."""
        col = self._col()
        where = _where(flt) if flt else None
        attempts = 6
        for attempt in range(attempts):
            try:
                with _file_lock(self._lock_path, exclusive=False):
                    res = col.query(
                        query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
                        n_results=n,
                        where=where,
                        include=["distances"],
                    )
                break
            except Exception as exc:  # noqa: BLE001
                # Embedded Chroma read by one process while another ingest flushes can fail
                # transiently ("Error finding id"); a short retry sees the flushed segment.
                if attempt == attempts - 1:
                    raise StoreError(f"Chroma query failed at {self.location}: {exc}") from exc
                time.sleep(0.05 * 2**attempt)
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [1.0] * len(ids)
        return [(str(i), 1.0 - float(d)) for i, d in zip(ids, dists)]

    def update_metadata(self, doc_id: str, chunk_ids: Sequence[str], metadata: dict[str, Any]) -> None:
        """Replace the filter metadata of a document's chunks (when its primary source changes)."""
        if not chunk_ids:
            return
        try:
            self._col().update(ids=list(chunk_ids), metadatas=[{**metadata, "doc_id": doc_id} for _ in chunk_ids])
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"could not update Chroma at {self.location}: {exc}") from exc

    def count(self) -> int:
        """Number of stored chunk vectors."""
        try:
            return int(self._col().count())
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Chroma count failed at {self.location}: {exc}") from exc

    def doc_chunk_ids(self, doc_ids: Sequence[str]) -> list[str]:
        """Chunk ids stored for documents (for consistency checks)."""
        if not doc_ids:
            return []
        try:
            res = self._col().get(where={"doc_id": {"$in": list(doc_ids)}}, include=[])
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Chroma get failed at {self.location}: {exc}") from exc
        return [str(i) for i in res["ids"]]

    def all_ids(self, page: int = 5000) -> list[str]:
        """Every stored chunk id (for consistency checks), read a page at a time."""
        out: list[str] = []
        try:
            col = self._col()
            while True:
                ids = col.get(include=[], limit=page, offset=len(out))["ids"]
                out.extend(str(i) for i in ids)
                if len(ids) < page:
                    return out
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Chroma get failed at {self.location}: {exc}") from exc


@contextmanager
def _file_lock(path: Path | None, exclusive: bool) -> Iterator[None]:
    """Shared (readers) or exclusive (writers) lock across processes on embedded Chroma's folder.

    Embedded Chroma is not safe for one process to read while another writes (reads failed with
    "Error finding id" and once crashed); readers wait for a write batch to finish instead.
    """
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _where(flt: DenseFilter) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if flt.max_ord is not None:
        # Articles without a date (published_ord == 0) are kept: their date is unknown, not late.
        clauses.append({"$or": [{"published_ord": {"$lte": flt.max_ord}}, {"published_ord": {"$eq": 0}}]})
    if flt.min_ord is not None:
        clauses.append({"published_ord": {"$gte": flt.min_ord}})
    if flt.sources:
        clauses.append({"source_lc": {"$in": [x.lower() for x in flt.sources]}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _collection_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9._-]", "-", name)[:500]
