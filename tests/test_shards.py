"""Sharded embedded Chroma (issue 7: ingest memory independent of corpus size): new documents fill
the newest shard, adding/deleting/updating opens only the shards that hold the documents, searches
merge every shard exactly as one collection would, an index built before sharding keeps working,
and a map left ahead of Chroma by a crash is repaired from Chroma."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.settings import Settings
from bot.store import ChromaStore, DenseFilter

DIM = 16


def docs(rng: np.random.Generator, first: int, n_docs: int,
         chunks: int | None = None) -> tuple[list[str], np.ndarray, list[dict[str, Any]]]:
    """n_docs documents of `chunks` (else 1 to 3) chunks with random unit vectors and dates."""
    ids: list[str] = []
    metas: list[dict[str, Any]] = []
    for d in range(first, first + n_docs):
        for c in range(chunks or 1 + d % 3):
            ids.append(f"doc{d}:{c}")
            metas.append({"doc_id": f"doc{d}", "published_ord": 738000 + d, "source_lc": "wire" if d % 2 else "daily"})
    vectors = rng.normal(size=(len(ids), DIM)).astype(np.float32)
    return ids, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), metas


def opened(store: ChromaStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the shards whose Chroma collection the store touches from now on."""
    seen: list[int] = []
    real = store._col

    def spy(shard: int = 0) -> Any:
        seen.append(shard)
        return real(shard)

    monkeypatch.setattr(store, "_col", spy)
    return seen


