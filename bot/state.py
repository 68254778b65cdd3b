"""Sync state: which articles are indexed, their metadata, chunk texts, and a write-ahead journal.

The state database (a SQLite file under the data dir, or PostgreSQL shared by several hosts: see
bot/database.py) is the source of truth for what is *done*. The protocol, which holds under `kill -9` at any
point (tests/test_crash.py):

- add: a journal row ('add') is committed, then the chunks go to Chroma, then one transaction
  records the document, its chunks and sources, clears the journal row, journals 'del' for any
  document the change left without sources, and appends to the lexical log;
- delete: a journal row ('del') is committed (in the same transaction that orphaned the document),
  then the chunks leave Chroma, then one transaction forgets the document;
- recover (start of every ingest) replays what the journal says was in flight: half-written adds
  are deleted from Chroma, pending deletes are finished, and documents left without any source are
  deleted, so no orphan chunk survives and no document is marked done with chunks missing.

Readers only see documents marked done and not pending deletion, so no query sees a half-written
article or two versions of one. The lexical log (`lexlog`) lets the BM25 index catch up
incrementally; the BM25 index is derived data and can always be rebuilt from the chunk texts here.

On a shared database one ingest writes at a time across hosts (`writer_lock`, an advisory lock held
beside the data dir's own lock), so the lexical log's sequence numbers commit in order and every
host's BM25 cache can follow them.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.database import Connection, Database, open_database
from bot.schema import Article, Chunk, Passage, date_ordinal

# A shared database keeps a week of the lexical log for hosts whose BM25 cache is behind; a host
# further behind than that rebuilds its cache from the chunk texts.
LEXLOG_KEEP_S = 7 * 24 * 3600

# Documents a reader may see: marked done and not about to be deleted.
_VISIBLE = "d.doc_id NOT IN (SELECT doc_id FROM journal WHERE op = 'del')"


@dataclass(frozen=True)
class DocRecord:
    """A stored document (one text, one or more source keys)."""

    doc_id: str
    n_chunks: int
    article_id: str


@dataclass(frozen=True)
class SourceSync:
    """The last sync of a live source as recorded: when (unix time), its report (JSON), its first failure."""

    synced_at: float | None
    report: str | None
    last_error: str | None


class StateDB:
    """Thread-safe access to the state: a SQLite file (WAL) or a PostgreSQL url (bot/database.py)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.db: Database = open_database(path)
        if self.get_meta("instance") is None:
            with self.tx() as c:
                c.execute("INSERT OR IGNORE INTO meta(k, v) VALUES ('instance', ?)", (uuid.uuid4().hex,))

    @property
    def shared(self) -> bool:
        """Whether several hosts may share this state (a database server rather than a local file)."""
        return self.db.shared

    @property
    def location(self) -> str:
        """The state file, or the database url without its password."""
        return self.db.location

    def close(self) -> None:
        """Release this store's connections."""
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """A write transaction (SQLite: BEGIN IMMEDIATE ... COMMIT), rolled back on error."""
        with self.db.tx() as con:
            yield con

    @contextmanager
    def writer_lock(self, *, wait: bool = False) -> Iterator[None]:
        """Only one ingest writes to a shared database at a time, from whichever host (IndexBusyError).

        A local file needs nothing more than the data dir's ingest lock.
        """
        with self.db.lock("newsbot-ingest", wait=wait):
            yield

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """Run a read query (SQLite's spelling, `?` parameters, on either database)."""
        return self.db.read(sql, params)

    # --- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value from the meta table."""
        rows = self.read("SELECT v FROM meta WHERE k=?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, con: Connection, key: str, value: str) -> None:
        """Set a meta value inside a transaction."""
        con.execute("INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)", (key, value))

    @property
    def instance(self) -> str:
        """A random id given to this state file when it was created (derived indexes check it)."""
        return self.get_meta("instance") or ""

    def generation(self) -> int:
        """A counter bumped by every change to the set of indexed chunks."""
        return int(self.get_meta("generation") or 0)

    def bump(self, con: Connection) -> None:
        """Bump the generation inside a transaction (one statement: safe beside other writers)."""
        con.execute(
            "INSERT INTO meta(k, v) VALUES ('generation', '1') ON CONFLICT (k) DO UPDATE"
            " SET v = CAST(CAST(meta.v AS INTEGER) + 1 AS TEXT)"
        )

    # --- sources and docs -------------------------------------------------------------------

    def source_doc(self, key: str) -> str | None:
        """The document a source key points to."""
        rows = self.read("SELECT doc_id FROM sources WHERE key=?", (key,))
        return str(rows[0][0]) if rows else None

    def sources_map(self) -> dict[str, str]:
        """Every source key and its document."""
        return {str(k): str(d) for k, d in self.read("SELECT key, doc_id FROM sources")}

    def keys_under(self, folder: str) -> list[str]:
        """Source keys whose file lies in a folder (or is that file), however the path was spelled."""
        top = _abspath(folder)
        prefix = top.rstrip("/") + "/"
        rows = self.read(
            "SELECT key FROM sources WHERE apath = ? OR substr(apath, 1, ?) = ?",
            (top, len(prefix), prefix),
        )
        return [str(r[0]) for r in rows]

    def key_paths(self, keys: Iterable[str]) -> dict[str, str | None]:
        """The absolute file path of each source key."""
        out: dict[str, str | None] = {}
        ids = list(keys)
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            for k, p in self.read(f"SELECT key, apath FROM sources WHERE key IN ({marks})", batch):
                out[str(k)] = _opt(p)
        return out

    def path_keys(self) -> dict[tuple[str, str], str]:
        """Keys of articles known by their file (no url), by (absolute path, '#Ln' suffix or '')."""
        out: dict[tuple[str, str], str] = {}
        for key, path, apath in self.read("SELECT key, path, apath FROM sources WHERE url IS NULL AND apath IS NOT NULL"):
            k, p = str(key), str(path)
            if k.startswith(p):
                out[(str(apath), k[len(p):])] = k
        return out

    def rename_key(self, con: Connection, old: str, article: Article) -> None:
        """Give a source key a new spelling of the same file path (inside a transaction)."""
        con.execute("UPDATE sources SET key=?, path=? WHERE key=?", (article.key, article.path, old))
        con.execute("UPDATE docs SET article_id=?, path=? WHERE article_id=?", (article.key, article.path, old))

    def key_apaths(self) -> dict[str, str]:
        """The absolute file path recorded for each source key that has one."""
        return {str(k): str(a) for k, a in self.read("SELECT key, apath FROM sources WHERE apath IS NOT NULL")}

    def set_apaths(self, con: Connection, pairs: Iterable[tuple[str, str]]) -> None:
        """Record where (key, absolute path) files are now, e.g. after the project folder moved."""
        con.executemany("UPDATE sources SET apath=? WHERE key=?", [(a, k) for k, a in pairs])

    def has_doc(self, doc_id: str) -> bool:
        """Whether a document is fully indexed."""
        return bool(self.read("SELECT 1 FROM docs WHERE doc_id=?", (doc_id,)))

    def doc_sources(self, doc_id: str, con: Connection | None = None) -> int:
        """How many source keys point at a document (inside a transaction when `con` is given)."""
        sql, params = "SELECT count(*) FROM sources WHERE doc_id=?", (doc_id,)
        rows = con.execute(sql, params).fetchall() if con is not None else self.read(sql, params)
        return int(rows[0][0])  # type: ignore[call-overload,arg-type]

    def put_source(self, con: Connection, article: Article, doc_id: str) -> None:
        """Point a source key at a document (inside a transaction)."""
        con.execute(
            "INSERT OR REPLACE INTO sources(key, doc_id, path, url, title, source, published, seen_at, apath)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article.key, doc_id, article.path, article.url, article.title, article.source,
             article.published, time.time(), _abspath(article.path) if article.path else None),
        )

    def add_doc(self, con: Connection, article: Article, doc_id: str, chunks: Sequence[Chunk]) -> None:
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
        con.execute("INSERT INTO lexlog(op, doc_id, at) VALUES ('add', ?, ?)", (doc_id, time.time()))

    def remove_sources(self, con: Connection, keys: Iterable[str]) -> set[str]:
        """Drop source keys (inside a transaction); returns the documents they pointed at."""
        docs: set[str] = set()
        for key in keys:
            row = con.execute("SELECT doc_id FROM sources WHERE key=?", (key,)).fetchone()
            if row:
                docs.add(str(row[0]))
            con.execute("DELETE FROM sources WHERE key=?", (key,))
        return docs

    def remove_doc(self, con: Connection, doc_id: str) -> None:
        """Forget a document and its chunks (inside a transaction)."""
        con.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        gone = con.execute("DELETE FROM docs WHERE doc_id=?", (doc_id,)).rowcount
        con.execute("DELETE FROM sources WHERE doc_id=?", (doc_id,))
        if gone:
            con.execute("INSERT INTO lexlog(op, doc_id, at) VALUES ('del', ?, ?)", (doc_id, time.time()))

    def orphan_docs(self, con: Connection | None = None) -> list[str]:
        """Documents that no source key points at any more."""
        sql = "SELECT doc_id FROM docs WHERE doc_id NOT IN (SELECT doc_id FROM sources)"
        rows = con.execute(sql).fetchall() if con is not None else self.read(sql)
        return [str(r[0]) for r in rows]

    def promote_source(self, con: Connection, doc_id: str) -> bool:
        """When a document's primary source key is gone, make a remaining one primary; True if changed."""
        row = con.execute(
            "SELECT d.article_id FROM docs d WHERE d.doc_id=? AND NOT EXISTS"
            " (SELECT 1 FROM sources s WHERE s.key = d.article_id)",
            (doc_id,),
        ).fetchone()
        if row is None:
            return False
        src = con.execute(
            "SELECT key, path, url, title, source, published FROM sources WHERE doc_id=? ORDER BY seen_at, key LIMIT 1",
            (doc_id,),
        ).fetchone()
        if src is None:
            return False
        key, path, url, title, source, published = src
        con.execute(
            "UPDATE docs SET article_id=?, path=?, url=?, title=?, source=?, published=?, published_ord=?"
            " WHERE doc_id=?",
            (key, path, url, title, source, published, date_ordinal(_opt(published)), doc_id),
        )
        return True

    def doc_meta(self, doc_id: str) -> tuple[int | None, str | None] | None:
        """(published ordinal, source) of a document, or None when it is not stored."""
        rows = self.read("SELECT published_ord, source FROM docs WHERE doc_id=?", (doc_id,))
        if not rows:
            return None
        o, s = rows[0]
        return (int(o) if o is not None else None, _opt(s))  # type: ignore[call-overload]

    # --- journal ----------------------------------------------------------------------------

    def journal(self, con: Connection, doc_ids: Iterable[str], op: str) -> None:
        """Note documents about to be written to or deleted from the stores."""
        now = time.time()
        con.executemany("INSERT OR REPLACE INTO journal(doc_id, op, at) VALUES (?,?,?)", [(d, op, now) for d in doc_ids])

    def pending(self) -> list[tuple[str, str]]:
        """Journal rows left by an interrupted ingest."""
        return [(str(d), str(o)) for d, o in self.read("SELECT doc_id, op FROM journal")]

    def clear_journal(self, con: Connection, doc_ids: Iterable[str]) -> None:
        """Drop journal rows (inside a transaction)."""
        con.executemany("DELETE FROM journal WHERE doc_id=?", [(d,) for d in doc_ids])

    # --- lexical log --------------------------------------------------------------------------

    def lexlog_max(self) -> int:
        """The sequence number of the latest change to the set of indexed documents."""
        row = self.read("SELECT max(seq) FROM lexlog")[0][0]
        if isinstance(row, int):
            return row
        return int(self.get_meta("lexlog_pruned") or 0)

    def lexlog_floor(self) -> int:
        """Changes up to this sequence number have been pruned from the log."""
        return int(self.get_meta("lexlog_pruned") or 0)

    def lexlog_since(self, seq: int) -> list[tuple[int, str, str]]:
        """(seq, op, doc_id) of every change after `seq`, oldest first."""
        rows = self.read("SELECT seq, op, doc_id FROM lexlog WHERE seq > ? ORDER BY seq", (seq,))
        return [(int(s), str(o), str(d)) for s, o, d in rows]  # type: ignore[call-overload]

    def prune_lexlog(self, upto: int) -> None:
        """Forget changes the BM25 index has taken in (on a shared database, only those over a week old:
        other hosts' caches may still need them)."""
        with self.tx() as con:
            if self.shared:
                rows = con.execute("SELECT max(seq) FROM lexlog WHERE seq <= ? AND at < ?",
                                   (upto, time.time() - LEXLOG_KEEP_S)).fetchall()
                if rows[0][0] is None:
                    return
                upto = int(rows[0][0])
            con.execute("DELETE FROM lexlog WHERE seq <= ?", (upto,))
            row = con.execute("SELECT v FROM meta WHERE k='lexlog_pruned'").fetchone()
            if row is None or int(row[0]) < upto:
                self.set_meta(con, "lexlog_pruned", str(upto))

    # --- live sources: validators of fetched urls, and each source's last sync ----------------

    def validators(self, url: str) -> tuple[str | None, str | None, str | None]:
        """(ETag, Last-Modified, article key) last seen for a fetched url; Nones when never fetched."""
        rows = self.read("SELECT etag, last_modified, key FROM fetched WHERE url=?", (url,))
        if not rows:
            return None, None, None
        etag, modified, key = rows[0]
        return _opt(etag), _opt(modified), _opt(key)

    def record_fetched(self, con: Connection, source: str,
                       rows: Iterable[tuple[str, str | None, str | None, str | None]]) -> None:
        """Remember what a source fetched, as (url, article key or None for a listing, ETag, Last-Modified)
        rows (inside a transaction)."""
        now = time.time()
        con.executemany(
            "INSERT OR REPLACE INTO fetched(url, source, key, etag, last_modified, fetched_at) VALUES (?,?,?,?,?,?)",
            [(url, source, key, etag, modified, now) for url, key, etag, modified in rows],
        )

    def forget_fetched(self, con: Connection, urls: Iterable[str]) -> None:
        """Forget the validators of fetched urls (inside a transaction)."""
        con.executemany("DELETE FROM fetched WHERE url=?", [(u,) for u in urls])

    def forget_listings(self, con: Connection, source: str) -> None:
        """Forget a source's listing validators (rows without an article), so its next sync reads the
        listing in full (inside a transaction)."""
        con.execute("DELETE FROM fetched WHERE source=? AND key IS NULL", (source,))

    def source_articles(self, source: str) -> int:
        """How many of the articles fetched for a live source are indexed."""
        rows = self.read(
            "SELECT count(DISTINCT f.key) FROM fetched f JOIN sources s ON s.key = f.key WHERE f.source=?", (source,))
        return int(rows[0][0])  # type: ignore[call-overload]

    def source_sync(self, name: str) -> SourceSync | None:
        """A live source's last sync, or None when it was never synced."""
        rows = self.read("SELECT synced_at, report, last_error FROM source_syncs WHERE name=?", (name,))
        if not rows:
            return None
        synced, report, error = rows[0]
        return SourceSync(float(synced) if synced is not None else None, _opt(report), _opt(error))  # type: ignore[arg-type]

    def record_source_sync(self, con: Connection, name: str, url: str, report: str, error: str | None) -> None:
        """Record a live source's sync: now, its report as JSON, its first failure (inside a transaction)."""
        con.execute(
            "INSERT OR REPLACE INTO source_syncs(name, url, synced_at, report, last_error) VALUES (?,?,?,?,?)",
            (name, url, time.time(), report, error),
        )

    # --- reads for retrieval ----------------------------------------------------------------

    @property
    def _urls_agg(self) -> str:
        """A document's source urls joined by newlines, in the database's spelling."""
        return "group_concat(s.url, char(10))" if self.db.dialect == "sqlite" else "string_agg(s.url, chr(10))"

    @property
    def _chunk_order(self) -> str:
        """The order chunks were written in (SQLite's rowid; elsewhere by document and position)."""
        return "c.rowid" if self.db.dialect == "sqlite" else "c.doc_id, c.idx"

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        """Passages for chunk ids, only from documents marked done and not being deleted."""
        out: dict[str, Passage] = {}
        ids = list(dict.fromkeys(chunk_ids))
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            rows = self.read(
                'SELECT c.chunk_id, c.doc_id, c.text, c.start, c."end", d.article_id, d.title, d.source,'
                " d.published, d.url, d.path,"
                f" (SELECT {self._urls_agg} FROM sources s WHERE s.doc_id = d.doc_id AND s.url IS NOT NULL)"
                f" FROM chunks c JOIN docs d ON d.doc_id = c.doc_id WHERE c.chunk_id IN ({marks}) AND {_VISIBLE}",
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
        rows = self.db.stream(
            f"SELECT c.chunk_id, c.text, d.title FROM chunks c JOIN docs d ON d.doc_id = c.doc_id ORDER BY {self._chunk_order}"
        )
        for row in rows:
            yield str(row[0]), str(row[1]), _opt(row[2])

    def chunks_of(self, doc_ids: Sequence[str]) -> list[tuple[str, str, str | None]]:
        """(chunk_id, text, title) for every chunk of the given done documents."""
        out: list[tuple[str, str, str | None]] = []
        ids = list(dict.fromkeys(doc_ids))
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            rows = self.read(
                "SELECT c.chunk_id, c.text, d.title FROM chunks c JOIN docs d ON d.doc_id = c.doc_id"
                f" WHERE c.doc_id IN ({marks}) ORDER BY {self._chunk_order}",
                batch,
            )
            out.extend((str(r[0]), str(r[1]), _opt(r[2])) for r in rows)
        return out

    def docs_meta(self, doc_ids: Sequence[str]) -> dict[str, tuple[str | None, int | None, str | None]]:
        """(title, published ordinal, source) of done documents."""
        out: dict[str, tuple[str | None, int | None, str | None]] = {}
        for i in range(0, len(doc_ids), 500):
            batch = list(doc_ids[i : i + 500])
            marks = ",".join("?" * len(batch))
            for d, t, o, src in self.read(f"SELECT doc_id, title, published_ord, source FROM docs WHERE doc_id IN ({marks})", batch):
                out[str(d)] = (_opt(t), int(o) if o is not None else None, _opt(src))  # type: ignore[call-overload]
        return out

    def chunk_rows(self, doc_ids: Sequence[str]) -> list[tuple[str, str, int, str]]:
        """(doc_id, chunk_id, index, text) of every chunk of the given documents."""
        out: list[tuple[str, str, int, str]] = []
        for i in range(0, len(doc_ids), 500):
            batch = list(doc_ids[i : i + 500])
            marks = ",".join("?" * len(batch))
            rows = self.read(f"SELECT doc_id, chunk_id, idx, text FROM chunks WHERE doc_id IN ({marks}) ORDER BY doc_id, idx", batch)
            out.extend((str(d), str(c), int(x), str(t)) for d, c, x, t in rows)  # type: ignore[call-overload]
        return out

    def newest_docs(self, limit: int = 200) -> list[tuple[str | None, str | None, str | None]]:
        """(source, title, first chunk's text) of the newest documents: by publish date, the undated
        ones last, newest added first."""
        rows = self.read(
            "SELECT d.source, d.title, c.text FROM docs d LEFT JOIN chunks c ON c.doc_id = d.doc_id AND c.idx = 0"
            f" ORDER BY d.published_ord IS NULL, d.published_ord DESC, d.added_at DESC LIMIT {int(limit)}"
        )
        return [(_opt(source), _opt(title), _opt(text)) for source, title, text in rows]

    def counts(self) -> dict[str, int]:
        """Numbers of documents, source keys and chunks."""
        docs = self.read("SELECT count(*), coalesce(sum(n_chunks), 0) FROM docs")[0]
        keys = self.read("SELECT count(*) FROM sources")[0][0]
        return {"documents": int(docs[0]), "articles": int(keys), "chunks": int(docs[1])}  # type: ignore[call-overload]

    def chunk_ids_of(self, doc_id: str) -> list[str]:
        """Chunk ids of a document as recorded."""
        return [str(r[0]) for r in self.read("SELECT chunk_id FROM chunks WHERE doc_id=? ORDER BY idx", (doc_id,))]

    def all_chunk_ids(self) -> list[str]:
        """Every recorded chunk id (for consistency checks)."""
        return [str(r[0]) for r in self.read("SELECT chunk_id FROM chunks")]


def _abspath(path: str) -> str:
    """An absolute, normalised path (symlinks kept), so 'corpus', './corpus' and /x/corpus agree."""
    return os.path.abspath(path)


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def dumps(obj: object) -> str:
    """Compact JSON."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def crash_point(name: str) -> None:
    """Test hook: with NEWSBOT_TEST_CRASH=NAME[:N], the process dies (os._exit) the Nth time it reaches NAME.

    Lets tests/test_crash.py stop a real ingest exactly inside each window of the write protocol,
    in addition to the timed `kill -9`s. Unset (always, outside tests) it costs one dict lookup.
    """
    spec = os.environ.get("NEWSBOT_TEST_CRASH")
    if not spec:
        return
    want, _, nth = spec.partition(":")
    if want != name:
        return
    count = _CRASH_COUNTS.get(name, 0) + 1
    _CRASH_COUNTS[name] = count
    if count >= int(nth or 1):
        os._exit(137)


_CRASH_COUNTS: dict[str, int] = {}
