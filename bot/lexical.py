"""Chunk texts -> a BM25 index (bm25s), persisted beside Chroma and kept in step with the state DB.

The index is derived data: it records the state generation it was built from, and is rebuilt from
the chunk texts in SQLite whenever the generations differ (after an ingest, or after a crash that
interrupted a save). Writes go to a fresh folder that is renamed into place, so readers never load
a half-written index.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


class Bm25Index:
    """BM25 over chunk texts (title prepended), with English stemming and stopwords."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._retriever: Any = None
        self._ids: list[str] = []
        self._generation = -1
        self._stem = _stemmer()

    @property
    def generation(self) -> int:
        """The state generation the loaded index was built from (-1: none)."""
        return self._generation

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """The index's tokenisation: lower case, stopwords removed, stemmed."""
        import bm25s

        return bm25s.tokenize(texts, stopwords="en", stemmer=self._stem, return_ids=False, show_progress=False)  # type: ignore[no-any-return]

    def build(self, rows: Iterable[tuple[str, str, str | None]], generation: int) -> int:
        """Build from (chunk_id, text, title) rows and save atomically; returns the chunk count."""
        import bm25s

        ids: list[str] = []
        texts: list[str] = []
        for chunk_id, text, title in rows:
            ids.append(chunk_id)
            texts.append(f"{title}. {text}" if title else text)
        retriever = None
        if ids:
            retriever = bm25s.BM25()
            retriever.index(self.tokenize(texts), show_progress=False)
        tmp = self.folder.with_name(self.folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if retriever is not None:
            retriever.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps(ids))
        (tmp / "generation").write_text(str(generation))
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(old)
        tmp.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)
        with self._lock:
            self._retriever, self._ids, self._generation = retriever, ids, generation
        return len(ids)

    def disk_generation(self) -> int:
        """The generation of the index saved on disk (-1: none)."""
        try:
            return int((self.folder / "generation").read_text())
        except (OSError, ValueError):
            return -1

    def load(self) -> bool:
        """Load the saved index; False when there is none."""
        import bm25s

        gen_file = self.folder / "generation"
        if not gen_file.exists():
            return False
        try:
            generation = int(gen_file.read_text())
            ids = json.loads((self.folder / "ids.json").read_text())
            retriever = bm25s.BM25.load(str(self.folder / "bm25"), show_progress=False, mmap=False) if ids else None
        except (OSError, ValueError):
            return False
        with self._lock:
            self._retriever, self._ids, self._generation = retriever, ids, generation
        return True

    def search(self, text: str, n: int) -> list[tuple[str, float]]:
        """Top chunk ids by BM25 score, best first (only positive scores)."""
        with self._lock:
            retriever, ids = self._retriever, self._ids
        if retriever is None or not ids:
            return []
        tokens = [t for t in self.tokenize([text])[0] if t in retriever.vocab_dict]
        if not tokens:
            return []
        k = min(n, len(ids))
        docs, scores = retriever.retrieve([tokens], k=k, show_progress=False, n_threads=1)
        out: list[tuple[str, float]] = []
        for d, s in zip(np.asarray(docs)[0], np.asarray(scores)[0]):
            if s > 0:
                out.append((ids[int(d)], float(s)))
        return out

    def __len__(self) -> int:
        return len(self._ids)
