"""Vectors -> Chroma. One store class for embedded (PersistentClient) and server (HttpClient) Chroma.

This is the only module that imports chromadb; its errors are translated into StoreError here.

Embedded Chroma loads a collection's whole HNSW index into the process on its first use (any call:
count, get, delete, add), about 2 KB per chunk. So that an ingest's memory does not grow with the
corpus, embedded collections are sharded: new documents go to the newest shard until it holds
`chroma_shard_chunks` chunks, then a new shard starts. A small SQLite map beside Chroma's files
(`<collection>.shards.sqlite`) records each document's shard, so adding, deleting or updating
documents opens only the shards that hold them. Searches query every shard and merge. A Chroma
server holds the index in its own process and is not sharded.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from bot.errors import StoreError
from bot.settings import Settings
from bot.state import crash_point

T = TypeVar("T")

HNSW = {"space": "cosine", "ef_construction": 200, "ef_search": 128, "max_neighbors": 16}


@dataclass(frozen=True)
class DenseFilter:
    """Metadata filters that the vector store applies during search."""

    max_ord: int | None = None
    min_ord: int | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShardHealth:
    """One shard as `ChromaStore.shard_health` found it."""

    shard: int
    collection: str
    count: int | None  # None: the shard failed to load
    error: str | None
    hnsw_bytes: int | None  # its HNSW files on disk (embedded Chroma only)


class ChromaStore:
    """Chunk vectors in a Chroma collection named after the embedder (so models never mix)."""

    def __init__(self, settings: Settings, embedder_name: str, dim: int, namespace: str | None = None) -> None:
        self.settings = settings
        # On a shared server, `namespace` (the state file's instance id) keeps data dirs apart: the
        # chunks of one index must never be deleted or counted by another.
        suffix = f"-{namespace}" if namespace else ""
        self.shared = bool(settings.chroma_host) and not namespace  # other indexes may use the collection
        self.collection_name = _collection_name(f"newsbot-{embedder_name}-{dim}{suffix}")
        self.shard_chunks = 0 if settings.chroma_host else max(0, settings.chroma_shard_chunks)
        self._shard_cols: dict[int, Any] = {}
        self._shard_list: tuple[float, list[int]] = (0.0, [])
        self._smap: _ShardMap | None = None
        self._client: Any = None
        self._lock = threading.RLock()

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

    def _open_client(self) -> Any:
        if self._client is not None:
            return self._client
        with self._lock:
            if self._client is None:
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
                except Exception as exc:  # noqa: BLE001 - chromadb raises many types
                    raise StoreError(f"could not open Chroma at {self.location}: {exc}") from exc
        return self._client

    def _shard_name(self, shard: int) -> str:
        return self.collection_name if shard == 0 else _collection_name(f"{self.collection_name}-s{shard}")

    def _col(self, shard: int = 0) -> Any:
        """The Chroma collection of one shard, created on first use (shard 0 is the unsharded name)."""
        col = self._shard_cols.get(shard)
        if col is not None:
            return col
        client = self._open_client()
        with self._lock:
            if shard not in self._shard_cols:
                try:
                    self._shard_cols[shard] = client.get_or_create_collection(
                        self._shard_name(shard), embedding_function=None, configuration={"hnsw": dict(HNSW)}
                    )
                except Exception as exc:  # noqa: BLE001
                    raise StoreError(f"could not open Chroma at {self.location}: {exc}") from exc
                self._shard_list = (0.0, [])
            return self._shard_cols[shard]

    def shards(self) -> list[int]:
        """The shards that exist (listed from Chroma's catalogue, which loads no index), re-read every 2 s."""
        if not self.shard_chunks:
            return [0]
        at, known = self._shard_list
        if known and time.monotonic() - at < 2.0:
            return known
        names = self._collection_names()
        prefix = f"{self.collection_name}-s"
        found = {0} | {int(n[len(prefix):]) for n in names if n.startswith(prefix) and n[len(prefix):].isdigit()}
        known = sorted(found)
        self._shard_list = (time.monotonic(), known)
        return known

    def _collection_names(self) -> set[str]:
        """Names of the collections in Chroma's catalogue (listing them loads no index)."""
        try:
            return {c.name if hasattr(c, "name") else str(c) for c in self._open_client().list_collections()}
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"could not list Chroma collections at {self.location}: {exc}") from exc

    def _map(self) -> _ShardMap | None:
        """The document -> shard map of a sharded (embedded) store."""
        if not self.shard_chunks:
            return None
        if self._smap is None:
            self._smap = _ShardMap(self.settings.data_dir / "chroma" / f"{self.collection_name}.shards.sqlite", self)
        return self._smap

    def add(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        """Upsert chunk vectors in batches the server accepts; a document's chunks go to its shard."""
        client = self._open_client()
        try:
            limit = max(1, min(4096, int(client.get_max_batch_size())))
        except Exception:  # noqa: BLE001 - older servers lack the call
            limit = 1000
        smap = self._map()
        try:
            if smap is None:
                groups = {0: list(range(len(ids)))}
            else:
                # The map is written before Chroma: a crash in between leaves a document the map places
                # but Chroma lacks (its journaled add is deleted by recovery), never the reverse.
                with _file_lock(self._lock_path, exclusive=True):
                    groups = smap.assign([_doc_of(i, m) for i, m in zip(ids, metadatas)])
                crash_point("shard_mapped")
            for shard, rows in sorted(groups.items()):
                col = self._col(shard)
                for i in range(0, len(rows), limit):
                    part = rows[i : i + limit]
                    with _file_lock(self._lock_path, exclusive=True):
                        col.upsert(
                            ids=[ids[j] for j in part],
                            embeddings=np.asarray(vectors)[part],
                            documents=[texts[j] for j in part],
                            metadatas=[metadatas[j] for j in part],
                        )
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"could not write to Chroma at {self.location}: {exc}") from exc

    def delete_docs(self, doc_ids: Sequence[str]) -> None:
        """Delete every chunk of the given documents (opening only the shards that hold them)."""
        if not doc_ids:
            return
        smap = self._map()
        groups = {0: list(doc_ids)} if smap is None else smap.locate(doc_ids)
        try:
            for shard, docs in sorted(groups.items()):
                col = self._col(shard)
                for i in range(0, len(docs), 500):
                    with _file_lock(self._lock_path, exclusive=True):
                        col.delete(where={"doc_id": {"$in": list(docs[i : i + 500])}})
            if smap is not None:
                with _file_lock(self._lock_path, exclusive=True):
                    smap.forget(doc_ids, legacy_touched=0 in groups)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"could not delete from Chroma at {self.location}: {exc}") from exc

    def search(self, vector: np.ndarray, n: int, flt: DenseFilter | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity, best first (every shard searched, results merged)."""
        where = _where(flt) if flt else None
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        best: dict[str, float] = {}
        for shard in self.shards():
            for cid, sim in self._query(shard, query, n, where):
                if sim > best.get(cid, -2.0):
                    best[cid] = sim
        return sorted(best.items(), key=lambda kv: -kv[1])[:n]

    def _query(self, shard: int, query: np.ndarray, n: int, where: dict[str, Any] | None) -> list[tuple[str, float]]:
        col = self._col(shard)

        def read() -> Any:
            with _file_lock(self._lock_path, exclusive=False):
                return col.query(query_embeddings=query, n_results=n, where=where, include=["distances"])

        try:
            # Embedded Chroma read by one process while another ingest flushes can fail
            # transiently ("Error finding id"); a short retry sees the flushed segment.
            res = retried(read, attempts=6, delay_s=0.05)
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Chroma query failed at {self.location}: {exc}") from exc
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [1.0] * len(ids)
        return [(str(i), 1.0 - float(d)) for i, d in zip(ids, dists)]

    def update_metadata(self, doc_id: str, chunk_ids: Sequence[str], metadata: dict[str, Any]) -> None:
        """Replace the filter metadata of a document's chunks (when its primary source changes)."""
        if not chunk_ids:
            return
        smap = self._map()
        shards = [0] if smap is None else list(smap.locate([doc_id]))
        try:
            for shard in shards:
                self._col(shard).update(ids=list(chunk_ids), metadatas=[{**metadata, "doc_id": doc_id} for _ in chunk_ids])
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"could not update Chroma at {self.location}: {exc}") from exc

    def count(self) -> int:
        """Number of stored chunk vectors (opens every shard)."""
        try:
            return sum(int(self._col(shard).count()) for shard in self.shards())
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Chroma count failed at {self.location}: {exc}") from exc

    def holds(self, expected: int) -> bool:
        """Whether the store holds `expected` chunks, opening as few shards as it can.

        A sharded store counts its older shards from the map and the newest one in Chroma; when that
        disagrees it counts every shard and, if Chroma is right after all, rebuilds the map from Chroma.
        """
        smap = self._map()
        if smap is None:
            return self.count() == expected
        shards = self.shards()
        counts = smap.counts()
        try:
            newest = int(self._col(shards[-1]).count())
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Chroma count failed at {self.location}: {exc}") from exc
        if sum(counts.get(s, 0) for s in shards[:-1]) + newest == expected and counts.get(shards[-1], 0) == newest:
            return True
        if self.count() != expected:
            return False
        with _file_lock(self._lock_path, exclusive=True):
            smap.rebuild({s: self._col(s) for s in shards})
        return True

    def doc_chunk_ids(self, doc_ids: Sequence[str]) -> list[str]:
        """Chunk ids stored for documents in any shard (for consistency checks)."""
        if not doc_ids:
            return []
        try:
            return [str(i) for shard in self.shards()
                    for i in self._col(shard).get(where={"doc_id": {"$in": list(doc_ids)}}, include=[])["ids"]]
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Chroma get failed at {self.location}: {exc}") from exc

    def shard_ids(self, shard: int, page: int = 5000) -> list[str]:
        """Every stored chunk id of one shard, read a page at a time (for `newsbot doctor`)."""
        out: list[str] = []
        try:
            col = self._col(shard)
            while True:
                ids = col.get(include=[], limit=page, offset=len(out))["ids"]
                out.extend(str(i) for i in ids)
                if len(ids) < page:
                    return out
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Chroma get failed at {self.location}: {exc}") from exc

    def shard_health(self) -> list[ShardHealth]:
        """Per shard: its chunk count, or the error that loading it raised; the size of its HNSW files.

        Counting loads a collection's HNSW index, so a missing or corrupt index file shows here.
        """
        sizes = self._hnsw_bytes()
        out: list[ShardHealth] = []
        for shard in self.shards():
            name = self._shard_name(shard)
            try:
                count: int | None = int(self._col(shard).count())
                error = None
            except Exception as exc:  # noqa: BLE001 - any failure to load is what is asked
                count, error = None, str(exc.__cause__ or exc)
            out.append(ShardHealth(shard, name, count, error, sizes.get(name)))
        return out

    def _hnsw_bytes(self) -> dict[str, int]:
        """Bytes of each collection's HNSW files on disk (embedded Chroma; empty for a server)."""
        if self.settings.chroma_host:
            return {}
        folder = self.settings.data_dir / "chroma"
        try:
            con = sqlite3.connect(f"file:{folder / 'chroma.sqlite3'}?mode=ro", uri=True, timeout=30)
            try:
                rows = con.execute("SELECT c.name, s.id FROM segments s JOIN collections c ON s.collection = c.id"
                                   " WHERE s.scope = 'VECTOR'").fetchall()
            finally:
                con.close()
        except sqlite3.Error:
            return {}
        out: dict[str, int] = {}
        for name, segment in rows:
            seg_dir = folder / str(segment)
            if seg_dir.is_dir():
                out[str(name)] = sum(f.stat().st_size for f in seg_dir.iterdir() if f.is_file())
        return out

    def delete_ids(self, shard: int, chunk_ids: Sequence[str]) -> None:
        """Delete chunks by id from one shard (vectors the state does not know, for `newsbot doctor`)."""
        try:
            col = self._col(shard)
            for i in range(0, len(chunk_ids), 500):
                with _file_lock(self._lock_path, exclusive=True):
                    col.delete(ids=list(chunk_ids[i : i + 500]))
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"could not delete from Chroma at {self.location}: {exc}") from exc

    def drop_shard(self, shard: int) -> None:
        """Delete one shard's collection (its HNSW files too); the shard map keeps its documents' places,
        so re-adding them recreates the shard (`newsbot doctor --repair`)."""
        name = self._shard_name(shard)
        try:
            with self._lock, _file_lock(self._lock_path, exclusive=True):
                self._open_client().delete_collection(name)
                self._shard_cols.pop(shard, None)
                self._shard_list = (0.0, [])
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"could not delete {name} from Chroma at {self.location}: {exc}") from exc

    def all_ids(self, page: int = 5000) -> list[str]:
        """Every stored chunk id in any shard (for consistency checks), read a page at a time."""
        out: list[str] = []
        try:
            for shard in self.shards():
                col = self._col(shard)
                start = len(out)
                while True:
                    ids = col.get(include=[], limit=page, offset=len(out) - start)["ids"]
                    out.extend(str(i) for i in ids)
                    if len(ids) < page:
                        break
            return out
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Chroma get failed at {self.location}: {exc}") from exc


