"""Shared fixtures: real parts built on temporary folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.embed import HashEmbedder, MiniLMEmbedder
from bot.pipeline import Pipeline
from bot.settings import Settings
from postgres_server import PostgresServer, postgres_server
from postgres_server import find_bin as find_pg_bin

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

# Commands run as subprocesses by tests about something other than the defaults use the extractive
# answerer and the fp32 embedder (fast and deterministic); tests/test_default_answerer.py removes
# these to run the product's defaults (auto, minilm-int8) as a new user gets them.
os.environ.setdefault("NEWSBOT_ANSWERER", "extractive")
os.environ.setdefault("NEWSBOT_EMBEDDER", "minilm")


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    """The real packaged embedding model, loaded once per test session."""
    embedder = MiniLMEmbedder()
    embedder.warm_up()
    return embedder


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    """A deterministic fake embedder for tests about something other than embeddings."""
    return HashEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data dir and the shipped corpus; Chroma shards of 8 chunks, so that
    the ingest tests write, update and delete documents across several shards."""
    return Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS, chroma_shard_chunks=8)


@pytest.fixture(scope="session")
def corpus_pipeline(tmp_path_factory: pytest.TempPathFactory, minilm: MiniLMEmbedder) -> Pipeline:
    """A pipeline with the shipped corpus ingested (real model, real Chroma), shared by read-only tests."""
    data = tmp_path_factory.mktemp("corpus-index")
    pipeline = Pipeline(Settings(data_dir=data, corpus_dir=CORPUS), embedder=minilm)
    report = pipeline.ingest([CORPUS])
    assert report.added >= 1 and not report.skipped
    return pipeline


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real `chroma run` server on 127.0.0.1, for the tests that run against server Chroma."""
    from bot.evaluation.chroma_server import chroma_server as run_chroma

    path = tmp_path_factory.mktemp("chroma-server")
    with run_chroma(path / "db", path / "server.log") as address:
        yield address


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (Debian's initdb/pg_ctl) for the session; skipped where none is
    installed, unless NEWSBOT_TEST_REQUIRE_POSTGRES is set (as `make test` does)."""
    if find_pg_bin() is None:
        if os.environ.get("NEWSBOT_TEST_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is not installed: apt-get install -y postgresql (make test does it)")
        pytest.skip("PostgreSQL is not installed (apt-get install -y postgresql)")
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a store lives, once per backend: a SQLite file, or an empty schema on the PostgreSQL server."""
    if request.param == "sqlite":
        return tmp_path / "state.db"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_url()
