"""The state database: a SQLite file under the data dir (the default) or PostgreSQL (NEWSBOT_DATABASE_URL).

Every store (`StateDB`, `SlackState`, `SessionStore`) is written once, in SQLite's spelling with `?`
parameters, against `Database`: `tx()` (one write transaction), `read()`, `stream()` and `lock()`.

- `SqliteDatabase` is what newsbot always did: one connection per thread, WAL, `BEGIN IMMEDIATE`
  (one writer at a time across processes), `busy_timeout`.
- `PostgresDatabase` (psycopg 3 and its pool) rewrites the few SQLite-isms once per statement:
  `?` -> `%s`, `INSERT OR IGNORE` -> `ON CONFLICT DO NOTHING`, `INSERT OR REPLACE` -> `ON CONFLICT
  (primary key) DO UPDATE` (primary keys from the schema below). Transactions are READ COMMITTED, so
  the stores never read-then-write a row another transaction may write: they use `INSERT ... ON
  CONFLICT`, single-statement increments, and `lock()` (an advisory lock) where a check spans rows.

Schema migrations are versioned here (`MIGRATIONS`) and applied on open in one transaction under a
lock, recorded in `schema_version`; a SQLite file written before versioning reads as version 0 and is
brought up to date in place.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from bot.errors import IndexBusyError, StoreError


class Cursor(Protocol):
    """What `execute` returns (sqlite3's and psycopg's cursors both are one)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """A connection inside a transaction: SQLite-spelled SQL with `?` parameters."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any: ...


# --- schema -------------------------------------------------------------------------------------

# Primary keys of every table, for INSERT OR REPLACE on PostgreSQL.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "docs": ("doc_id",), "sources": ("key",), "chunks": ("chunk_id",), "journal": ("doc_id",),
    "lexlog": ("seq",), "meta": ("k",), "fetched": ("url",), "source_syncs": ("name",),
    "sessions": ("key",), "slack_seen": ("key",), "slack_once": ("key",),
    "slack_rate_warned": ("user",), "slack_threads": ("channel", "thread_ts"),
    "slack_answers": ("answer_id",), "slack_feedback": ("answer_id", "user"), "schema_version": ("version",),
}

# The schema newsbot wrote before migrations were versioned (version 1). `{real}` and `{serial}` are
# the dialect's float and auto-increment key; `"user"` is quoted (a reserved word in PostgreSQL).
_BASELINE = """
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY, n_chunks INTEGER NOT NULL, title TEXT, source TEXT, author TEXT,
    published TEXT, published_ord INTEGER, url TEXT, path TEXT, article_id TEXT NOT NULL,
    added_at {real} NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, path TEXT, url TEXT, title TEXT, source TEXT,
    published TEXT, seen_at {real} NOT NULL, apath TEXT
);
CREATE INDEX IF NOT EXISTS sources_doc ON sources(doc_id);
CREATE INDEX IF NOT EXISTS sources_path ON sources(path);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, idx INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS journal (doc_id TEXT PRIMARY KEY, op TEXT NOT NULL, at {real} NOT NULL);
CREATE TABLE IF NOT EXISTS lexlog (seq {serial}, op TEXT NOT NULL, doc_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fetched (
    url TEXT PRIMARY KEY, source TEXT NOT NULL, key TEXT, etag TEXT, last_modified TEXT, fetched_at {real}
);
CREATE TABLE IF NOT EXISTS source_syncs (
    name TEXT PRIMARY KEY, url TEXT NOT NULL, synced_at {real}, report TEXT, last_error TEXT
);
CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, turns TEXT NOT NULL, updated {real} NOT NULL);
CREATE TABLE IF NOT EXISTS slack_seen (key TEXT PRIMARY KEY, at {real} NOT NULL);
CREATE INDEX IF NOT EXISTS slack_seen_at ON slack_seen(at);
CREATE TABLE IF NOT EXISTS slack_once (key TEXT PRIMARY KEY, at {real} NOT NULL);
CREATE TABLE IF NOT EXISTS slack_rate ("user" TEXT NOT NULL, at {real} NOT NULL);
CREATE INDEX IF NOT EXISTS slack_rate_user ON slack_rate("user", at);
CREATE TABLE IF NOT EXISTS slack_rate_warned ("user" TEXT PRIMARY KEY, until {real} NOT NULL);
CREATE TABLE IF NOT EXISTS slack_threads (
    channel TEXT NOT NULL, thread_ts TEXT NOT NULL, at {real} NOT NULL,
    PRIMARY KEY (channel, thread_ts)
);
CREATE TABLE IF NOT EXISTS slack_answers (
    answer_id TEXT PRIMARY KEY, question TEXT NOT NULL, answer TEXT NOT NULL,
    abstained INTEGER NOT NULL, citations TEXT NOT NULL, channel TEXT, thread_ts TEXT,
    asked_by TEXT, at {real} NOT NULL
);
CREATE INDEX IF NOT EXISTS slack_answers_at ON slack_answers(at);
CREATE TABLE IF NOT EXISTS slack_feedback (
    answer_id TEXT NOT NULL, "user" TEXT NOT NULL, channel TEXT, vote TEXT NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL, at {real} NOT NULL,
    PRIMARY KEY (answer_id, "user")
)
"""

_TYPES = {
    "sqlite": {"real": "REAL", "serial": "INTEGER PRIMARY KEY AUTOINCREMENT"},
    "postgresql": {"real": "DOUBLE PRECISION", "serial": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
}


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _columns(db: Database, con: Connection, table: str) -> set[str]:
    if db.dialect == "sqlite":
        return {str(r[1]) for r in con.execute(f"PRAGMA table_info({table})").fetchall()}
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                       " AND table_name = ?", (table,)).fetchall()
    return {str(r[0]) for r in rows}


def _v1_baseline(db: Database, con: Connection) -> None:
    """Every table as newsbot wrote them before versioning; older state files gain `sources.apath`."""
    import os

    for statement in _statements(_BASELINE.format(**_TYPES[db.dialect])):
        con.execute(statement)
    if "apath" not in _columns(db, con, "sources"):
        con.execute("ALTER TABLE sources ADD COLUMN apath TEXT")
        rows = con.execute("SELECT key, path FROM sources WHERE path IS NOT NULL").fetchall()
        con.executemany("UPDATE sources SET apath=? WHERE key=?", [(os.path.abspath(str(p)), k) for k, p in rows])
    con.execute("CREATE INDEX IF NOT EXISTS sources_apath ON sources(apath)")


def _v2_lexlog_time(db: Database, con: Connection) -> None:
    """The lexical log records when each change was made, so a shared database keeps a week of it for
    hosts whose BM25 cache is behind (rows written before this migration count as old)."""
    if "at" not in _columns(db, con, "lexlog"):
        con.execute(f"ALTER TABLE lexlog ADD COLUMN at {_TYPES[db.dialect]['real']} NOT NULL DEFAULT 0")


Migration = Callable[["Database", Connection], None]
MIGRATIONS: tuple[tuple[int, str, Migration], ...] = (
    (1, "baseline: state, sessions and Slack tables", _v1_baseline),
    (2, "lexlog.at: when each change to the indexed chunks was made", _v2_lexlog_time),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


# --- the interface ------------------------------------------------------------------------------


class Database:
    """One database the stores share: `tx()`, `read()`, `stream()`, `lock()`; migrated on open."""

    dialect = ""

    @property
    def shared(self) -> bool:
        """Whether other hosts may write to this database (a server, not a file under the data dir)."""
        return self.dialect != "sqlite"

    @property
    def location(self) -> str:
        """Where the data lives, fit to print (no password)."""
        raise NotImplementedError

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """A write transaction, committed on exit and rolled back on error."""
        raise NotImplementedError
        yield

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run a read query and return every row."""
        raise NotImplementedError

    def stream(self, sql: str, params: Sequence[object] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows of a read query as they come, without holding them all in memory."""
        raise NotImplementedError

    def lock_in(self, con: Connection, name: str) -> None:
        """Serialise transactions that name the same thing (taken until this transaction ends)."""

    @contextmanager
    def lock(self, name: str, *, wait: bool) -> Iterator[None]:
        """Hold a lock across hosts while the block runs (IndexBusyError when busy and not `wait`)."""
        yield

    def schema_version(self) -> int:
        """The last migration applied."""
        rows = self.read("SELECT max(version) FROM schema_version")
        return int(rows[0][0] or 0)

    def close(self) -> None:
        """Release connections."""

    def migrate(self) -> None:
        """Apply the migrations this database has not had yet, in one transaction."""
        try:  # the usual case, read without taking the write lock
            if self.schema_version() >= SCHEMA_VERSION:
                return
        except Exception:  # noqa: BLE001 - no schema_version table yet (a new or pre-versioning database)
            pass
        with self.tx() as con:
            self.lock_in(con, "newsbot-migrations")
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                f" description TEXT NOT NULL, applied_at {_TYPES[self.dialect]['real']} NOT NULL)"
            )
            have = int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])
            for version, description, step in MIGRATIONS:
                if version > have:
                    step(self, con)
                    con.execute("INSERT INTO schema_version(version, description, applied_at) VALUES (?, ?, ?)",
                                (version, description, time.time()))


def open_database(target: Path | str) -> Database:
    """A migrated database: a SQLite file path, or a `postgresql://` (or `sqlite:///PATH`) url."""
    text = str(target)
    if isinstance(target, str) and "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
            db: Database = PostgresDatabase(text)
        elif scheme == "sqlite":
            db = SqliteDatabase(Path(text.split("://", 1)[1]))
        else:
            raise StoreError(f"database url {_redact(text)!r}: unknown scheme {scheme!r}; use postgresql://...")
    else:
        db = SqliteDatabase(Path(target))
    try:
        db.migrate()
    except BaseException:
        db.close()
        raise
    return db


# --- SQLite -------------------------------------------------------------------------------------


class SqliteDatabase(Database):
    """A SQLite file: WAL, one connection per thread, BEGIN IMMEDIATE (one writer at a time)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {path.parent}: {exc}") from exc

    @property
    def location(self) -> str:
        return str(self.path)

    def con(self) -> sqlite3.Connection:
        """This thread's connection."""
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA busy_timeout=30000")
            self._local.con = con
        return con

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        con = self.con()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self.con().execute(sql, params).fetchall()

    def stream(self, sql: str, params: Sequence[object] = ()) -> Iterator[tuple[Any, ...]]:
        yield from self.con().execute(sql, params)

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None


# --- PostgreSQL ---------------------------------------------------------------------------------


class PostgresDatabase(Database):
    """A PostgreSQL database shared by every host (psycopg 3, a small connection pool per store)."""

    dialect = "postgresql"

    def __init__(self, url: str, *, max_connections: int = 8) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self._psycopg = psycopg
        self._held: dict[str, Any] = {}
        try:
            # One direct connection first: the pool would retry a refused connection until its timeout.
            with psycopg.connect(self.url, connect_timeout=10) as con:
                self._schema = str(con.execute("SELECT current_schema()").fetchone()[0])  # type: ignore[index]
            self._pool = ConnectionPool(self.url, min_size=0, max_size=max_connections, open=False, max_idle=60.0, num_workers=1,
                                        kwargs={"autocommit": False}, name="newsbot")
            self._pool.open(wait=True, timeout=30.0)
        except Exception as exc:  # psycopg.Error, or the pool's PoolTimeout
            raise StoreError(
                f"cannot connect to the database NEWSBOT_DATABASE_URL={_redact(self.url)}: {exc}; "
                "check that the server runs and the url's user, host, port and database name"
            ) from exc

    @property
    def location(self) -> str:
        return _redact(self.url)

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        with self._pool.connection() as con:  # commits on exit, rolls back on error
            yield _PgConnection(con)

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._pool.connection() as con:
            return list(con.execute(translate(sql), tuple(params)).fetchall())

    def stream(self, sql: str, params: Sequence[object] = ()) -> Iterator[tuple[Any, ...]]:
        with self._pool.connection() as con:
            cur = con.cursor(name=f"newsbot_stream_{threading.get_ident()}")
            cur.itersize = 2000
            try:
                cur.execute(translate(sql), tuple(params))
                yield from cur
            finally:
                cur.close()

    def lock_in(self, con: Connection, name: str) -> None:
        con.execute("SELECT pg_advisory_xact_lock(?)", (_lock_id(f"{self._schema}:{name}"),))

    @contextmanager
    def lock(self, name: str, *, wait: bool) -> Iterator[None]:
        # A session lock on a connection of its own: it is released if this process dies.
        con = self._psycopg.connect(self.url, autocommit=True)
        try:
            key = _lock_id(f"{self._schema}:{name}")  # schemas of one database are apart
            if wait:
                con.execute("SELECT pg_advisory_lock(%s)", (key,))
            else:
                row = con.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                if not (row and row[0]):
                    raise IndexBusyError(
                        f"another newsbot ingest (on this or another host) is writing to the shared database "
                        f"{_redact(self.url)}; wait for it to finish, or pass --wait"
                    )
            yield
        finally:
            con.close()

    def close(self) -> None:
        self._pool.close()


class _PgConnection:
    """A psycopg connection inside a transaction, taking SQLite-spelled SQL."""

    def __init__(self, con: Any) -> None:
        self._con = con

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self._con.execute(translate(sql), tuple(parameters))

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        cur = self._con.cursor()
        cur.executemany(translate(sql), [tuple(p) for p in seq_of_parameters])
        return cur


_INSERT = re.compile(r"^\s*INSERT\s+OR\s+(REPLACE|IGNORE)\s+INTO\s+(\w+)\s*(\(([^)]*)\))?", re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """SQLite-spelled SQL -> PostgreSQL's: `?` -> `%s`, INSERT OR IGNORE/REPLACE -> ON CONFLICT."""
    suffix = ""
    m = _INSERT.match(sql)
    if m:
        kind, table, cols = m.group(1).upper(), m.group(2), m.group(4)
        if kind == "IGNORE":
            suffix = " ON CONFLICT DO NOTHING"
        else:
            if cols is None or table not in PRIMARY_KEYS:
                raise StoreError(f"INSERT OR REPLACE needs a known table and a column list on PostgreSQL: {sql}")
            names = [c.strip().strip('"') for c in cols.split(",")]
            keys = PRIMARY_KEYS[table]
            rest = [c for c in names if c not in keys]
            target = ", ".join(f'"{k}"' for k in keys)
            if rest:
                sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in rest)
                suffix = f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
            else:
                suffix = f" ON CONFLICT ({target}) DO NOTHING"
        sql = f"INSERT INTO {table}" + sql[m.end(2):]
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out).rstrip().rstrip(";") + suffix


def _lock_id(name: str) -> int:
    """A stable signed 64-bit advisory lock id for a name."""
    return int.from_bytes(hashlib.sha1(name.encode()).digest()[:8], "big", signed=True)


def _redact(url: str) -> str:
    """The url without its password."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