class _ShardMap:
    """Document -> shard for a sharded embedded store, with each document's chunk count.

    Only writers use it, under the exclusive lock on Chroma's folder. Shard 0 of an index built
    before sharding holds documents the map does not know ("legacy" chunks, counted once).
    """

    def __init__(self, path: Path, store: ChromaStore) -> None:
        self.path = path
        self.store = store
        self.limit = store.shard_chunks
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._con() as con:
            con.execute("CREATE TABLE IF NOT EXISTS docs(doc_id TEXT PRIMARY KEY, shard INTEGER NOT NULL, chunks INTEGER NOT NULL)")
            con.execute("CREATE INDEX IF NOT EXISTS docs_shard ON docs(shard)")
            con.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
            fresh = con.execute("SELECT value FROM meta WHERE key='legacy'").fetchone() is None
            if fresh:
                legacy = int(store._col(0).count()) if store.shards() == [0] and store.collection_name in store._collection_names() else 0
                con.execute("INSERT INTO meta VALUES('legacy', ?)", (legacy,))
        if fresh and store.shards() != [0]:  # shards exist but their map was lost: re-read it from Chroma
            self.rebuild({s: store._col(s) for s in store.shards()})

    def _con(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60, isolation_level=None)

    def _legacy(self, con: sqlite3.Connection) -> int:
        row = con.execute("SELECT value FROM meta WHERE key='legacy'").fetchone()
        return int(row[0]) if row else 0

    def counts(self) -> dict[int, int]:
        """Chunks per shard as the map knows them."""
        con = self._con()
        try:
            return self._counts(con)
        finally:
            con.close()

    def _counts(self, con: sqlite3.Connection) -> dict[int, int]:
        out = {int(s): int(n) for s, n in con.execute("SELECT shard, SUM(chunks) FROM docs GROUP BY shard")}
        out[0] = out.get(0, 0) + self._legacy(con)
        return out

    def assign(self, doc_of_row: list[str]) -> dict[int, list[int]]:
        """Rows grouped by shard: a known document stays in its shard, new ones fill the newest."""
        per_doc: dict[str, list[int]] = {}
        for row, doc in enumerate(doc_of_row):
            per_doc.setdefault(doc, []).append(row)
        con = self._con()
        try:
            con.execute("BEGIN IMMEDIATE")
            known = dict(_execute_in(con, "SELECT doc_id, shard FROM docs WHERE doc_id IN ({})", list(per_doc)))
            counts = self._counts(con)
            newest = max([*counts, *self.store.shards()])
            groups: dict[int, list[int]] = {}
            for doc, rows in per_doc.items():
                shard = known.get(doc)
                if shard is None:
                    if counts.get(newest, 0) and counts.get(newest, 0) + len(rows) > self.limit:
                        newest += 1
                    shard = newest
                    counts[shard] = counts.get(shard, 0) + len(rows)
                    con.execute("INSERT INTO docs VALUES(?, ?, ?)", (doc, shard, len(rows)))
                else:
                    con.execute("UPDATE docs SET chunks=max(chunks, ?) WHERE doc_id=?", (len(rows), doc))
                groups.setdefault(int(shard), []).extend(rows)
            con.execute("COMMIT")
            return groups
        finally:
            con.close()

    def locate(self, doc_ids: Sequence[str]) -> dict[int, list[str]]:
        """The shards holding these documents; unknown ones can only be legacy chunks of shard 0."""
        con = self._con()
        try:
            known = dict(_execute_in(con, "SELECT doc_id, shard FROM docs WHERE doc_id IN ({})", list(doc_ids)))
            legacy = self._legacy(con) > 0
        finally:
            con.close()
        groups: dict[int, list[str]] = {}
        for doc in dict.fromkeys(doc_ids):
            shard = known.get(doc, 0 if legacy else None)
            if shard is not None:
                groups.setdefault(int(shard), []).append(doc)
        return groups

    def forget(self, doc_ids: Sequence[str], legacy_touched: bool) -> None:
        """Drop deleted documents; recount shard 0's legacy chunks when the delete reached them."""
        con = self._con()
        try:
            con.execute("BEGIN IMMEDIATE")
            _execute_in(con, "DELETE FROM docs WHERE doc_id IN ({})", list(doc_ids))
            if legacy_touched and self._legacy(con):
                mapped = con.execute("SELECT COALESCE(SUM(chunks), 0) FROM docs WHERE shard=0").fetchone()[0]
                con.execute("UPDATE meta SET value=? WHERE key='legacy'", (max(0, int(self.store._col(0).count()) - int(mapped)),))
            con.execute("COMMIT")
        finally:
            con.close()

    def rebuild(self, cols: dict[int, Any], page: int = 5000) -> None:
        """Re-read every shard's document ids from Chroma (after a crash left the map ahead of it)."""
        per_doc: dict[str, tuple[int, int]] = {}
        for shard, col in cols.items():
            offset = 0
            while True:
                got = col.get(include=["metadatas"], limit=page, offset=offset)
                for cid, meta in zip(got["ids"], got["metadatas"] or []):
                    doc = _doc_of(str(cid), meta or {})
                    per_doc[doc] = (shard, per_doc.get(doc, (shard, 0))[1] + 1)
                offset += len(got["ids"])
                if len(got["ids"]) < page:
                    break
        con = self._con()
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("DELETE FROM docs")
            con.executemany("INSERT INTO docs VALUES(?, ?, ?)", [(d, s, n) for d, (s, n) in per_doc.items()])
            con.execute("UPDATE meta SET value=0 WHERE key='legacy'")
            con.execute("COMMIT")
        finally:
            con.close()


