"""Ingest is a sync (issue 2 point 4): unchanged -> nothing embedded, changed -> re-embedded and the
old chunks gone from Chroma, BM25 and the state, gone files removed with their folder, syndicated
copies stored once with every source; bad files skipped without losing what is indexed."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.embed import HashEmbedder
from bot.errors import EmbedError, IndexBusyError
from bot.ingest import ingest_lock
from bot.lexical import Bm25Index
from bot.pipeline import Pipeline
from bot.schema import Article, Skipped
from bot.settings import Settings
from index_check import assert_consistent


def write_md(path: Path, text: str, **meta: str) -> Path:
    """A Markdown article with front matter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    front = "".join(f"{k}: {v}\n" for k, v in meta.items())
    path.write_text(f"---\n{front}---\n{text}\n" if meta else text + "\n", encoding="utf-8")
    return path


def article_text(n: int, extra: str = "") -> str:
    """An article several chunks long, with words unique to it (zork{n})."""
    sentences = [f"Report zork{n} sentence {i} says the harbour authority counted {n * 7 + i} ships." for i in range(30)]
    return " ".join(sentences) + (" " + extra if extra else "")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    for n in range(3):
        write_md(folder / f"a{n}.md", article_text(n), title=f"Harbour {n}", source="Wire", published=f"2022-08-0{n + 1}")
    return folder


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The shared settings, once with the state in the data dir's SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return settings
    return settings.with_(database_url=request.getfixturevalue("postgres").new_url())


@pytest.fixture
def pipeline(settings: Settings, hash_embedder: HashEmbedder) -> Pipeline:
    return Pipeline(settings, embedder=hash_embedder)


def doc_of(pipeline: Pipeline, key: str) -> str:
    doc = pipeline.state.source_doc(key)
    assert doc is not None, f"{key} is not indexed"
    return doc


def lexical_ids(pipeline: Pipeline) -> set[str]:
    fresh = Bm25Index(pipeline.lexical.folder)
    assert fresh.load()
    return set(fresh.chunk_ids())


def test_unchanged_rerun_embeds_nothing_and_says_so(pipeline: Pipeline, corpus: Path) -> None:
    first = pipeline.ingest([corpus])
    assert (first.added, first.updated, first.removed, first.unchanged) == (3, 0, 0, 0)
    assert first.chunks_embedded > 3  # several chunks per article
    vectors = pipeline.store.count()

    again = pipeline.ingest([corpus])
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 3)
    assert again.chunks_embedded == 0
    assert not again.changed
    assert again.summary().startswith("index is up to date: 3 articles unchanged, nothing embedded")
    assert pipeline.store.count() == vectors
    assert_consistent(pipeline, keys=[str(corpus / f"a{n}.md") for n in range(3)])


def test_unchanged_rerun_really_calls_no_embedder(settings: Settings, corpus: Path) -> None:
    """A second process over the same data dir, whose embedder fails if called, syncs fine."""

    class Refuses(HashEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            raise AssertionError(f"embedded {len(texts)} texts on an unchanged corpus")

    Pipeline(settings, embedder=HashEmbedder()).ingest([corpus])
    report = Pipeline(settings, embedder=Refuses()).ingest([corpus])
    assert report.unchanged == 3 and report.chunks_embedded == 0


def test_changed_article_is_reembedded_and_old_chunks_leave_every_store(pipeline: Pipeline, corpus: Path) -> None:
    pipeline.ingest([corpus])
    key = str(corpus / "a1.md")
    old_doc = doc_of(pipeline, key)
    old_chunks = set(pipeline.state.chunk_ids_of(old_doc))
    assert old_chunks <= set(pipeline.store.all_ids()) and old_chunks <= lexical_ids(pipeline)

    write_md(corpus / "a1.md", article_text(1, "Update: the harbour closed for the storm named quetzal."),
             title="Harbour 1", source="Wire", published="2022-08-02")
    report = pipeline.ingest([corpus])
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 2)
    new_doc = doc_of(pipeline, key)
    assert new_doc != old_doc
    new_chunks = set(pipeline.state.chunk_ids_of(new_doc))
    assert report.chunks_embedded == len(new_chunks)

    assert not old_chunks & set(pipeline.store.all_ids()), "old chunks left in Chroma"
    assert not old_chunks & lexical_ids(pipeline), "old chunks left in BM25"
    assert not old_chunks & set(pipeline.state.all_chunk_ids()), "old chunks left in the state"
    assert not pipeline.state.has_doc(old_doc)
    assert new_chunks <= set(pipeline.store.all_ids()) and new_chunks <= lexical_ids(pipeline)
    hits = pipeline.retrieve(pipeline.query("quetzal storm harbour closed"))
    assert hits and hits[0].passage.doc_id == new_doc
    assert_consistent(pipeline)


