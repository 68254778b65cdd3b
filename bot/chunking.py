"""Articles -> chunks: sentence-aware, within the embedding model's wordpiece limit, with overlap."""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from bot.schema import Chunk

# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt co corp inc ltd llc plc no nos vs etc gen gov sen rep rev
    capt col lt sgt jan feb mar apr jun jul aug sep sept oct nov dec fig est approx dept univ
    u.s u.k u.n e.g i.e a.m p.m""".split()
)
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+|$)|\n\s*\n|\n(?=\s*(?:[-*•#]|\d+[.)])\s)|\n")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split text into sentence spans (start, end), trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        token = match.group(0)
        if token[0] in ".!?":
            before = text[start : match.start()].rstrip()
            last = before.split()[-1].lower().strip("(\"'“") if before.split() else ""
            nxt = text[end : end + 3].lstrip()
            if token == "." and (
                last in _ABBREVIATIONS
                or (len(last) == 1 and last.isalpha())  # initials: "J. Powell"
                or re.fullmatch(r"(?:[a-z]\.)+[a-z]", last) is not None  # "u.s"
                or (nxt[:1].islower())
                or (nxt[:1].isdigit() and before[-1:].isdigit())
            ):
                continue
        _push(text, start, end, spans)
        start = end
    _push(text, start, len(text), spans)
    return spans


def _push(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def document_id(text: str) -> str:
    """Content hash of an article's text: the same text under several urls is one document."""
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:24]


class WordpieceCounter:
    """Counts wordpieces with the embedding model's own tokenizer (no special tokens)."""

    def __init__(self, tokenizer_json: Path | None = None) -> None:
        self._path = tokenizer_json
        self._tokenizer: object | None = None
        self._lock = threading.Lock()

    def _load(self) -> object:
        with self._lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                from bot.embed import packaged_model_dir

                path = self._path or packaged_model_dir() / "tokenizer.json"
                tok = Tokenizer.from_file(str(path))
                tok.no_truncation()
                tok.no_padding()
                self._tokenizer = tok
            return self._tokenizer

    def count(self, texts: Sequence[str]) -> list[int]:
        """Wordpiece counts of each text."""
        tok = self._load()
        encodings = tok.encode_batch(list(texts), add_special_tokens=False)  # type: ignore[attr-defined]
        return [len(e.ids) for e in encodings]

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character offsets of each wordpiece of text."""
        tok = self._load()
        enc = tok.encode(text, add_special_tokens=False)  # type: ignore[attr-defined]
        return [tuple(o) for o in enc.offsets]


class SentenceChunker:
    """Packs whole sentences into chunks of at most `max_tokens` wordpieces, overlapping by sentences."""

    def __init__(
        self,
        counter: WordpieceCounter | None = None,
        max_tokens: int = 160,
        overlap_sentences: int = 1,
        hard_limit: int = 254,
    ) -> None:
        self.counter = counter or WordpieceCounter()
        self.max_tokens = min(max_tokens, hard_limit)
        self.overlap = overlap_sentences
        self.hard_limit = hard_limit

    def chunk(self, doc_id: str, text: str) -> list[Chunk]:
        """Cut one article's text into chunks whose text is an exact slice of the article."""
        spans = self._pieces(text)
        if not spans:
            return []
        counts = self.counter.count([text[s:e] for s, e in spans])
        chunks: list[Chunk] = []
        i = 0
        while i < len(spans):
            j = i
            total = counts[i]
            while j + 1 < len(spans) and total + counts[j + 1] + 1 <= self.max_tokens:
                j += 1
                total += counts[j] + 1
            chunks.append(Chunk(doc_id, len(chunks), text[spans[i][0] : spans[j][1]], spans[i][0], spans[j][1]))
            if j + 1 >= len(spans):
                break
            # Step forward, keeping up to `overlap` trailing sentences when that still makes progress.
            nxt = max(j + 1 - self.overlap, i + 1)
            i = nxt
        return chunks

    def _pieces(self, text: str) -> list[tuple[int, int]]:
        """Sentence spans, with any sentence over the limit cut at word boundaries."""
        spans = split_sentences(text)
        if not spans:
            return []
        counts = self.counter.count([text[s:e] for s, e in spans])
        out: list[tuple[int, int]] = []
        for (s, e), n in zip(spans, counts):
            if n <= self.max_tokens:
                out.append((s, e))
                continue
            offsets = self.counter.offsets(text[s:e])
            piece_start = 0
            while piece_start < len(offsets):
                stop = min(piece_start + self.max_tokens, len(offsets))
                if stop < len(offsets):
                    # Back off to a whitespace boundary so no word is cut in half.
                    k = stop
                    while k > piece_start + 1 and not text[s + offsets[k - 1][1] : s + offsets[k][0]].strip() == "" :
                        k -= 1
                    if k > piece_start + 1:
                        stop = k
                a = s + offsets[piece_start][0]
                b = s + offsets[stop - 1][1]
                _push(text, a, b, out)
                piece_start = stop
        return out
