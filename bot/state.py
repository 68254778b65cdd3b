"""Sync state in SQLite: which articles are indexed, their metadata, chunk texts, and a write-ahead journal.

SQLite is the source of truth for what is *done*. Chroma and the BM25 index are written first and
only then is a document marked done here, in one transaction; a crash in between leaves a journal
row that the next ingest replays (deleting the half-written chunks), so no reader ever sees a
half-written article and no orphan chunk survives.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.schema import Article, Chunk, Passage, date_ordinal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY, n_chunks INTEGER NOT NULL, title TEXT, source TEXT, author TEXT,
    published TEXT, published_ord INTEGER, url TEXT, path TEXT, article_id TEXT NOT NULL,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, path TEXT, url TEXT, title TEXT, source TEXT,
    published TEXT, seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_doc ON sources(doc_id);
CREATE INDEX IF NOT EXISTS sources_path ON sources(path);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, idx INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS journal (doc_id TEXT PRIMARY KEY, op TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
"""


@dataclass(frozen=True)
class DocRecord:
    """A stored document (one text, one or more source keys)."""

    doc_id: str
    n_chunks: int
    article_id: str


class StateDB:
    """Thread-safe access to the SQLite state file (WAL mode, one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con().executescript(_SCHEMA)

    def _con(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA busy_timeout=30000")
            self._local.con = con
        return con

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error)."""
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """Run a read query."""
        return self._con().execute(sql, params).fetchall()

    # --- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value from the meta table."""
        rows = self.read("SELECT v FROM meta WHERE k=?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, con: sqlite3.Connection, key: str, value: str) -> None:
        """Set a meta value inside a transaction."""
        con.execute("INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        """A counter bumped by every change to the set of indexed chunks."""
        return int(self.get_meta("generation") or 0)

    def bump(self, con: sqlite3.Connection) -> None:
        """Bump the generation inside a transaction."""
        row = con.execute("SELECT v FROM meta WHERE k='generation'").fetchone()
        self.set_meta(con, "generation", str(int(row[0]) + 1 if row else 1))

    # --- sources and docs -------------------------------------------------------------------

    def source_doc(self, key: str) -> str | None:
        """The document a source key points to."""
        rows = self.read("SELECT doc_id FROM sources WHERE key=?", (key,))
        return str(rows[0][0]) if rows else None

    def sources_map(self) -> dict[str, str]:
        """Every source key and its document."""
        return {str(k): str(d) for k, d in self.read("SELECT key, doc_id FROM sources")}

    def keys_under(self, folder: str) -> list[str]:
        """Source keys whose file lies in a folder (or is that file)."""
        prefix = folder.rstrip("/") + "/"
        rows = self.read(
            "SELECT key FROM sources WHERE path = ? OR substr(path, 1, ?) = ?",
            (folder, len(prefix), prefix),
        )
        return [str(r[0]) for r in rows]

    def has_doc(self, doc_id: str) -> bool:
        """Whether a document is fully indexed."""
        return bool(self.read("SELECT 1 FROM docs WHERE doc_id=?", (doc_id,)))

    def doc_sources(self, doc_id: str) -> int:
        """How many source keys point at a document."""
        return int(self.read("SELECT count(*) FROM sources WHERE doc_id=?", (doc_id,))[0][0])  # type: ignore[call-overload]

    def put_source(self, con: sqlite3.Connection, article: Article, doc_id: str) -> None:
        """Point a source key at a document (inside a transaction)."""
        con.execute(
            "INSERT OR REPLACE INTO sources(key, doc_id, path, url, title, source, published, seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (article.key, doc_id, article.path, article.url, article.title, article.source,
             article.published, time.time()),
        )

    def add_doc(self, con: sqlite3.Connection, article: Article, doc_id: str, chunks: Sequence[Chunk]) -> None:
        """Record a fully written document, its chunks and its first source (inside a transaction)."""
        con.execute(
            "INSERT OR REPLACE INTO docs(doc_id, n_chunks, title, source, author, published,"
            " published_ord, url, path, article_id, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (doc_id, len(chunks), article.title, article.source, article.author, article.published,
             date_ordinal(article.published), article.url, article.path, article.key, time.time()),
        )
        con.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        con.executemany(
            'INSERT INTO chunks(chunk_id, doc_id, idx, start, "end", text) VALUES (?,?,?,?,?,?)',
            [(c.id, doc_id, c.index, c.start, c.end, c.text) for c in chunks],
        )

    def remove_doc(self, con: sqlite3.Connection, doc_id: str) -> None:
        """Forget a document and its chunks (inside a transaction)."""
        con.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        con.execute("DELETE FROM docs WHERE doc_id=?", (doc_id,))
        con.execute("DELETE FROM sources WHERE doc_id=?", (doc_id,))

    # --- journal ----------------------------------------------------------------------------

    def journal(self, con: sqlite3.Connection, doc_ids: Iterable[str], op: str) -> None:
        """Note documents about to be written to or deleted from the stores."""
        now = time.time()
        con.executemany("INSERT OR REPLACE INTO journal(doc_id, op, at) VALUES (?,?,?)", [(d, op, now) for d in doc_ids])

    def pending(self) -> list[tuple[str, str]]:
        """Journal rows left by an interrupted ingest."""
        return [(str(d), str(o)) for d, o in self.read("SELECT doc_id, op FROM journal")]

    def clear_journal(self, con: sqlite3.Connection, doc_ids: Iterable[str]) -> None:
        """Drop journal rows (inside a transaction)."""
        con.executemany("DELETE FROM journal WHERE doc_id=?", [(d,) for d in doc_ids])

    # --- reads for retrieval ----------------------------------------------------------------

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        """Passages for chunk ids, only from documents marked done."""
        out: dict[str, Passage] = {}
        ids = list(dict.fromkeys(chunk_ids))
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            rows = self.read(
                'SELECT c.chunk_id, c.doc_id, c.text, c.start, c."end", d.article_id, d.title, d.source,'
                " d.published, d.url, d.path,"
                " (SELECT group_concat(s.url, char(10)) FROM sources s WHERE s.doc_id = d.doc_id AND s.url IS NOT NULL)"
                f" FROM chunks c JOIN docs d ON d.doc_id = c.doc_id WHERE c.chunk_id IN ({marks})",
                batch,
            )
            for r in rows:
                urls = tuple(sorted(set(str(r[11]).split("\n")))) if r[11] else ()
                out[str(r[0])] = Passage(
                    chunk_id=str(r[0]), doc_id=str(r[1]), text=str(r[2]), start=int(r[3]),  # type: ignore[call-overload]
                    end=int(r[4]), article_id=str(r[5]), title=_opt(r[6]), source=_opt(r[7]),  # type: ignore[call-overload]
                    published=_opt(r[8]), url=_opt(r[9]), path=_opt(r[10]), urls=urls,
                )
        return out

    def doc_dates(self, doc_ids: Iterable[str]) -> dict[str, tuple[int | None, str | None]]:
        """(published ordinal, source) for documents."""
        ids = list(set(doc_ids))
        out: dict[str, tuple[int | None, str | None]] = {}
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            for d, o, s in self.read(f"SELECT doc_id, published_ord, source FROM docs WHERE doc_id IN ({marks})", batch):
                out[str(d)] = (int(o) if o is not None else None, _opt(s))  # type: ignore[call-overload]
        return out

    def all_chunks(self) -> Iterator[tuple[str, str, str | None]]:
        """(chunk_id, text, title) for every chunk of every done document, in a stable order."""
        cur = self._con().execute(
            "SELECT c.chunk_id, c.text, d.title FROM chunks c JOIN docs d ON d.doc_id = c.doc_id ORDER BY c.rowid"
        )
        for row in cur:
            yield str(row[0]), str(row[1]), _opt(row[2])

    def counts(self) -> dict[str, int]:
        """Numbers of documents, source keys and chunks."""
        docs = self.read("SELECT count(*), coalesce(sum(n_chunks), 0) FROM docs")[0]
        keys = self.read("SELECT count(*) FROM sources")[0][0]
        return {"documents": int(docs[0]), "articles": int(keys), "chunks": int(docs[1])}  # type: ignore[call-overload]

    def chunk_ids_of(self, doc_id: str) -> list[str]:
        """Chunk ids of a document as recorded."""
        return [str(r[0]) for r in self.read("SELECT chunk_id FROM chunks WHERE doc_id=? ORDER BY idx", (doc_id,))]


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def dumps(obj: object) -> str:
    """Compact JSON."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
