"""Chunk texts -> a BM25 index, persisted beside Chroma, updated incrementally, kept in step with SQLite.

Tokenisation is bm25s's (lower case, English stopwords, Snowball stemming) over NFKC text, case and
accent folded, in which Han/kana runs are written as character bigrams (bot.tokens: those scripts have no spaces), plus the
canonical tokens of every number (bot.numbers: '5%' and '5 percent' are both 'num:5:pct', so either
spelling retrieves the other); a change to it bumps FORMAT, and an index of another format is
rebuilt, never mixed with new segments. Scoring is BM25 with
Lucene's idf (bm25s's default method), computed at query time from stored term statistics, so
the index can grow by segments without re-scoring what is already there:

- a sync adds one immutable segment (postings of its chunks) and marks the rows of deleted or
  replaced documents dead in older segments (a new dead-row file per change);
- small segments are merged, and segments with many dead rows rewritten, from their postings
  (no re-tokenisation), so the segment count stays small; a merge never makes a segment of more
  than MERGE_CAP rows, so an ingest's memory does not grow with the corpus;
- a MANIFEST names the live segments and dead-row files together with the state generation, the
  lexical-log position and the state instance it reflects. It is replaced atomically (write,
  fsync, rename) after every file it names is on disk, so a crash at any point leaves either the
  old or the new index, and readers (other processes) never load a half-written one.

The index is derived data: whenever it cannot be brought up to date from the state's lexical log
(missing, from another state file, log pruned past it), it is rebuilt from the chunk texts.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.numbers import without_amounts
from bot.state import crash_point
from bot.tokens import fold, spaced

K1 = 1.5
B = 0.75
MAX_SEGMENTS = 8
# Segments are merged only up to this many live rows, so a merge's memory does not grow with the
# corpus (merging every segment of a million chunks took 4.9 GB). Bigger corpora keep about one
# segment per MERGE_CAP rows (at worst one per MERGE_CAP / 2), beside at most MAX_SEGMENTS smaller ones.
MERGE_CAP = 200_000
DEAD_FRACTION = 0.3
_TOKENIZE_BATCH = 2000
_MANIFEST = "MANIFEST"
# The manifest's format: 2 added CJK bigrams and number tokens. An index saved in another format
# reads as missing, so the next ingest rebuilds it from the chunk texts.
FORMAT = 2
REFRESH_S = 0.5  # how often a reader looks for an index an ingest saved (the manifest's generation)


def _stemmer() -> Any:
    import Stemmer  # type: ignore[import-not-found]

    return Stemmer.Stemmer("english")


@dataclass
class Segment:
    """An immutable set of chunk rows: postings by term (CSR), row lengths, ids; plus its dead rows."""

    name: str
    ids: list[str]
    lengths: np.ndarray  # int32 per row: number of tokens
    indptr: np.ndarray  # int64 per term + 1
    rows: np.ndarray  # int32 posting rows, grouped by term
    tf: np.ndarray  # float32 term frequency per posting
    vocab: dict[str, int]
    dead: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    dead_file: str | None = None

    @property
    def n_rows(self) -> int:
        """Rows, dead ones included."""
        return len(self.ids)

    @property
    def n_dead(self) -> int:
        """Rows marked dead."""
        return int(self.dead.sum()) if len(self.dead) else 0

    def live_mask(self) -> np.ndarray:
        """True for live rows."""
        return ~self.dead if len(self.dead) else np.ones(self.n_rows, dtype=bool)

    def df(self, term: str) -> int:
        """Rows holding a term (dead rows counted until the segment is rewritten)."""
        t = self.vocab.get(term)
        return 0 if t is None else int(self.indptr[t + 1] - self.indptr[t])

    def doc_rows(self) -> dict[str, list[int]]:
        """Row numbers of each document (the doc id is the chunk id up to its last ':')."""
        out: dict[str, list[int]] = {}
        for i, cid in enumerate(self.ids):
            out.setdefault(cid.rsplit(":", 1)[0], []).append(i)
        return out


@dataclass
class _View:
    """What a search needs, swapped in one assignment."""

    segments: list[Segment]
    n_live: int
    total_len: int


class Bm25Index:
    """BM25 over chunk texts (title prepended), with English stemming and stopwords, in segments."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._view = _View([], 0, 0)
        self._generation = -1
        self._seq = -1
        self._instance = ""
        self._cache: dict[str, Segment] = {}
        self._stem = _stemmer()
        self._checked_at = -math.inf

    # --- state --------------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """The state generation the loaded index reflects (-1: none)."""
        return self._generation

    @property
    def seq(self) -> int:
        """The state's lexical-log position the loaded index reflects (-1: none)."""
        return self._seq

    @property
    def instance(self) -> str:
        """The state file instance the loaded index was built from."""
        return self._instance

    @property
    def segment_names(self) -> list[str]:
        """Names of the live segments (immutable folders), oldest first."""
        return [s.name for s in self._view.segments]

    @property
    def segment_count(self) -> int:
        """Number of live segments."""
        return len(self._view.segments)

    def __len__(self) -> int:
        return self._view.n_live

    def chunk_ids(self) -> list[str]:
        """Every live chunk id (for consistency checks)."""
        out: list[str] = []
        for seg in self._view.segments:
            live = seg.live_mask()
            out.extend(cid for cid, ok in zip(seg.ids, live) if ok)
        return out

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """The index's tokenisation: lower case, stopwords removed, stemmed, CJK bigrams, 'num:' tokens."""
        import bm25s  # type: ignore[import-untyped]

        # Numbers are taken out before bm25s sees them ("1,200" would be "200", "$1.2bn" "2bn").
        split = [without_amounts(spaced(fold(t))) for t in texts]
        tokens: list[list[str]] = bm25s.tokenize(
            [rest for rest, _ in split], stopwords="en", stemmer=self._stem, return_ids=False, show_progress=False
        )
        return [list(toks) + [t for a in found for t in a.tokens] for toks, (_, found) in zip(tokens, split)]

    # --- reading ------------------------------------------------------------------------------

    def _read_manifest(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.folder / _MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("version") == FORMAT else None

    def disk_generation(self) -> int:
        """The generation of the index saved on disk (-1: none)."""
        m = self._read_manifest()
        return int(m["generation"]) if m else -1

    def load(self) -> bool:
        """Load the saved index (segments already loaded are reused); False when there is none."""
        for _ in range(3):  # a writer may replace the manifest and drop old files while we read
            m = self._read_manifest()
            if m is None:
                return False
            try:
                segments = [self._segment(s["name"], s.get("dead")) for s in m["segments"]]
            except (OSError, ValueError, KeyError):
                continue
            with self._lock:
                self._cache = {s.name: s for s in segments}
                self._view = _View(segments, int(m["n_live"]), int(m["total_len"]))
                self._generation, self._seq, self._instance = int(m["generation"]), int(m["seq"]), str(m["instance"])
            return True
        return False

    def refresh(self, every_s: float = REFRESH_S) -> None:
        """Load the index saved on disk when it is not the one loaded (an ingest saved a newer one),
        checking the manifest at most every `every_s` seconds. Reads only: it never builds or updates
        the index (ingest does, bot/ingest.py; a shared database's log is applied by `Pipeline.follow_index`)."""
        now = time.monotonic()
        if now - self._checked_at < every_s:
            return
        self._checked_at = now
        if self._generation < 0 or self.disk_generation() != self._generation:
            self.load()

    def _segment(self, name: str, dead_file: str | None) -> Segment:
        cached = self._cache.get(name)
        if cached is None:
            d = self.folder / name
            ids = json.loads((d / "ids.json").read_text())
            vocab_list = json.loads((d / "vocab.json").read_text())
            cached = Segment(
                name, ids, np.load(d / "lengths.npy", mmap_mode="r"), np.load(d / "indptr.npy", mmap_mode="r"),
                np.load(d / "rows.npy", mmap_mode="r"), np.load(d / "tf.npy", mmap_mode="r"),
                {t: i for i, t in enumerate(vocab_list)},
            )
        if dead_file == cached.dead_file:
            return cached
        dead = np.load(self.folder / name / dead_file) if dead_file else np.zeros(0, dtype=bool)
        return Segment(cached.name, cached.ids, cached.lengths, cached.indptr, cached.rows, cached.tf,
                       cached.vocab, dead, dead_file)

    # --- searching ----------------------------------------------------------------------------

    def search(self, text: str, n: int) -> list[tuple[str, float]]:
        """Top chunk ids by BM25 score, best first (only positive scores)."""
        view = self._view
        if not view.segments or view.n_live == 0 or n <= 0:
            return []
        terms = list(dict.fromkeys(self.tokenize([text])[0]))
        if not terms:
            return []
        # Postings of the query terms, live rows only, so df counts exactly what a rebuild would.
        postings: list[tuple[Segment, list[tuple[str, np.ndarray, np.ndarray]]]] = []
        df: dict[str, int] = {}
        for seg in view.segments:
            found_here: list[tuple[str, np.ndarray, np.ndarray]] = []
            for t in terms:
                tid = seg.vocab.get(t)
                if tid is None:
                    continue
                a, b = int(seg.indptr[tid]), int(seg.indptr[tid + 1])
                rows = np.asarray(seg.rows[a:b])
                tf = np.asarray(seg.tf[a:b])
                if len(seg.dead):
                    keep = ~seg.dead[rows]
                    rows, tf = rows[keep], tf[keep]
                if len(rows):
                    df[t] = df.get(t, 0) + len(rows)
                    found_here.append((t, rows, tf))
            if found_here:
                postings.append((seg, found_here))
        if not postings:
            return []
        big_n = view.n_live
        avgdl = max(view.total_len / big_n, 1e-9)
        idf = {t: math.log(1.0 + (big_n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        found: list[tuple[float, str]] = []
        for seg, per_term in postings:
            scores = np.zeros(seg.n_rows, dtype=np.float32)
            for t, rows, tf in per_term:
                dl = np.asarray(seg.lengths[rows], dtype=np.float32)
                scores[rows] += idf[t] * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * dl / avgdl))
            k = min(n, int(np.count_nonzero(scores)))
            if k == 0:
                continue
            top = np.argpartition(-scores, k - 1)[:k] if k < seg.n_rows else np.arange(seg.n_rows)
            found.extend((float(scores[i]), seg.ids[int(i)]) for i in top if scores[i] > 0)
        found.sort(key=lambda x: (-x[0], x[1]))
        return [(cid, s) for s, cid in found[:n]]

    # --- writing (only under the ingest lock) --------------------------------------------------

    def build(self, rows: Iterable[tuple[str, str, str | None]], generation: int, *, seq: int = 0,
              instance: str = "") -> int:
        """Rebuild from (chunk_id, text, title) rows into segments of MERGE_CAP rows and save; returns the chunk count."""
        self._commit(self._new_segments(rows), generation, seq, instance)
        return len(self)

    def update(self, rows: Iterable[tuple[str, str, str | None]], deleted_docs: Iterable[str], generation: int,
               *, seq: int, instance: str) -> int:
        """Mark the rows of `deleted_docs` dead, add `rows` as a new segment, merge if needed, save.

        A document both deleted and added (re-added, or replaced under the same id) ends with only
        its new rows live. Returns the number of live chunks.
        """
        if not self._view.segments and self._generation < 0:
            self.load()
        gone = set(deleted_docs)
        segments: list[Segment] = []
        for seg in self._view.segments:
            dead_rows: list[int] = []
            if gone:
                by_doc = seg.doc_rows()
                dead_rows = [i for d in gone for i in by_doc.get(d, ())]
            if dead_rows:
                dead = np.array(seg.dead, dtype=bool) if len(seg.dead) else np.zeros(seg.n_rows, dtype=bool)
                dead[dead_rows] = True
                name = f"dead-{uuid.uuid4().hex[:12]}.npy"
                crash_point("bm25_dead")
                _save_npy(self.folder / seg.name / name, dead)
                seg = Segment(seg.name, seg.ids, seg.lengths, seg.indptr, seg.rows, seg.tf, seg.vocab, dead, name)
            segments.append(seg)
        segments.extend(self._new_segments(rows))
        segments = self._compact(segments)
        self._commit(segments, generation, seq, instance)
        return len(self)

    def mark(self, generation: int, *, seq: int, instance: str) -> None:
        """Record that the index reflects a newer generation with no change to its chunks."""
        self._commit(list(self._view.segments), generation, seq, instance)

    def _compact(self, segments: list[Segment]) -> list[Segment]:
        """Rewrite segments with many dead rows; merge the smallest while there are too many."""
        out: list[Segment] = []
        for seg in segments:
            if seg.n_rows and (seg.n_dead == seg.n_rows):
                continue
            if seg.n_dead > DEAD_FRACTION * seg.n_rows:
                merged = self._merge([seg])
                if merged is not None:
                    out.append(merged)
                continue
            out.append(seg)
        while len(out) > MAX_SEGMENTS:
            small = sorted((s for s in out if _live(s) < MERGE_CAP), key=_live)
            if len(small) < 2 or _live(small[0]) + _live(small[1]) > MERGE_CAP:
                break  # the rest are big: one segment per MERGE_CAP rows is the floor
            # Merge the smallest segments up to the size of the next one (and at most MERGE_CAP rows),
            # so big ones are rarely rewritten.
            take = 2
            size = _live(small[0]) + _live(small[1])
            while take < len(small) - 1 and size >= _live(small[take]) and size + _live(small[take]) <= MERGE_CAP:
                size += _live(small[take])
                take += 1
            merged = self._merge(small[:take])
            gone = {id(s) for s in small[:take]}
            out = [s for s in out if id(s) not in gone] + ([merged] if merged is not None else [])
        return out

    def _merge(self, segments: Sequence[Segment]) -> Segment | None:
        """One segment with the live rows of several, from their postings."""
        vocab: dict[str, int] = {}
        ids: list[str] = []
        lengths: list[np.ndarray] = []
        term_parts: list[np.ndarray] = []
        row_parts: list[np.ndarray] = []
        tf_parts: list[np.ndarray] = []
        for seg in segments:
            live = seg.live_mask()
            new_row = np.full(seg.n_rows, -1, dtype=np.int64)
            new_row[live] = np.arange(len(ids), len(ids) + int(live.sum()))
            ids.extend(cid for cid, ok in zip(seg.ids, live) if ok)
            lengths.append(np.asarray(seg.lengths)[live])
            inv = sorted(seg.vocab.items(), key=lambda kv: kv[1])
            local_to_new = np.array([vocab.setdefault(t, len(vocab)) for t, _ in inv], dtype=np.int64)
            counts = np.diff(np.asarray(seg.indptr))
            terms = np.repeat(local_to_new, counts)
            rows = new_row[np.asarray(seg.rows)]
            keep = rows >= 0
            term_parts.append(terms[keep])
            row_parts.append(rows[keep])
            tf_parts.append(np.asarray(seg.tf)[keep])
        if not ids:
            return None
        terms = np.concatenate(term_parts)
        rows = np.concatenate(row_parts)
        tf = np.concatenate(tf_parts)
        order = np.lexsort((rows, terms))
        return self._write_segment(ids, np.concatenate(lengths), vocab, terms[order], rows[order], tf[order])

    def _new_segments(self, rows: Iterable[tuple[str, str, str | None]]) -> list[Segment]:
        """New segments of at most MERGE_CAP rows each (memory bounded however many rows come)."""
        it = iter(rows)
        out: list[Segment] = []
        while (seg := self._new_segment(itertools.islice(it, MERGE_CAP))) is not None:
            out.append(seg)
        return out

    def _new_segment(self, rows: Iterable[tuple[str, str, str | None]]) -> Segment | None:
        """Tokenise chunk rows into a new segment on disk (None when there are none)."""
        vocab: dict[str, int] = {}
        ids: list[str] = []
        lengths: list[int] = []
        terms: list[int] = []
        posts: list[int] = []
        tfs: list[int] = []
        batch: list[tuple[str, str]] = []

        def flush() -> None:
            toks = self.tokenize([t for _, t in batch]) if batch else []
            for (cid, _), tokens in zip(batch, toks):
                row = len(ids)
                ids.append(cid)
                lengths.append(len(tokens))
                for term, count in Counter(tokens).items():
                    terms.append(vocab.setdefault(term, len(vocab)))
                    posts.append(row)
                    tfs.append(count)
            batch.clear()

        for chunk_id, text, title in rows:
            batch.append((chunk_id, f"{title}. {text}" if title else text))
            if len(batch) >= _TOKENIZE_BATCH:
                flush()
        flush()
        if not ids:
            return None
        t = np.asarray(terms, dtype=np.int64)
        r = np.asarray(posts, dtype=np.int64)
        order = np.lexsort((r, t))
        return self._write_segment(ids, np.asarray(lengths), vocab, t[order], r[order],
                                   np.asarray(tfs, dtype=np.float32)[order])

    def _write_segment(self, ids: list[str], lengths: np.ndarray, vocab: dict[str, int], terms: np.ndarray,
                       rows: np.ndarray, tf: np.ndarray) -> Segment:
        """Write a segment's files (terms sorted) into a fresh folder and return it loaded."""
        name = f"seg-{uuid.uuid4().hex[:12]}"
        d = self.folder / name
        d.mkdir(parents=True)
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(vocab)), out=indptr[1:])
        vocab_list = [""] * len(vocab)
        for term, i in vocab.items():
            vocab_list[i] = term
        _save_npy(d / "lengths.npy", np.asarray(lengths, dtype=np.int32))
        _save_npy(d / "indptr.npy", indptr)
        crash_point("bm25_segment")
        _save_npy(d / "rows.npy", np.asarray(rows, dtype=np.int32))
        _save_npy(d / "tf.npy", np.asarray(tf, dtype=np.float32))
        _write_text(d / "vocab.json", json.dumps(vocab_list, ensure_ascii=False))
        _write_text(d / "ids.json", json.dumps(ids))
        _fsync_dir(d)
        return self._segment(name, None)

    def _commit(self, segments: list[Segment], generation: int, seq: int, instance: str) -> None:
        """Atomically point the manifest at `segments`, then drop files neither it nor the last one names."""
        previous = self._read_manifest()
        n_live = sum(s.n_rows - s.n_dead for s in segments)
        total_len = 0
        for s in segments:
            lengths = np.asarray(s.lengths, dtype=np.int64)
            total_len += int(lengths[s.live_mask()].sum()) if len(s.dead) else int(lengths.sum())
        manifest = {
            "version": FORMAT, "generation": generation, "seq": seq, "instance": instance,
            "n_live": n_live, "total_len": total_len,
            "segments": [{"name": s.name, "dead": s.dead_file, "rows": s.n_rows} for s in segments],
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{_MANIFEST}.tmp-{os.getpid()}"
        _write_text(tmp, json.dumps(manifest))
        crash_point("bm25_manifest")
        os.replace(tmp, self.folder / _MANIFEST)
        _fsync_dir(self.folder)
        with self._lock:
            self._cache = {s.name: s for s in segments}
            self._view = _View(segments, n_live, total_len)
            self._generation, self._seq, self._instance = generation, seq, instance
        self._collect(manifest, previous)

    def _collect(self, current: dict[str, Any], previous: dict[str, Any] | None) -> None:
        """Delete segment folders and dead-row files no manifest (current or previous) names.

        The previous manifest's files are kept one more round for readers that are loading it.
        """
        keep: dict[str, set[str]] = {}
        for m in (current, previous):
            for s in (m or {}).get("segments", []):
                keep.setdefault(s["name"], set()).add(s.get("dead") or "")
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith(f"{_MANIFEST}.tmp-") and entry.name != f"{_MANIFEST}.tmp-{os.getpid()}":
                _remove(Path(entry.path))
            elif entry.is_dir() and entry.name not in keep:
                shutil.rmtree(entry.path, ignore_errors=True)
            elif entry.is_dir():
                for f in os.scandir(entry.path):
                    if f.name.startswith("dead-") and f.name not in keep[entry.name]:
                        _remove(Path(f.path))


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, array)
        fh.flush()
        os.fsync(fh.fileno())


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _live(seg: Segment) -> int:
    return seg.n_rows - seg.n_dead
