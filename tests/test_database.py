"""The state database (bot/database.py): both backends migrate on open, old SQLite files open in place,
and SQLite-spelled statements mean the same on PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.database import SCHEMA_VERSION, open_database, translate
from bot.errors import StoreError
from bot.state import StateDB


def test_a_new_database_is_migrated_to_the_latest_version(database: Path | str) -> None:
    db = open_database(database)
    assert db.schema_version() == SCHEMA_VERSION
    open_database(database).close()  # a second open applies nothing and fails nothing
    assert db.schema_version() == SCHEMA_VERSION
    db.close()


def test_translate_spells_sqlite_upserts_for_postgresql() -> None:
    assert translate("INSERT OR IGNORE INTO slack_once(key, at) VALUES (?, ?)") == (
        "INSERT INTO slack_once(key, at) VALUES (%s, %s) ON CONFLICT DO NOTHING")
    assert translate("INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)") == (
        'INSERT INTO meta(k, v) VALUES (%s, %s) ON CONFLICT ("k") DO UPDATE SET "v" = EXCLUDED."v"')
    assert translate("SELECT '?%' FROM x WHERE a LIKE 'b%' AND c = ?") == "SELECT '?%%' FROM x WHERE a LIKE 'b%%' AND c = %s"
    with pytest.raises(StoreError, match="column list"):
        translate("INSERT OR REPLACE INTO meta VALUES (?, ?)")


OLD_SCHEMA = """
CREATE TABLE docs (doc_id TEXT PRIMARY KEY, n_chunks INTEGER NOT NULL, title TEXT, source TEXT, author TEXT,
    published TEXT, published_ord INTEGER, url TEXT, path TEXT, article_id TEXT NOT NULL, added_at REAL NOT NULL);
CREATE TABLE sources (key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, path TEXT, url TEXT, title TEXT, source TEXT,
    published TEXT, seen_at REAL NOT NULL);
CREATE TABLE chunks (chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, idx INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL);
CREATE TABLE journal (doc_id TEXT PRIMARY KEY, op TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE lexlog (seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, doc_id TEXT NOT NULL);
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE sessions (key TEXT PRIMARY KEY, turns TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE slack_seen (key TEXT PRIMARY KEY, at REAL NOT NULL);
INSERT INTO docs VALUES ('d1', 1, 'T', 'Wire', NULL, '2022-08-01', 738368, NULL, 'corpus/a.md', 'corpus/a.md', 1.0);
INSERT INTO sources VALUES ('corpus/a.md', 'd1', 'corpus/a.md', NULL, 'T', 'Wire', '2022-08-01', 1.0);
INSERT INTO chunks VALUES ('d1:0', 'd1', 0, 0, 5, 'Hello');
INSERT INTO lexlog(op, doc_id) VALUES ('add', 'd1');
INSERT INTO meta VALUES ('generation', '7'), ('instance', 'abc');
INSERT INTO sessions VALUES ('s1', '[]', 1.0);
INSERT INTO slack_seen VALUES ('event:E1', 1.0);
"""


def test_a_state_file_from_before_versioning_opens_and_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as con:
        con.executescript(OLD_SCHEMA)
    state = StateDB(path)
    assert state.db.schema_version() == SCHEMA_VERSION
    assert state.generation() == 7 and state.instance == "abc"
    assert state.key_paths(["corpus/a.md"])["corpus/a.md"] == str(Path("corpus/a.md").resolve())
    assert [p.text for p in state.passages(["d1:0"]).values()] == ["Hello"]
    assert state.lexlog_since(0) == [(1, "add", "d1")]
    with state.tx() as con:
        state.bump(con)
    assert state.generation() == 8


def test_an_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot connect to the database NEWSBOT_DATABASE_URL=postgresql://u:\*\*\*@127\.0\.0\.1:1/x"):
        StateDB("postgresql://u:secret@127.0.0.1:1/x?connect_timeout=2")


def test_the_database_url_is_read_from_the_environment_and_checked(tmp_path: Path) -> None:
    from bot.errors import ConfigError
    from bot.settings import Settings

    url = "postgresql://newsbot:pw@db.internal:5432/newsbot"
    settings = Settings.from_env({"NEWSBOT_DATABASE_URL": url, "NEWSBOT_DATA_DIR": str(tmp_path)})
    assert settings.state_location == url and "pw" not in repr(settings)
    assert Settings.from_env({"NEWSBOT_DATA_DIR": str(tmp_path)}).state_location == tmp_path / "state.db"
    with pytest.raises(ConfigError, match="NEWSBOT_DATABASE_URL must be a postgresql:// url"):
        Settings.from_env({"NEWSBOT_DATABASE_URL": "mysql://db/newsbot"})
