"""The vector store contract, written once and run against embedded Chroma (PersistentClient under
the data dir) and a real `chroma run` server (NEWSBOT_CHROMA_HOST/PORT), plus a whole ingest + ask
against the server."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.embed import HashEmbedder
from bot.errors import ConfigError, StoreError
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.store import ChromaStore, DenseFilter
from index_check import assert_consistent

ROOT = Path(__file__).resolve().parent.parent
DIM = 8


def unit(*values: float) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(values)] = values
    return v / np.linalg.norm(v)


@pytest.fixture(params=["embedded", "embedded-sharded", "server"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "embedded":
        return Settings(data_dir=tmp_path / "data", chroma_shard_chunks=0)
    if request.param == "embedded-sharded":
        return Settings(data_dir=tmp_path / "data", chroma_shard_chunks=2)  # fill() spreads over two shards
    host, port = request.getfixturevalue("chroma_server")
    return Settings.from_env({"NEWSBOT_CHROMA_HOST": host, "NEWSBOT_CHROMA_PORT": str(port),
                              "NEWSBOT_DATA_DIR": str(tmp_path / "data")})


@pytest.fixture
def store(store_settings: Settings) -> ChromaStore:
    # The server is shared by the session: each test gets its own collection.
    return ChromaStore(store_settings, f"contract-{uuid.uuid4().hex[:8]}", DIM)


def fill(store: ChromaStore) -> None:
    """Three documents: d1 (two chunks), d2, d3, with dates and outlets."""
    ids = ["d1:0", "d1:1", "d2:0", "d3:0"]
    vectors = np.stack([unit(1, 0), unit(1, 0.2), unit(0, 1), unit(0.7, 0.7)])
    metas = [
        {"doc_id": "d1", "published_ord": 738000, "source_lc": "wire"},
        {"doc_id": "d1", "published_ord": 738000, "source_lc": "wire"},
        {"doc_id": "d2", "published_ord": 738100, "source_lc": "daily"},
        {"doc_id": "d3", "published_ord": 0, "source_lc": ""},
    ]
    store.add(ids, vectors, ["a", "b", "c", "d"], metas)


def test_location_names_the_backend(store: ChromaStore, store_settings: Settings) -> None:
    if store_settings.chroma_host:
        assert store.location.startswith(f"chroma server http://{store_settings.chroma_host}:{store_settings.chroma_port}")
    else:
        assert store.location.startswith(str(store_settings.data_dir / "chroma"))
        assert not (store_settings.data_dir / "chroma").exists()  # the constructor is cheap: nothing opened yet


def test_add_count_search(store: ChromaStore) -> None:
    assert store.count() == 0
    assert store.search(unit(1, 0), 5) == []
    fill(store)
    assert store.count() == 4
    found = store.search(unit(1, 0), 4)
    assert [c for c, _ in found][:2] == ["d1:0", "d1:1"]
    assert found[0][1] == pytest.approx(1.0, abs=1e-5)  # cosine similarity, best first
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    assert len(store.search(unit(1, 0), 2)) == 2
    assert sorted(store.all_ids()) == ["d1:0", "d1:1", "d2:0", "d3:0"]


def test_upsert_is_idempotent(store: ChromaStore) -> None:
    fill(store)
    fill(store)  # a replayed batch after a crash writes the same ids again
    assert store.count() == 4


def test_delete_docs_removes_every_chunk_of_a_document(store: ChromaStore) -> None:
    fill(store)
    store.delete_docs(["d1", "nope"])
    assert sorted(store.all_ids()) == ["d2:0", "d3:0"]
    assert store.doc_chunk_ids(["d1"]) == []
    assert sorted(store.doc_chunk_ids(["d2", "d3"])) == ["d2:0", "d3:0"]
    store.delete_docs([])
    assert store.count() == 2


@pytest.mark.parametrize(("flt", "expected"), [
    (DenseFilter(sources=("wire",)), {"d1:0", "d1:1"}),
    (DenseFilter(sources=("Daily",)), {"d2:0"}),  # outlet names match case-insensitively
    (DenseFilter(sources=("wire", "daily")), {"d1:0", "d1:1", "d2:0"}),
    (DenseFilter(max_ord=738050), {"d1:0", "d1:1"}),  # undated articles: left out by date filters
    (DenseFilter(min_ord=738050), {"d2:0"}),
    (DenseFilter(min_ord=737000, max_ord=738050, sources=("wire",)), {"d1:0", "d1:1"}),
    (DenseFilter(max_ord=1), set()),
    (DenseFilter(sources=("",)), {"d3:0"}),  # without a date filter the undated article is found
])
def test_filters(store: ChromaStore, flt: DenseFilter, expected: set[str]) -> None:
    fill(store)
    assert {c for c, _ in store.search(unit(1, 1), 10, flt)} == expected


def test_update_metadata_changes_what_filters_see(store: ChromaStore) -> None:
    fill(store)
    store.update_metadata("d2", ["d2:0"], {"published_ord": 738000, "source_lc": "times"})
    assert {c for c, _ in store.search(unit(0, 1), 10, DenseFilter(sources=("times",)))} == {"d2:0"}
    assert store.search(unit(0, 1), 10, DenseFilter(sources=("daily",))) == []


def test_large_batches_are_split(store: ChromaStore) -> None:
    n = 6000  # above the embedded client's per-call limit
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store.add([f"big:{i}" for i in range(n)], vectors, ["x"] * n,
              [{"doc_id": "big", "published_ord": 0, "source_lc": ""}] * n)
    assert store.count() == n
    assert len(store.all_ids(page=2500)) == n
    store.delete_docs(["big"])
    assert store.count() == 0


def test_each_embedder_gets_its_own_collection(store_settings: Settings) -> None:
    tag = uuid.uuid4().hex[:8]
    a = ChromaStore(store_settings, f"model-a-{tag}", DIM)
    b = ChromaStore(store_settings, f"model-b-{tag}", 16)
    assert a.collection_name != b.collection_name
    fill(a)
    assert b.count() == 0


def test_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    from ports import free_port

    port = free_port()
    settings = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=port)
    with pytest.raises(StoreError, match=rf"could not open Chroma at chroma server http://127.0.0.1:{port}"):
        ChromaStore(settings, "x", DIM).count()


def test_host_without_port_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="set both NEWSBOT_CHROMA_HOST and NEWSBOT_CHROMA_PORT"):
        Settings.from_env({"NEWSBOT_CHROMA_HOST": "127.0.0.1"})


class Renamed:
    """The real model under another name, so this test's server collection is its own."""

    def __init__(self, inner: object, name: str) -> None:
        self.inner, self.name, self.dim = inner, name, inner.dim  # type: ignore[attr-defined]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed(texts)  # type: ignore[attr-defined, no-any-return]


