"""`newsbot doctor`: check that the state DB, Chroma and BM25 agree, and repair what does not.

The state DB (bot/state.py) is the source of truth: every chunk of every done document has its text
there. `check` compares the other two with it, under the locks an ingest takes (the data dir's, and
a shared database's writer lock), so no ingest is half-way:

- an interrupted ingest: journal rows left in flight;
- Chroma, per shard: a collection that fails to load (a missing or corrupt HNSW file) or whose HNSW
  files are absurdly large for its chunk count (`absurd_bytes`);
- Chroma, per document: chunks missing from Chroma, chunks of a done document that the state does
  not know, and orphan vectors whose document is not done;
- BM25 (bot/lexical.py): missing or unreadable, built from another state file, of another generation
  than the state's, or holding another number of chunks or other chunks than the state.

`repair` finishes an interrupted ingest, deletes a broken shard's collection, deletes orphan
vectors, re-embeds missing chunks from the state DB's chunk texts, rebuilds BM25, and says what it
did. Problems name the document id where there is one.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.ingest import ingest_lock
from bot.lexical import Bm25Index
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.pipeline import Pipeline

EXIT_HEALTHY = 0
EXIT_PROBLEMS = 1
# HNSW files take about 2 KB per 384-dimension chunk, preallocated in steps; more than this is the
# unbounded growth once seen, not an index that is merely large.
ABSURD_BASE_BYTES = 64 << 20
ABSURD_BYTES_PER_CHUNK = 64 << 10


def absurd_bytes(count: int) -> int:
    """The HNSW file size from which a shard of `count` chunks is reported as absurdly large."""
    return ABSURD_BASE_BYTES + count * ABSURD_BYTES_PER_CHUNK


@dataclass(frozen=True)
class Problem:
    """One disagreement: its kind, the document it concerns (if any), and what was found."""

    kind: str
    detail: str
    doc_id: str | None = None
    shard: int | None = None

    def __str__(self) -> str:
        where = f"document {self.doc_id}: " if self.doc_id else f"shard {self.shard}: " if self.shard is not None else ""
        return f"{self.kind}: {where}{self.detail}"


@dataclass
class Diagnosis:
    """What `check` found: the problems, plus the counts it compared."""

    problems: list[Problem] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    vectors: int = 0
    bm25_chunks: int = 0
    # For repair: chunk ids per document as each store holds them.
    state_ids: dict[str, set[str]] = field(default_factory=dict)
    store_ids: dict[str, set[str]] = field(default_factory=dict)
    shard_of: dict[str, int] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        """No problem found."""
        return not self.problems

    def kinds(self) -> set[str]:
        """The kinds of problem found."""
        return {p.kind for p in self.problems}

    def to_json(self) -> dict[str, Any]:
        """The diagnosis as a dict."""
        return {"healthy": self.healthy, "documents": self.documents, "chunks": self.chunks,
                "vectors": self.vectors, "bm25_chunks": self.bm25_chunks,
                "problems": [{"kind": p.kind, "doc_id": p.doc_id, "shard": p.shard, "detail": p.detail}
                             for p in self.problems]}


def _by_doc(chunk_ids: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for cid in chunk_ids:
        out[cid.rsplit(":", 1)[0]].add(cid)
    return dict(out)


def check(pipeline: Pipeline) -> Diagnosis:
    """Compare Chroma and BM25 with the state DB (takes the ingest lock; IndexBusyError while one runs)."""
    with _writer(pipeline):
        return _check(pipeline)


@contextmanager
def _writer(pipeline: Pipeline) -> Iterator[None]:
    """The locks an ingest holds: the data dir's, and a shared database's writer lock."""
    with ingest_lock(pipeline.settings.data_dir), pipeline.state.writer_lock():
        yield


def _check(pipeline: Pipeline) -> Diagnosis:
    state, store = pipeline.state, pipeline.store
    diag = Diagnosis()
    pending = state.pending()
    for doc_id, op in pending:
        diag.problems.append(Problem("interrupted", f"an interrupted ingest left a '{op}' in flight", doc_id))
    in_flight = {d for d, _ in pending}

    state_chunks = state.all_chunk_ids()
    diag.state_ids = _by_doc(state_chunks)
    diag.documents, diag.chunks = len(diag.state_ids), len(state_chunks)

    store_chunks: list[str] = []
    for shard in store.shard_health():
        if shard.count is None:
            diag.problems.append(Problem("shard_unreadable", f"{shard.collection} fails to load: {shard.error}",
                                         shard=shard.shard))
            continue
        if shard.hnsw_bytes is not None and shard.hnsw_bytes > absurd_bytes(shard.count):
            diag.problems.append(Problem(
                "shard_oversized", f"{shard.collection} holds {shard.count} chunks in "
                f"{shard.hnsw_bytes / 2**20:.0f} MiB of HNSW files (more than {absurd_bytes(shard.count) / 2**20:.0f} MiB)",
                shard=shard.shard))
        ids = store.shard_ids(shard.shard)
        diag.shard_of.update((cid, shard.shard) for cid in ids)
        store_chunks.extend(ids)
    diag.store_ids = _by_doc(store_chunks)
    diag.vectors = len(store_chunks)

    for doc_id, want in sorted(diag.state_ids.items()):
        have = diag.store_ids.get(doc_id, set())
        if want - have:
            diag.problems.append(Problem(
                "missing", f"{len(want - have)} of its {len(want)} chunks are missing from Chroma", doc_id))
        if have - want:
            diag.problems.append(Problem(
                "extra", f"Chroma holds {len(have - want)} chunks of it that the state does not know "
                f"({len(have)} in Chroma, {len(want)} in the state)", doc_id))
    if not store.shared:  # a shared server collection may hold other indexes' chunks
        for doc_id, have in sorted(diag.store_ids.items()):
            if doc_id not in diag.state_ids and doc_id not in in_flight:
                diag.problems.append(Problem("orphan", f"{len(have)} vectors in Chroma with no done document", doc_id))

    _check_bm25(pipeline, diag)
    return diag


def _check_bm25(pipeline: Pipeline, diag: Diagnosis) -> None:
    lexical = Bm25Index(pipeline.lexical.folder)  # what is on disk, not what this process loaded
    if not lexical.load():
        if diag.chunks:
            diag.problems.append(Problem("bm25_unreadable", f"the BM25 index in {lexical.folder} is missing or unreadable"))
        return
    diag.bm25_chunks = len(lexical)
    state = pipeline.state
    if lexical.instance != state.instance:
        diag.problems.append(Problem("bm25_foreign", "the BM25 index was built from another state file"))
    if lexical.generation != state.generation():
        diag.problems.append(Problem(
            "bm25_generation", f"the BM25 index reflects generation {lexical.generation}, the state is at {state.generation()}"))
    if len(lexical) != diag.chunks:
        diag.problems.append(Problem("bm25_size", f"the BM25 index holds {len(lexical)} chunks, the state {diag.chunks}"))
    bm25 = _by_doc(lexical.chunk_ids())
    for doc_id, want in sorted(diag.state_ids.items()):
        if bm25.get(doc_id, set()) != want:
            diag.problems.append(Problem("bm25_doc", f"BM25 holds {len(bm25.get(doc_id, set()))} of its "
                                         f"{len(want)} chunks", doc_id))
    for doc_id in sorted(set(bm25) - set(diag.state_ids)):
        diag.problems.append(Problem("bm25_doc", "BM25 holds chunks of it but it is not a done document", doc_id))


def repair(pipeline: Pipeline) -> tuple[list[str], Diagnosis]:
    """Repair what `check` finds; (what was done, the diagnosis after). Takes the ingest lock."""
    done: list[str] = []
    with _writer(pipeline):
        diag = _check(pipeline)
        if diag.healthy:
            return done, diag
        indexer, store = pipeline.indexer, pipeline.store
        if "interrupted" in diag.kinds():
            n = indexer.recover()
            done.append(f"finished the interrupted ingest: {n} documents cleaned")
            diag = _check(pipeline)
        for p in diag.problems:
            if p.kind in ("shard_unreadable", "shard_oversized") and p.shard is not None:
                store.drop_shard(p.shard)
                done.append(f"deleted shard {p.shard} ({p.detail.split(' ', 1)[0]}); its chunks are re-embedded below")
        if any(p.kind.startswith("shard_") for p in diag.problems):
            diag = _check(pipeline)
        unknown: dict[int, list[str]] = defaultdict(list)  # vectors the state does not know, by shard
        for p in diag.problems:
            if p.kind in ("orphan", "extra") and p.doc_id:
                gone = sorted(diag.store_ids[p.doc_id] - diag.state_ids.get(p.doc_id, set()))
                for cid in gone:
                    unknown[diag.shard_of[cid]].append(cid)
                what = "orphan vectors" if p.kind == "orphan" else "vectors the state does not know"
                done.append(f"deleted {len(gone)} {what} of document {p.doc_id}")
        for shard, ids in sorted(unknown.items()):
            store.delete_ids(shard, ids)
        missing = sorted({p.doc_id for p in diag.problems if p.kind == "missing" and p.doc_id})
        if missing:
            embedded = indexer.embed_docs(missing)
            done.append(f"re-embedded {embedded} chunks of {len(missing)} documents from the state's chunk texts")
            done.extend(f"re-embedded document {d} ({len(diag.state_ids[d])} chunks)" for d in missing)
        if any(p.kind.startswith("bm25_") for p in diag.problems):
            indexer.refresh_lexical(force=True)
            done.append(f"rebuilt the BM25 index from the state's chunk texts ({len(pipeline.lexical)} chunks)")
        return done, _check(pipeline)


# --- CLI ----------------------------------------------------------------------------------------
def register_cli(subparsers: Any) -> None:
    """Add `newsbot doctor [--repair] [--json]`."""
    p = subparsers.add_parser("doctor", help="check that the state DB, Chroma and BM25 agree (--repair fixes them)")
    p.add_argument("--repair", action="store_true",
                   help="re-embed missing chunks, delete orphan vectors and broken shards, rebuild BM25")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot doctor: exit 0 when healthy (or repaired), 1 when problems remain."""
    from bot.pipeline import Pipeline

    pipeline = Pipeline(settings)
    if args.repair:
        done, diag = repair(pipeline)
    else:
        done, diag = [], check(pipeline)
    if args.json:
        print(json.dumps({**diag.to_json(), "repaired": done}, indent=2))
    else:
        for line in done:
            print(f"repaired: {line}")
        for p in diag.problems:
            print(str(p))
        print(f"{'healthy' if diag.healthy else f'{len(diag.problems)} problems'}: {diag.documents} documents, "
              f"{diag.chunks} chunks in the state, {diag.vectors} vectors in Chroma, {diag.bm25_chunks} in BM25"
              + ("" if diag.healthy or args.repair else "; `newsbot doctor --repair` fixes them"))
        if not diag.healthy and args.repair:
            print("newsbot: some problems remain after the repair", file=sys.stderr)
    return EXIT_HEALTHY if diag.healthy else EXIT_PROBLEMS