def test_new_documents_fill_the_newest_shard_and_writes_open_only_their_shards(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    store = ChromaStore(Settings(data_dir=tmp_path, chroma_shard_chunks=20), "t", DIM)
    for first in range(0, 60, 10):  # six ingests of ten documents (20 chunks each)
        ids, vectors, metas = docs(rng, first, 10, chunks=2)
        store.add(ids, vectors, ["x"] * len(ids), metas)
    assert store.shards() == [0, 1, 2, 3, 4, 5]
    assert [store._col(s).count() for s in store.shards()] == [20] * 6
    total = store.count()

    # A new document goes to the newest shard (a new one when that is full) and nothing else is opened.
    seen = opened(store, monkeypatch)
    ids, vectors, metas = docs(rng, 100, 1, chunks=1)
    store.add(ids, vectors, ["x"] * len(ids), metas)
    assert seen == [6]
    # Deleting and updating documents open the shards that hold them, only those.
    seen.clear()
    store.delete_docs(["doc0", "doc25", "nope"])
    assert sorted(set(seen)) == [0, 2]
    seen.clear()
    store.update_metadata("doc45", ["doc45:0"], {"published_ord": 1, "source_lc": "times"})
    assert seen == [4]
    seen.clear()
    # Re-adding a stored document (a replayed batch) keeps it in its shard: no duplicate elsewhere.
    ids, vectors, metas = docs(rng, 33, 1, chunks=1)
    store.add(ids, vectors, ["x"] * len(ids), metas)
    assert seen == [3]
    monkeypatch.undo()
    assert store.count() == total + 1 - 4  # + doc100, - doc0 and doc25 (two chunks each)
    assert sorted(store.doc_chunk_ids(["doc33"])) == ["doc33:0", "doc33:1"]  # in shard 3 only
    assert {c for c, _ in store.search(vectors[0], 5, DenseFilter(sources=("times",)))} == {"doc45:0"}
    assert store.holds(store.count())


@pytest.mark.parametrize("flt", [None, DenseFilter(sources=("wire",)), DenseFilter(max_ord=738030)])
def test_a_sharded_search_finds_what_one_collection_finds(tmp_path: Path, flt: DenseFilter | None) -> None:
    rng = np.random.default_rng(5)
    ids, vectors, metas = docs(rng, 0, 150)
    one = ChromaStore(Settings(data_dir=tmp_path / "one", chroma_shard_chunks=0), "t", DIM)
    many = ChromaStore(Settings(data_dir=tmp_path / "many", chroma_shard_chunks=40), "t", DIM)
    for i in range(0, 150, 25):  # the same batches as an ingest would write them
        part = [j for j, m in enumerate(metas) if i <= int(m["doc_id"][3:]) < i + 25]
        for store in (one, many):
            store.add([ids[j] for j in part], vectors[part], ["x"] * len(part), [metas[j] for j in part])
    assert len(many.shards()) >= 7 and one.shards() == [0]
    assert sorted(many.all_ids()) == sorted(one.all_ids()) == sorted(ids)
    for q in rng.normal(size=(20, DIM)).astype(np.float32):
        a, b = one.search(q, 10, flt), many.search(q, 10, flt)
        assert [c for c, _ in a] == [c for c, _ in b]
        assert [s for _, s in a] == pytest.approx([s for _, s in b], abs=1e-5)


def test_an_index_built_before_sharding_keeps_working(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    old = ChromaStore(Settings(data_dir=tmp_path, chroma_shard_chunks=0), "t", DIM)
    ids, vectors, metas = docs(rng, 0, 10)
    old.add(ids, vectors, ["x"] * len(ids), metas)

    store = ChromaStore(Settings(data_dir=tmp_path, chroma_shard_chunks=8), "t", DIM)
    assert store.holds(len(ids))
    new_ids, new_vectors, new_metas = docs(rng, 10, 2)
    store.add(new_ids, new_vectors, ["x"] * len(new_ids), new_metas)
    assert store.shards() == [0, 1]  # shard 0 (the old collection) is full
    assert store.holds(len(ids) + len(new_ids))
    store.delete_docs(["doc4"])  # a document the map never saw: found in the old collection
    assert store.doc_chunk_ids(["doc4"]) == []
    assert store.holds(len(ids) + len(new_ids) - 2)
    assert store.search(vectors[0], 1)[0][0] == ids[0]


def test_a_map_left_ahead_of_chroma_is_repaired(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    store = ChromaStore(Settings(data_dir=tmp_path, chroma_shard_chunks=10), "t", DIM)
    ids, vectors, metas = docs(rng, 0, 12)
    store.add(ids, vectors, ["x"] * len(ids), metas)
    n = store.count()
    # As if an ingest died between writing the map and writing Chroma (its add was never recovered).
    smap = store._map()
    assert smap is not None
    smap.assign(["ghost"] * 3)
    assert sum(smap.counts().values()) == n + 3
    assert store.holds(n)  # Chroma holds n: the map is rebuilt from it
    assert sum(smap.counts().values()) == n
    assert not store.holds(n + 1)


def test_a_chroma_server_is_not_sharded(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    host, port = chroma_server
    store = ChromaStore(Settings(data_dir=tmp_path, chroma_host=host, chroma_port=port, chroma_shard_chunks=2), "t", DIM,
                        namespace="shardless")
    ids, vectors, metas = docs(np.random.default_rng(1), 0, 5)
    store.add(ids, vectors, ["x"] * len(ids), metas)
    assert store.shards() == [0] and store.count() == len(ids)
    assert not (tmp_path / "chroma").exists()


def test_a_lost_map_is_rebuilt_from_chroma(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    settings = Settings(data_dir=tmp_path, chroma_shard_chunks=10)
    store = ChromaStore(settings, "t", DIM)
    ids, vectors, metas = docs(rng, 0, 12)
    store.add(ids, vectors, ["x"] * len(ids), metas)
    assert len(store.shards()) > 1
    (tmp_path / "chroma" / f"{store.collection_name}.shards.sqlite").unlink()
    again = ChromaStore(settings, "t", DIM)
    again.delete_docs(["doc11"])  # found through the rebuilt map, in whichever shard holds it
    assert again.doc_chunk_ids(["doc11"]) == []
    assert again.holds(len(ids) - len([i for i in ids if i.startswith("doc11:")]))
