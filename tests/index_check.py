"""Consistency checks of an index on disk: SQLite state, Chroma and the BM25 index agree.

Shared by the ingest, crash and concurrency tests. Every check reads what is on disk through
fresh objects (a new StateDB connection, a freshly loaded BM25 index), not the writer's memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bot.lexical import Bm25Index
from bot.pipeline import Pipeline
from bot.state import StateDB


def visible_docs_complete(pipeline: Pipeline) -> int:
    """What readers rely on at every instant, even right after a crash: every document marked done
    (and not pending deletion) has all its chunks in Chroma. Returns the number of such documents."""
    state = StateDB(pipeline.settings.state_location)
    rows = state.read(
        "SELECT d.doc_id, d.n_chunks, (SELECT count(*) FROM chunks c WHERE c.doc_id = d.doc_id) FROM docs d"
        " WHERE d.doc_id NOT IN (SELECT doc_id FROM journal WHERE op = 'del')"
    )
    stored = set(pipeline.store.all_ids())
    for doc_id, n_chunks, n_rows in rows:
        assert n_chunks == n_rows, f"doc {doc_id}: {n_rows} chunk rows, {n_chunks} expected"
        missing = [c for c in state.chunk_ids_of(str(doc_id)) if c not in stored]
        assert not missing, f"doc {doc_id} is marked done but {len(missing)} of its chunks are not in Chroma"
    return len(rows)


def assert_consistent(pipeline: Pipeline, keys: Iterable[str] | None = None) -> dict[str, int]:
    """After a completed ingest: Chroma ids == state chunk ids == BM25 ids, no orphans, no journal.

    With `keys`, the indexed article ids must be exactly those (each present once).
    """
    state = StateDB(pipeline.settings.state_location)
    assert state.pending() == [], f"journal not empty: {state.pending()[:5]}"
    assert state.orphan_docs() == [], "documents without any source"
    dangling = state.read("SELECT key FROM sources WHERE doc_id NOT IN (SELECT doc_id FROM docs)")
    assert dangling == [], f"sources pointing at no document: {dangling[:5]}"
    bad_counts = state.read(
        "SELECT d.doc_id FROM docs d WHERE d.n_chunks != (SELECT count(*) FROM chunks c WHERE c.doc_id = d.doc_id)"
    )
    assert bad_counts == [], f"documents whose chunk rows do not match n_chunks: {bad_counts[:5]}"

    state_ids = state.all_chunk_ids()
    chroma_ids = pipeline.store.all_ids()
    dup = [c for c, n in Counter(chroma_ids).items() if n > 1]
    assert not dup, f"chunk ids stored twice in Chroma: {dup[:5]}"
    assert set(chroma_ids) == set(state_ids), (
        f"Chroma and state differ: {len(set(chroma_ids) - set(state_ids))} orphan chunks in Chroma, "
        f"{len(set(state_ids) - set(chroma_ids))} chunks missing from Chroma"
    )
    assert pipeline.store.count() == len(state_ids)

    lexical = Bm25Index(pipeline.lexical.folder)
    assert lexical.load(), "no BM25 index on disk"
    bm25_ids = lexical.chunk_ids()
    dup = [c for c, n in Counter(bm25_ids).items() if n > 1]
    assert not dup, f"chunk ids twice in BM25: {dup[:5]}"
    assert set(bm25_ids) == set(state_ids), (
        f"BM25 and state differ: {len(set(bm25_ids) - set(state_ids))} extra, "
        f"{len(set(state_ids) - set(bm25_ids))} missing"
    )
    assert lexical.generation == state.generation()

    if keys is not None:
        want = sorted(keys)
        got = [str(r[0]) for r in state.read("SELECT key FROM sources ORDER BY key")]
        assert got == want, f"{len(set(want) - set(got))} articles missing, {len(set(got) - set(want))} extra"
    counts = state.counts()
    return {"documents": counts["documents"], "articles": counts["articles"], "chunks": len(state_ids)}