def test_file_gone_is_removed_only_when_its_folder_is_synced(pipeline: Pipeline, corpus: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write_md(other / "b.md", article_text(9), title="Other")
    pipeline.ingest([corpus, other])
    gone_key = str(corpus / "a2.md")
    gone_doc = doc_of(pipeline, gone_key)
    gone_chunks = set(pipeline.state.chunk_ids_of(gone_doc))
    (corpus / "a2.md").unlink()

    # Syncing another folder, or one file of this folder, removes nothing.
    assert pipeline.ingest([other]).removed == 0
    assert pipeline.ingest([corpus / "a0.md"]).removed == 0
    assert pipeline.state.source_doc(gone_key) == gone_doc

    report = pipeline.ingest([corpus])
    assert report.removed == 1 and report.unchanged == 2
    assert pipeline.state.source_doc(gone_key) is None
    assert not gone_chunks & set(pipeline.store.all_ids())
    assert not gone_chunks & lexical_ids(pipeline)
    assert pipeline.state.source_doc(str(other / "b.md")) is not None
    assert_consistent(pipeline, keys=[str(corpus / "a0.md"), str(corpus / "a1.md"), str(other / "b.md")])


def test_folder_spelled_differently_still_syncs(pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_md(tmp_path / "news" / "x.md", article_text(1))
    write_md(tmp_path / "news" / "y.md", article_text(2))
    assert pipeline.ingest([Path("news")]).added == 2
    (tmp_path / "news" / "y.md").unlink()
    report = pipeline.ingest([tmp_path / "news"])  # absolute this time
    assert report.removed == 1 and report.unchanged == 1
    (tmp_path / "news" / "x.md").unlink()
    monkeypatch.chdir(tmp_path / "news")
    assert pipeline.ingest([Path(".")]).removed == 1
    assert pipeline.state.counts()["articles"] == 0
    assert_consistent(pipeline, keys=[])


def jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_syndicated_copies_are_stored_once_with_every_source(pipeline: Pipeline, tmp_path: Path) -> None:
    text = article_text(4)
    feed = tmp_path / "feeds"
    jsonl(feed / "wire.jsonl", [{"text": text, "url": "https://wire.example/a", "source": "Wire", "title": "Ships"}])
    # The same text, re-wrapped by another outlet: whitespace differs, the document does not.
    jsonl(feed / "daily.jsonl", [{"text": text.replace(". ", ".\n"), "url": "https://daily.example/b", "source": "Daily"}])
    jsonl(feed / "times.jsonl", [{"text": text, "url": "https://times.example/c", "source": "Times"}])
    report = pipeline.ingest([feed])
    assert report.added == 1 and report.duplicates == 2
    chunks = len(pipeline.state.all_chunk_ids())
    assert report.chunks_embedded == chunks
    assert pipeline.state.counts() == {"documents": 1, "articles": 3, "chunks": chunks}
    hit = pipeline.retrieve(pipeline.query("zork4 harbour ships"))[0]
    assert hit.passage.urls == ("https://daily.example/b", "https://times.example/c", "https://wire.example/a")

    # Removing one copy keeps the document and the other sources.
    (feed / "times.jsonl").unlink()
    report = pipeline.ingest([feed])
    assert report.removed == 1 and report.chunks_embedded == 0
    hit = pipeline.retrieve(pipeline.query("zork4 harbour ships"))[0]
    assert hit.passage.urls == ("https://daily.example/b", "https://wire.example/a")

    # Removing the copy the document was first stored under promotes another one.
    first = hit.passage.article_id
    (feed / ("wire.jsonl" if first == "https://wire.example/a" else "daily.jsonl")).unlink()
    assert pipeline.ingest([feed]).removed == 1
    hit = pipeline.retrieve(pipeline.query("zork4 harbour ships"))[0]
    assert hit.passage.article_id != first and hit.passage.urls == (hit.passage.article_id,)
    assert pipeline.state.counts()["documents"] == 1
    assert_consistent(pipeline)

    # Removing the last copy removes the document.
    for f in feed.iterdir():
        f.unlink()
    assert pipeline.ingest([feed]).removed == 1
    assert pipeline.state.counts() == {"documents": 0, "articles": 0, "chunks": 0}
    assert_consistent(pipeline, keys=[])


def test_source_filter_follows_the_promoted_source(pipeline: Pipeline, tmp_path: Path) -> None:
    text = article_text(5)
    feed = tmp_path / "feeds"
    jsonl(feed / "a.jsonl", [{"text": text, "url": "https://a.example/1", "source": "Alpha"}])
    pipeline.ingest([feed])
    jsonl(feed / "b.jsonl", [{"text": text, "url": "https://b.example/1", "source": "Beta"}])
    pipeline.ingest([feed])
    assert pipeline.retrieve(pipeline.query("zork5 ships", sources=["alpha"]))
    (feed / "a.jsonl").unlink()
    pipeline.ingest([feed])
    assert not pipeline.retrieve(pipeline.query("zork5 ships", sources=["alpha"]))
    hits = pipeline.retrieve(pipeline.query("zork5 ships", sources=["Beta"]))
    assert hits and all(h.passage.source == "Beta" for h in hits)
    # Both retrievers apply the filter: the dense side alone finds it too.
    assert any(h.dense_rank is not None for h in hits)


def test_bad_files_are_reported_and_skipped_and_the_rest_ingested(pipeline: Pipeline, corpus: Path) -> None:
    (corpus / "bad-front.md").write_text("---\ntitle: [unclosed\n---\nBody text here.\n", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02 binary")
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "latin1.txt").write_bytes("Caf\xe9 society".encode("latin-1"))
    jsonl(corpus / "feed.jsonl", [{"text": article_text(7), "url": "https://feed.example/7"}])
    with open(corpus / "feed.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"text": "broken json\n')
        fh.write(json.dumps({"text": article_text(8), "url": "https://feed.example/8"}) + "\n")
    seen: list[Skipped] = []
    report = pipeline.ingest([corpus], on_skip=seen.append)
    assert report.added == 5  # a0..a2 and both good lines of the feed
    assert seen == report.skipped
    lines = sorted(str(s) for s in report.skipped)
    assert len(lines) == 5
    where = {s.path: s.line for s in report.skipped}
    assert sorted(where) == sorted(str(corpus / n) for n in ("bad-front.md", "binary.txt", "empty.md", "feed.jsonl", "latin1.txt"))
    assert where[str(corpus / "feed.jsonl")] == 2
    assert where[str(corpus / "bad-front.md")] in (2, 3)  # the front matter's bad line
    for s in report.skipped:
        assert str(s).startswith(f"{s.path}:") and len(str(s).split(": ", 1)[1]) > 3
    assert pipeline.state.source_doc("https://feed.example/8") is not None
    assert_consistent(pipeline)


def test_a_file_that_turns_bad_keeps_its_indexed_version(pipeline: Pipeline, corpus: Path) -> None:
    jsonl(corpus / "feed.jsonl", [{"text": article_text(7), "url": "https://feed.example/7"},
                                  {"text": article_text(8), "url": "https://feed.example/8"}])
    pipeline.ingest([corpus])
    before = pipeline.state.sources_map()
    (corpus / "a0.md").write_bytes(b"\xff\xfe\x00 now binary garbage")
    (corpus / "feed.jsonl").write_text(json.dumps({"text": article_text(7), "url": "https://feed.example/7"})
                                       + "\n{not json}\n", encoding="utf-8")
    report = pipeline.ingest([corpus])
    assert len(report.skipped) == 2
    assert report.removed == 0, "a file that could not be read this time must not be removed"
    assert pipeline.state.sources_map() == before
    assert_consistent(pipeline, keys=before)


def test_unlistable_folder_keeps_what_was_indexed_under_it(pipeline: Pipeline, corpus: Path) -> None:
    """A folder the walk cannot list (reported by the readers as a Skipped for the folder) protects
    every article indexed below it from removal."""
    write_md(corpus / "sub" / "deep.md", article_text(6))
    pipeline.ingest([corpus])
    keys = pipeline.state.sources_map()
    from bot.readers import read_articles

    items = [x for x in read_articles([corpus]) if not (isinstance(x, Article) and "sub" in (x.path or ""))]
    items.append(Skipped(str(corpus / "sub"), "cannot list directory: Permission denied"))
    report = pipeline.indexer.sync(items, scopes=[str(corpus)])
    assert report.removed == 0 and pipeline.state.sources_map() == keys
    report = pipeline.indexer.sync([x for x in items if not isinstance(x, Skipped)], scopes=[str(corpus)])
    assert report.removed == 1


def test_a_failed_run_loses_nothing_and_the_next_run_finishes(settings: Settings, corpus: Path, tmp_path: Path) -> None:
    """The embedder fails in the middle of a run: what was indexed before stays whole, the
    articles written before the failure are complete, and a rerun completes the rest."""
    Pipeline(settings, embedder=HashEmbedder()).ingest([corpus])
    more = tmp_path / "more"
    for n in range(10, 150):
        write_md(more / f"m{n}.md", article_text(n))

    class FailsLater(HashEmbedder):
        calls = 0

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            FailsLater.calls += 1
            if FailsLater.calls == 2:
                raise EmbedError("embedding failed: simulated")
            return super().embed(texts)

    failing = Pipeline(settings, embedder=FailsLater())
    with pytest.raises(EmbedError, match="simulated"):
        failing.ingest([corpus, more])
    half = Pipeline(settings, embedder=HashEmbedder())
    counts = half.state.counts()
    assert 3 < counts["articles"] < 143  # the first batch went in, the rest did not
    for n in range(3):
        assert half.state.source_doc(str(corpus / f"a{n}.md")) is not None
    report = half.ingest([corpus, more])
    assert report.added == 143 - counts["articles"] and report.unchanged == counts["articles"]
    assert_consistent(half, keys=[str(corpus / f"a{n}.md") for n in range(3)] + [str(more / f"m{n}.md") for n in range(10, 150)])


def test_same_id_twice_in_one_run_is_reported(pipeline: Pipeline, tmp_path: Path) -> None:
    feed = tmp_path / "feed"
    # In one file the later record of a url replaces the earlier one (bot/readers/records.py); in two
    # files the second copy met is a duplicate.
    jsonl(feed / "a.jsonl", [{"text": article_text(1), "url": "https://x.example/same"},
                             {"text": article_text(2), "url": "https://x.example/same"}])
    jsonl(feed / "b.jsonl", [{"text": article_text(3), "url": "https://x.example/same"}])
    report = pipeline.ingest([feed])
    assert report.added == 1
    assert [str(s) for s in report.notices] == [
        f"{feed / 'a.jsonl'}:2: replaces line 1, which has the same url (no published date to compare; the later one is kept)"
    ]
    assert [str(s) for s in report.skipped] == [
        f"{feed / 'b.jsonl'}:1: duplicate article id 'https://x.example/same' (already read in this run)"
    ]


def test_second_ingest_is_refused_while_one_holds_the_lock(pipeline: Pipeline, corpus: Path, settings: Settings) -> None:
    with ingest_lock(settings.data_dir):
        with pytest.raises(IndexBusyError, match=rf"another newsbot ingest \(pid {os.getpid()}\) is writing to "
                                                 rf".*; wait for it to finish, or pass --wait"):
            pipeline.ingest([corpus])
    assert pipeline.ingest([corpus]).added == 3


def test_bm25_updates_are_incremental(pipeline: Pipeline, tmp_path: Path) -> None:
    """A sync adds a segment and tombstones replaced rows instead of rebuilding; segments stay few."""
    folder = tmp_path / "c"
    for n in range(20):
        write_md(folder / f"{n}.md", article_text(n))
    pipeline.ingest([folder])
    first = Bm25Index(pipeline.lexical.folder)
    first.load()
    base = set(first.segment_names)
    for round_ in range(12):
        write_md(folder / f"{round_}.md", article_text(round_, f"Revision {round_} mentions glorp{round_}."))
        pipeline.ingest([folder])
        fresh = Bm25Index(pipeline.lexical.folder)
        fresh.load()
        assert fresh.segment_count <= 8
        if round_ == 0:
            # The big segment was kept (one row set dead), not rewritten.
            assert base <= set(fresh.segment_names)
        hits = fresh.search(f"glorp{round_}", 5)
        assert hits and hits[0][0].startswith(pipeline.state.source_doc(str(folder / f"{round_}.md")) or "?")
    assert_consistent(pipeline)
    # Scores agree with a full rebuild over the same chunks.
    rebuilt = Bm25Index(tmp_path / "rebuilt")
    rebuilt.build(pipeline.state.all_chunks(), 0)
    for query in ("harbour authority ships", "glorp3 revision", "zork7 sentence 12"):
        a = dict(pipeline.lexical.search(query, 10_000))
        b = dict(rebuilt.search(query, 10_000))
        assert a.keys() == b.keys() and len(a) > 1
        assert np.allclose([a[c] for c in a], [b[c] for c in a], rtol=1e-4)


def test_bm25_merges_stop_at_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 7: merges never build a segment above MERGE_CAP rows, so an ingest's memory does not
    grow with the corpus; a rebuild writes segments of at most MERGE_CAP rows too."""
    import bot.lexical as lexical

    monkeypatch.setattr(lexical, "MERGE_CAP", 40)
    monkeypatch.setattr(lexical, "MAX_SEGMENTS", 3)
    index = Bm25Index(tmp_path / "bm25")
    rows: list[tuple[str, str, str | None]] = []
    for batch in range(30):  # thirty syncs of 7 chunks: 210 rows
        new = [(f"d{batch}:{i}", f"report zork{batch} number {i} about harbour ships {batch * i}", None) for i in range(7)]
        rows += new
        index.update(new, [], batch + 1, seq=batch + 1, instance="x")
        sizes = [s.n_rows - s.n_dead for s in index._view.segments]
        assert max(sizes) <= 40, sizes
        assert sum(1 for n in sizes if n + 7 <= 40) <= 3, sizes  # the small ones stay few
    assert len(index) == 210
    rebuilt = Bm25Index(tmp_path / "rebuilt")
    rebuilt.build(rows, 1)
    assert [s.n_rows for s in rebuilt._view.segments] == [40] * 5 + [10]
    for query in ("harbour ships", "zork7", "number 3 about"):
        a, b = dict(index.search(query, 1000)), dict(rebuilt.search(query, 1000))
        assert a.keys() == b.keys() and len(a) > 1
        assert np.allclose([a[c] for c in a], [b[c] for c in a], rtol=1e-4)


def test_bm25_catches_up_after_its_files_are_lost(pipeline: Pipeline, corpus: Path) -> None:
    import shutil

    pipeline.ingest([corpus])
    shutil.rmtree(pipeline.lexical.folder)
    again = Pipeline(pipeline.settings, embedder=HashEmbedder())
    assert again.ingest([corpus]).chunks_embedded == 0
    assert_consistent(again)


def test_changing_the_embedder_reembeds_into_its_own_collection(settings: Settings, corpus: Path) -> None:
    """Issue 7: a new embedder gets its own collection holding every chunk; vectors never mix."""
    first = Pipeline(settings, embedder=HashEmbedder(dim=64))
    first.ingest([corpus])
    chunks = set(first.state.all_chunk_ids())

    second = Pipeline(settings, embedder=HashEmbedder(dim=32))
    assert second.store.collection_name != first.store.collection_name
    report = second.ingest([corpus])
    assert report.unchanged == 3  # nothing changed in the articles ...
    assert set(second.store.all_ids()) == chunks  # ... but the new collection holds every chunk
    assert second.retrieve(second.query("zork1 harbour ships"))[0].dense_rank is not None
    assert_consistent(second)

    # Articles change under the second embedder; switching back brings the first collection up to date.
    write_md(corpus / "a0.md", article_text(0, "A new ending about walruses."))
    (corpus / "a2.md").unlink()
    second.ingest([corpus])
    back = Pipeline(settings, embedder=HashEmbedder(dim=64))
    assert back.ingest([corpus]).unchanged == 2
    assert_consistent(back)
    hits = back.retrieve(back.query("walruses ending"))
    assert hits[0].passage.doc_id == back.state.source_doc(str(corpus / "a0.md"))


def test_a_lost_vector_store_is_refilled_by_the_next_sync(settings: Settings, corpus: Path) -> None:
    import shutil

    first = Pipeline(settings, embedder=HashEmbedder())
    first.ingest([corpus])
    chunks = set(first.state.all_chunk_ids())
    shutil.rmtree(settings.data_dir / "chroma")
    # The next sync is a new process: forget this process's Chroma client, whose database file is gone.
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    again = Pipeline(settings, embedder=HashEmbedder())
    report = again.ingest([corpus])
    assert report.unchanged == 3
    assert set(again.store.all_ids()) == chunks
    assert_consistent(again)


def test_a_stray_vector_of_a_done_document_is_removed_and_the_document_kept(settings: Settings, corpus: Path) -> None:
    # When the sync re-checks the collection (here: the embedder was changed and changed back), a
    # vector the state does not know under a document it does ("<doc>:99") is deleted, and the
    # document's own chunks, deleted with it, are embedded again.
    import numpy as np

    first = Pipeline(settings, embedder=HashEmbedder())
    first.ingest([corpus])
    chunks = set(first.state.all_chunk_ids())
    doc = sorted(chunks)[0].rsplit(":", 1)[0]
    stray = f"{doc}:99"
    first.store.add([stray], np.ones((1, HashEmbedder().dim), dtype=np.float32), ["stray"], [{"doc_id": doc}])
    assert stray in set(first.store.all_ids())
    with first.state.tx() as con:
        first.state.set_meta(con, "collection", "another-embedder")
    assert first.ingest([corpus]).unchanged == 3
    assert set(first.store.all_ids()) == chunks
    assert_consistent(first)


def test_articles_given_directly_are_normalised(pipeline: Pipeline) -> None:
    # Datasets and live sources hand Articles to the sync without a reader: same normalisation.
    text = "Nordbahn ordered forty trains from Vor\u00adhaus\u200bwerke on Tuesday, the company said."
    report = pipeline.ingest_articles([Article(text=text, url="https://rail.example/direct")])
    assert report.added == 1
    hits = pipeline.retrieve(pipeline.query("Vorhauswerke trains", k=1))
    assert hits[0].passage.text == "Nordbahn ordered forty trains from Vorhauswerke on Tuesday, the company said."
