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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.chunking import SentenceChunker, WordpieceCounter, document_id
from bot.embed import MAX_WORDPIECES, Embedder
from bot.errors import IndexBusyError
from bot.lexical import Bm25Index
from bot.schema import Article, Chunk, Notice, Skipped, date_ordinal
from bot.state import StateDB, crash_point
from bot.store import ChromaStore
from bot.text import normalize_text

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
    notices: list[Notice] = field(default_factory=list)  # left out of articles still read
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """Whether anything in the index changed."""
        return bool(self.added or self.updated or self.removed or self.duplicates)

    def summary(self) -> str:
        """One line for people."""
        if not self.changed and not self.skipped and not self.notices:
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
        if self.notices:
            parts.append(f"{len(self.notices)} notices")
        return ", ".join(parts) + f" ({self.seconds:.1f}s)"

    def to_json(self) -> dict[str, Any]:
        """The report as a dict."""
        return {
            "added": self.added, "updated": self.updated, "removed": self.removed,
            "unchanged": self.unchanged, "duplicates": self.duplicates,
            "chunks_embedded": self.chunks_embedded, "skipped": [str(s) for s in self.skipped],
            "notices": [str(n) for n in self.notices],
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
    """Runs syncs against one state DB, vector store and BM25 index (the protocol: bot/state.py)."""

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
        """Finish what an interrupted ingest left in flight; returns the number of documents cleaned.

        Half-written adds leave Chroma, pending deletes are completed, documents that lost every
        source are deleted, and filter metadata of documents whose primary source changed is redone.
        Idempotent: a crash during recovery is recovered by the next run.
        """
        pending = self.state.pending()
        orphans = self.state.orphan_docs()
        if not pending and not orphans:
            return 0
        adds = [d for d, op in pending if op == "add" and not self.state.has_doc(d)]
        metas = [d for d, op in pending if op == "meta"]
        dels = list(dict.fromkeys([d for d, op in pending if op == "del"] + orphans))
        if dels:
            with self.state.tx() as con:
                self.state.journal(con, dels, "del")
        self.store.delete_docs(adds + dels)
        crash_point("recovering")
        for d in metas:
            self._push_metadata(d)
        with self.state.tx() as con:
            for d in dels:
                self.state.remove_doc(con, d)
            self.state.clear_journal(con, [d for d, _ in pending] + dels)
            self.state.bump(con)
        cleaned = len(set(adds) | set(dels) | set(metas))
        log.info("recovered from an interrupted ingest: %d documents cleaned", cleaned)
        return cleaned

    def adopt_collection(self) -> int:
        """Make the store's collection hold exactly the state's chunks; returns chunks (re-)embedded.

        The state is shared by every embedder of a data dir, while each embedder has its own
        collection. When the collection last synced is another one (the embedder was changed, or
        changed back), or the collection does not hold as many chunks as the state (its files were
        lost), the missing chunks are embedded into it and chunks the state no longer knows are
        deleted, so vectors of two models never mix and nothing is missing. A crash half-way leaves
        the marker unchanged, so the next ingest does it again (upserts are idempotent).
        """
        name = self.store.collection_name
        have = self.state.get_meta("collection")
        n_state = self.state.counts()["chunks"]
        if have == name and (self.store.shared or self.store.holds(n_state)):
            return 0
        embedded = 0
        if n_state or self.store.count():
            store_ids = set(self.store.all_ids())
            state_ids = set(self.state.all_chunk_ids())
            # On a server collection that other data dirs may share, unknown chunks may be theirs.
            stale = set() if self.store.shared else store_ids - state_ids
            stale_docs = {c.rsplit(":", 1)[0] for c in stale}
            if stale:
                log.info("deleting %d chunks of %s that the index no longer holds", len(stale), name)
                self.store.delete_docs(sorted(stale_docs))
            # Deleting a stale chunk deletes its whole document's vectors: a document the state still
            # holds is embedded again with the missing ones.
            state_docs = {c.rsplit(":", 1)[0] for c in state_ids}
            missing = sorted({c.rsplit(":", 1)[0] for c in state_ids - store_ids} | (stale_docs & state_docs))
            if missing:
                log.info("embedding %d documents into %s (the embedder changed or the store lost them)",
                         len(missing), name)
            embedded = self.embed_docs(missing)
        if have != name:
            with self.state.tx() as con:
                self.state.set_meta(con, "collection", name)
        return embedded

    def embed_docs(self, doc_ids: Sequence[str]) -> int:
        """Embed every chunk of done documents again from the state's chunk texts into the store
        (upserts, so idempotent); returns the chunks embedded. Used when the store lost them."""
        embedded = 0
        for i in range(0, len(doc_ids), BATCH_ARTICLES):
            batch = list(doc_ids[i : i + BATCH_ARTICLES])
            meta = self.state.docs_meta(batch)
            rows = self.state.chunk_rows(batch)
            pairs = [(Article(text="", title=meta[d][0]), Chunk(d, x, text, 0, 0)) for d, _, x, text in rows]
            vectors = self.embedder.embed(embed_inputs(pairs, self.chunker.counter))
            self.store.add(
                [c for _, c, _, _ in rows], vectors, [t for _, _, _, t in rows],
                [chunk_metadata(d, meta[d][1], meta[d][2]) for d, _, _, _ in rows],
            )
            embedded += len(rows)
            crash_point("adopting")
        return embedded

    def refresh_lexical(self, force: bool = False) -> None:
        """Bring the BM25 index up to the state: apply the lexical log, or rebuild when it cannot."""
        if self.lexical.generation < 0:
            self.lexical.load()
        gen = self.state.generation()
        seq = self.state.lexlog_max()
        instance = self.state.instance
        lex = self.lexical
        stale = lex.generation < 0 or lex.instance != instance or lex.seq < self.state.lexlog_floor() or lex.seq > seq
        if force or stale:
            t0 = time.perf_counter()
            n = lex.build(self.state.all_chunks(), gen, seq=seq, instance=instance)
            log.info("BM25 index rebuilt: %d chunks (%.1fs)", n, time.perf_counter() - t0)
        elif lex.seq < seq:
            ops = self.state.lexlog_since(lex.seq)
            last: dict[str, str] = {}
            for _, op, doc_id in ops:
                last[doc_id] = op
            added = [d for d, op in last.items() if op == "add" and self.state.has_doc(d)]
            t0 = time.perf_counter()
            n = lex.update(self.state.chunks_of(added), last.keys(), gen, seq=seq, instance=instance)
            log.info("BM25 index updated: %d documents changed, %d chunks, %d segments (%.2fs)",
                     len(last), n, lex.segment_count, time.perf_counter() - t0)
        elif lex.generation != gen:
            lex.mark(gen, seq=seq, instance=instance)
        else:
            return
        crash_point("bm25_saved")
        self.state.prune_lexlog(seq)

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
        with ingest_lock(self.data_dir, wait=wait), self.state.writer_lock(wait=wait):
            self.recover()
            self.adopt_collection()
            known = self.state.sources_map()
            by_path = self.state.path_keys()
            apaths = self.state.key_apaths()
            moved: list[tuple[str, str]] = []
            seen: set[str] = set()
            troubled: list[str] = []
            batch: list[tuple[Article, str, str | None]] = []
            attach: list[tuple[Article, str, str | None]] = []
            new_in_batch: set[str] = set()
            for item in items:
                if isinstance(item, Notice):  # the article itself was read: nothing is troubled
                    report.notices.append(item)
                elif isinstance(item, Skipped):
                    report.skipped.append(item)
                    troubled.append(os.path.abspath(item.path))
                if isinstance(item, Skipped):
                    if on_skip:
                        on_skip(item)
                    continue
                if item.text != (text := normalize_text(item.text)):  # given directly, not by a reader
                    item = replace(item, text=text)
                key = item.key
                if key in seen:
                    skip = Skipped(item.path or key, f"duplicate article id {key!r} (already read in this run)", item.line)
                    report.skipped.append(skip)
                    if on_skip:
                        on_skip(skip)
                    continue
                seen.add(key)
                if key not in known and not item.url and item.path:
                    # The same file reached through another spelling ('corpus', './corpus', /abs/corpus).
                    suffix = key[len(item.path):] if key.startswith(item.path) else ""
                    old_key = by_path.get((os.path.abspath(item.path), suffix))
                    if old_key is not None and old_key not in seen and old_key in known:
                        with self.state.tx() as con:
                            self.state.rename_key(con, old_key, item)
                        known[key] = known.pop(old_key)
                doc_id = document_id(item.text)
                old = known.get(key)
                if old == doc_id:
                    report.unchanged += 1
                    if item.path and apaths.get(key) != os.path.abspath(item.path):
                        moved.append((key, os.path.abspath(item.path)))
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
            if moved:
                with self.state.tx() as con:
                    self.state.set_apaths(con, moved)
            # Removal: keys in the synced folders that were not seen, unless their file (or a folder
            # above it) could not be read this time: nothing already in the index is lost by a failed run.
            candidates = [k for scope in scopes for k in self.state.keys_under(scope) if k not in seen]
            paths = self.state.key_paths(candidates)
            gone = [k for k in dict.fromkeys(candidates) if not _under_any(paths.get(k), troubled)]
            if gone:
                report.removed += self._remove_keys(gone)
            if report.changed or self.lexical.generation != self.state.generation():
                self.refresh_lexical()
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
            vectors = self.embedder.embed(embed_inputs(all_chunks, self.chunker.counter))
            with self.state.tx() as con:
                self.state.journal(con, [d for _, d, _ in chunked], "add")
            crash_point("journaled")
            self.store.add(
                [c.id for _, c in all_chunks],
                vectors,
                [c.text for _, c in all_chunks],
                [chunk_metadata(c.doc_id, date_ordinal(a.published), a.source) for a, c in all_chunks],
            )
            crash_point("stored")
        olds = {old for _, _, old in batch + attach if old is not None}
        with self.state.tx() as con:
            for article, doc_id, chunks in chunked:
                self.state.add_doc(con, article, doc_id, chunks)
                self.state.put_source(con, article, doc_id)
            for article, doc_id, _ in attach:
                self.state.put_source(con, article, doc_id)
            self.state.clear_journal(con, [d for _, d, _ in chunked])
            # Old versions left without a source are journaled for deletion in this same
            # transaction: readers stop seeing them the moment the new version appears.
            orphans = [d for d in olds if self.state.doc_sources(d, con) == 0]
            self.state.journal(con, orphans, "del")
            self.state.bump(con)
        report.chunks_embedded += len(all_chunks)
        crash_point("marked_done")
        if orphans:
            self._delete_docs(orphans)

    def _remove_keys(self, keys: list[str]) -> int:
        with self.state.tx() as con:
            docs = self.state.remove_sources(con, keys)
            orphans = [d for d in docs if self.state.doc_sources(d, con) == 0]
            self.state.journal(con, orphans, "del")
            # A document that keeps other sources but lost its primary one gets a new primary.
            promoted = [d for d in docs if d not in orphans and self.state.promote_source(con, d)]
            self.state.journal(con, promoted, "meta")
            self.state.bump(con)
        crash_point("keys_removed")
        for d in promoted:
            self._push_metadata(d)
        if promoted:
            with self.state.tx() as con:
                self.state.clear_journal(con, promoted)
        self._delete_docs(orphans)
        return len(keys)

    def _push_metadata(self, doc_id: str) -> None:
        """Copy a document's filter metadata (date, outlet) from the state to its chunks in Chroma."""
        meta = self.state.doc_meta(doc_id)
        if meta is None:
            return
        published_ord, source = meta
        self.store.update_metadata(doc_id, self.state.chunk_ids_of(doc_id), chunk_metadata(doc_id, published_ord, source))

    def _delete_docs(self, doc_ids: list[str]) -> None:
        """Delete documents already journaled 'del' from Chroma, then from the state."""
        if not doc_ids:
            return
        crash_point("delete_journaled")
        self.store.delete_docs(doc_ids)
        crash_point("deleted_from_store")
        with self.state.tx() as con:
            for d in doc_ids:
                self.state.remove_doc(con, d)
            self.state.clear_journal(con, doc_ids)
            self.state.bump(con)


def _under_any(path: str | None, folders: Sequence[str]) -> bool:
    """Whether a file is one of `folders` or lies below one of them."""
    if path is None:
        return False
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def _embed_text(article: Article, chunk: Chunk) -> str:
    """What the embedder sees: the title gives a chunk its topic."""
    title = (article.title or "").strip()[:200]
    return f"{title}. {chunk.text}" if title else chunk.text


def embed_inputs(pairs: Sequence[tuple[Article, Chunk]], counter: WordpieceCounter) -> list[str]:
    """The texts to embed: title + chunk, or the chunk alone where the title would push it past the
    model's limit (the model would silently cut the end of the chunk)."""
    texts = [_embed_text(a, c) for a, c in pairs]
    limit = MAX_WORDPIECES - 2  # [CLS] and [SEP]
    for i, n in enumerate(counter.count(texts)):
        if n > limit:
            texts[i] = pairs[i][1].text
    return texts


def chunk_metadata(doc_id: str, published_ord: int | None, source: str | None) -> dict[str, Any]:
    """The metadata Chroma keeps with a chunk, for its filters: the document, the publish date's
    ordinal (0 when undated) and the outlet in lower case."""
    return {"doc_id": doc_id, "published_ord": published_ord or 0, "source_lc": (source or "").lower()}


def progress_iter(items: Iterable[Any], total: int | None, desc: str) -> Iterator[Any]:
    """A tqdm bar when stderr is a terminal; plain log lines otherwise."""
    if sys.stderr.isatty():
        from tqdm import tqdm  # type: ignore[import-untyped]

        yield from tqdm(items, total=total, desc=desc, unit="file")
        return
    step = max(1, (total or 1000) // 10)
    for i, item in enumerate(items, 1):
        if i % step == 0:
            log.info("%s: %d/%s", desc, i, total if total is not None else "?")
        yield item