def _execute_in(con: sqlite3.Connection, sql: str, values: list[str]) -> list[tuple[Any, ...]]:
    """Run `sql` (whose IN list is `{}`) over `values` 500 at a time; the rows of every part."""
    out: list[tuple[Any, ...]] = []
    for i in range(0, len(values), 500):
        part = values[i : i + 500]
        out.extend(con.execute(sql.format(",".join("?" * len(part))), part).fetchall())
    return out


def _doc_of(chunk_id: str, metadata: dict[str, Any]) -> str:
    doc = metadata.get("doc_id")
    return str(doc) if doc else chunk_id.rsplit(":", 1)[0]


def retried(call: Callable[[], T], attempts: int, delay_s: float,
            transient: Callable[[Exception], bool] = lambda exc: True) -> T:
    """`call()`, tried up to `attempts` times while it raises an exception `transient` accepts, sleeping
    `delay_s` seconds before the second try and twice as long before each next; the last exception,
    or the first one `transient` rejects, is raised."""
    for attempt in range(attempts - 1):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - chromadb raises many types
            if not transient(exc):
                raise
            time.sleep(delay_s * 2**attempt)
    return call()


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
        # Articles without a date (published_ord == 0) are left out by every date filter, as in
        # bot/retrieve.py's _meta_passes (a lower bound leaves them out already).
        clauses.append({"published_ord": {"$lte": flt.max_ord}})
        clauses.append({"published_ord": {"$gt": 0}})
    if flt.min_ord is not None:
        clauses.append({"published_ord": {"$gte": flt.min_ord}})
    if flt.sources:
        clauses.append({"source_lc": {"$in": [x.lower() for x in flt.sources]}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _collection_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9._-]", "-", name)[:500]
