"""Articles -> chunks -> vectors: the sync that keeps Chroma, BM25 and the state DB in step.

Ingest is a sync, not an append. A source key (url, else path) maps to a document named by the hash
of its text: unchanged text embeds nothing, changed text is re-embedded and the old chunks go, the
same text under several urls is stored once with every source kept, and a key whose file is gone is
removed when its folder is synced. Only one ingest runs at a time (a lock file in the data dir).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.chunking import SentenceChunker, document_id
from bot.embed import Embedder
from bot.errors import IndexBusyError
from bot.lexical import Bm25Index
from bot.schema import Article, Chunk, Skipped, date_ordinal
from bot.state import StateDB
from bot.store import ChromaStore

log = logging.getLogger(__name__)

BATCH_ARTICLES = 64


@dataclass
class IngestReport:
    """What an ingest did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    duplicates: int = 0
    chunks_embedded: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """Whether anything in the index changed."""
        return bool(self.added or self.updated or self.removed or self.duplicates)

    def summary(self) -> str:
        """One line for people."""
        if not self.changed and not self.skipped:
            return f"index is up to date: {self.unchanged} articles unchanged, nothing embedded ({self.seconds:.1f}s)"
        parts = [
            f"{self.added} added",
            f"{self.updated} updated",
            f"{self.removed} removed",
            f"{self.unchanged} unchanged",
        ]
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate copies kept as extra sources")
        parts.append(f"{self.chunks_embedded} chunks embedded")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return ", ".join(parts) + f" ({self.seconds:.1f}s)"

    def to_json(self) -> dict[str, Any]:
        """The report as a dict."""
        return {
            "added": self.added, "updated": self.updated, "removed": self.removed,
            "unchanged": self.unchanged, "duplicates": self.duplicates,
            "chunks_embedded": self.chunks_embedded, "skipped": [str(s) for s in self.skipped],
            "seconds": round(self.seconds, 3),
        }