def test_ingest_and_ask_against_a_chroma_server(chroma_server: tuple[str, int], tmp_path: Path, minilm: object) -> None:
    host, port = chroma_server
    settings = Settings.from_env({"NEWSBOT_CHROMA_HOST": host, "NEWSBOT_CHROMA_PORT": str(port),
                                  "NEWSBOT_DATA_DIR": str(tmp_path / "data"), "NEWSBOT_ANSWERER": "extractive"},
                                 corpus_dir=ROOT / "corpus")
    pipeline = Pipeline(settings, embedder=Renamed(minilm, f"minilm-{uuid.uuid4().hex[:6]}"))  # type: ignore[arg-type]
    report = pipeline.ingest()
    assert report.added == 1 and report.chunks_embedded >= 1
    assert not (tmp_path / "data" / "chroma").exists(), "vectors went to the embedded store, not the server"
    assert pipeline.stats()["store"].startswith(f"chroma server http://{host}:{port}")
    answer = pipeline.ask("Who holds the Beijing Hyundai licence?")
    assert not answer.abstained
    assert "Beijing Hyundai" in answer.text
    assert answer.citations and all(c.quote in (ROOT / "corpus" / "xiaomi-baic-ev-talks.md").read_text() for c in answer.citations)
    assert pipeline.ingest().chunks_embedded == 0
    assert_consistent(pipeline)


def test_sync_against_a_chroma_server(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    """Update and removal reach the server's collection too."""
    host, port = chroma_server
    settings = Settings(data_dir=tmp_path / "data", chroma_host=host, chroma_port=port)

    class Hash(HashEmbedder):
        name = f"hash-{uuid.uuid4().hex[:6]}"

    pipeline = Pipeline(settings, embedder=Hash())
    folder = tmp_path / "news"
    folder.mkdir()
    for i in range(4):
        (folder / f"{i}.md").write_text(f"Article {i} about the tram line number {i}. " * 20, encoding="utf-8")
    pipeline.ingest([folder])
    (folder / "0.md").write_text("Rewritten article about ferries. " * 10, encoding="utf-8")
    (folder / "1.md").unlink()
    report = pipeline.ingest([folder])
    assert (report.updated, report.removed, report.unchanged) == (1, 1, 2)
    assert_consistent(pipeline, keys=[str(folder / f"{i}.md") for i in (0, 2, 3)])


def test_namespaces_keep_two_indexes_apart_on_one_server(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    host, port = chroma_server
    tag = uuid.uuid4().hex[:6]
    a = ChromaStore(Settings(data_dir=tmp_path / "a", chroma_host=host, chroma_port=port), f"m{tag}", DIM, namespace="aaaa")
    b = ChromaStore(Settings(data_dir=tmp_path / "b", chroma_host=host, chroma_port=port), f"m{tag}", DIM, namespace="bbbb")
    assert a.collection_name != b.collection_name
    fill(a)
    fill(b)
    b.delete_docs(["d1", "d2", "d3"])
    assert a.count() == 4 and b.count() == 0