@contextmanager
def ingest_lock(data_dir: Path, wait: bool = False) -> Iterator[None]:
    """Hold the data dir's ingest lock; IndexBusyError when another ingest holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "ingest.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise IndexBusyError(
                f"another newsbot ingest (pid {holder}) is writing to {data_dir}; "
                "wait for it to finish, or pass --wait"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


class Indexer:
    """Runs syncs against one state DB, vector store and BM25 index."""

    def __init__(
        self,
        state: StateDB,
        store: ChromaStore,
        lexical: Bm25Index,
        embedder: Embedder,
        chunker: SentenceChunker,
        data_dir: Path,
    ) -> None:
        self.state = state
        self.store = store
        self.lexical = lexical
        self.embedder = embedder
        self.chunker = chunker
        self.data_dir = data_dir

    # --- recovery ---------------------------------------------------------------------------

    def recover(self) -> int:
        """Replay the journal of an interrupted ingest; returns the number of documents cleaned."""
        pending = self.state.pending()
        if not pending:
            return 0
        adds = [d for d, op in pending if op == "add" and not self.state.has_doc(d)]
        dels = [d for d, op in pending if op == "del"]
        self.store.delete_docs(adds + dels)
        with self.state.tx() as con:
            for d in dels:
                self.state.remove_doc(con, d)
            self.state.clear_journal(con, [d for d, _ in pending])
            self.state.bump(con)
        log.info("recovered from an interrupted ingest: %d documents cleaned", len(pending))
        return len(pending)

    def refresh_lexical(self, force: bool = False) -> None:
        """Rebuild the BM25 index when it lags behind the state DB."""
        gen = self.state.generation()
        if not force and self.lexical.generation == gen:
            return
        if not force and self.lexical.load() and self.lexical.generation == gen:
            return
        self.lexical.build(self.state.all_chunks(), gen)

    # --- sync -------------------------------------------------------------------------------

    def sync(
        self,
        items: Iterable[Article | Skipped],
        scopes: Sequence[str] = (),
        on_skip: Callable[[Skipped], None] | None = None,
        wait: bool = False,
    ) -> IngestReport:
        """Bring the index in line with `items`; keys under `scopes` not seen are removed."""
        started = time.perf_counter()
        report = IngestReport()
        with ingest_lock(self.data_dir, wait=wait):
            self.recover()
            known = self.state.sources_map()
            seen: set[str] = set()
            troubled_paths: set[str] = set()
            batch: list[tuple[Article, str, str | None]] = []
            attach: list[tuple[Article, str, str | None]] = []
            new_in_batch: set[str] = set()
            for item in items:
                if isinstance(item, Skipped):
                    report.skipped.append(item)
                    troubled_paths.add(item.path)
                    if on_skip:
                        on_skip(item)
                    continue
                key = item.key
                if key in seen:
                    skip = Skipped(item.path or key, f"duplicate article id {key!r} (already read in this run)", item.line)
                    report.skipped.append(skip)
                    if on_skip:
                        on_skip(skip)
                    continue
                seen.add(key)
                doc_id = document_id(item.text)
                old = known.get(key)
                if old == doc_id:
                    report.unchanged += 1
                    continue
                if doc_id in new_in_batch or self.state.has_doc(doc_id):
                    attach.append((item, doc_id, old))
                    report.duplicates += 1
                else:
                    batch.append((item, doc_id, old))
                    new_in_batch.add(doc_id)
                    if old is None:
                        report.added += 1
                    else:
                        report.updated += 1
                known[key] = doc_id
                if len(batch) >= BATCH_ARTICLES:
                    self._write(batch, attach, report)
                    batch, attach, new_in_batch = [], [], set()
            if batch or attach:
                self._write(batch, attach, report)
            # Removal: keys in the synced folders that were not seen, unless their file had trouble.
            gone: list[str] = []
            for scope in scopes:
                for key in self.state.keys_under(scope):
                    if key in seen:
                        continue
                    path = self.state.read("SELECT path FROM sources WHERE key=?", (key,))
                    if path and path[0][0] in troubled_paths:
                        continue
                    gone.append(key)
            if gone:
                report.removed += self._remove_keys(gone)
            if report.changed or self.lexical.generation != self.state.generation():
                self.refresh_lexical(force=report.changed)
        report.seconds = time.perf_counter() - started
        return report

    def _write(
        self,
        batch: list[tuple[Article, str, str | None]],
        attach: list[tuple[Article, str, str | None]],
        report: IngestReport,
    ) -> None:
        chunked: list[tuple[Article, str, list[Chunk]]] = []
        for article, doc_id, _ in batch:
            chunked.append((article, doc_id, self.chunker.chunk(doc_id, article.text)))
        all_chunks = [(a, c) for a, _, cs in chunked for c in cs]
        if all_chunks:
            vectors = self.embedder.embed([_embed_text(a, c) for a, c in all_chunks])
            with self.state.tx() as con:
                self.state.journal(con, [d for _, d, _ in chunked], "add")
            self.store.add(
                [c.id for _, c in all_chunks],
                vectors,
                [c.text for _, c in all_chunks],
                [_metadata(a, c) for a, c in all_chunks],
            )
        olds = {old for _, _, old in batch + attach if old is not None}
        with self.state.tx() as con:
            for article, doc_id, chunks in chunked:
                self.state.add_doc(con, article, doc_id, chunks)
                self.state.put_source(con, article, doc_id)
            for article, doc_id, _ in attach:
                self.state.put_source(con, article, doc_id)
            self.state.clear_journal(con, [d for _, d, _ in chunked])
            self.state.bump(con)
        report.chunks_embedded += len(all_chunks)
        orphans = [d for d in olds if self.state.doc_sources(d) == 0]
        if orphans:
            self._delete_docs(orphans)

    def _remove_keys(self, keys: list[str]) -> int:
        docs = set()
        with self.state.tx() as con:
            for key in keys:
                row = con.execute("SELECT doc_id FROM sources WHERE key=?", (key,)).fetchone()
                if row:
                    docs.add(str(row[0]))
                con.execute("DELETE FROM sources WHERE key=?", (key,))
            self.state.bump(con)
        orphans = [d for d in docs if self.state.doc_sources(d) == 0]
        self._delete_docs(orphans)
        return len(keys)

    def _delete_docs(self, doc_ids: list[str]) -> None:
        if not doc_ids:
            return
        with self.state.tx() as con:
            self.state.journal(con, doc_ids, "del")
        self.store.delete_docs(doc_ids)
        with self.state.tx() as con:
            for d in doc_ids:
                self.state.remove_doc(con, d)
            self.state.clear_journal(con, doc_ids)
            self.state.bump(con)


def _embed_text(article: Article, chunk: Chunk) -> str:
    """What the embedder sees: the title gives a chunk its topic."""
    title = (article.title or "").strip()[:200]
    return f"{title}. {chunk.text}" if title else chunk.text


def _metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    return {
        "doc_id": chunk.doc_id,
        "published_ord": date_ordinal(article.published) or 0,
        "source_lc": (article.source or "").lower(),
    }


def progress_iter(items: Iterable[Any], total: int | None, desc: str) -> Iterator[Any]:
    """A tqdm bar when stderr is a terminal; plain log lines otherwise."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(items, total=total, desc=desc, unit="file")
        return
    step = max(1, (total or 1000) // 10)
    for i, item in enumerate(items, 1):
        if i % step == 0:
            log.info("%s: %d/%s", desc, i, total if total is not None else "?")
        yield item
