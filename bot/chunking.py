"""Articles -> chunks: sentence-aware, within the embedding model's wordpiece limit, with overlap."""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import regex

from bot.schema import Chunk

# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt co corp inc ltd llc plc no nos vs etc gen gov sen rep rev
    capt col lt sgt jan feb mar apr jun jul aug sep sept oct nov dec fig est approx dept univ
    u.s u.k u.n e.g i.e a.m p.m""".split()
)
# A sentence ends at a run of Unicode sentence terminators (Latin . ! ?, CJK 。！？｡, Arabic ؟ ۔,
# Devanagari । ॥, Ethiopic ።, Myanmar ။ ...; the full-width ； too, and the Greek question mark, U+037E
# or the ; it becomes under NFC when it follows a Greek word), with any closing brackets and quotes
# after it; or at a line break (judged below).
_BOUNDARY = regex.compile(r"(?:[\p{Sentence_Terminal}；\u037e]+|;)[\p{Pe}\p{Pf}\"'»]*|\n\s*")
_ASCII_END = frozenset(".!?")
_DIGIT_DOTS = frozenset("．﹒․")  # full-width and small full stops also sit inside numbers: ３．５
_GREEK = regex.compile(r"\p{Greek}")
# Lines that start a list item, heading or table row. A bullet always does; a number ("2.") only
# after a colon, another item or a short line, since a wrapped line may start with "2011. It".
_BULLET = regex.compile(r"[^\S\n]*[-*•‣◦▪][^\S\n]")
_NUMBERED = regex.compile(r"[^\S\n]*(?:\d{1,3}[.)]|\+)[^\S\n]")
_BLOCK = regex.compile(r"[^\S\n]*(?:#{1,6}(?:\s|$)|\|)")
_SOFT_LINE_END = regex.compile(r"[,\-‐–—(/&]$")  # a line ending like this goes on in the next one


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split text into sentence spans (start, end) into `text`, trimmed of surrounding whitespace.

    A sentence ends at terminal punctuation of any script, a blank line, a list item, heading or
    table row, or a line break that is not a hard wrap (a line short enough that the next line's
    first word would have fitted on it); a wrapped line's break is just a space.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    width = 0  # the text's wrap width, measured only when a line break needs judging
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        token = match.group(0)
        if token[0] == "\n":
            if token.count("\n") == 1:
                if not width:
                    width = _wrap_width(text)
                if not _line_break_ends_sentence(text, match.start(), end, width):
                    continue
        elif not _terminator_ends_sentence(text, start, match.start(), end, token):
            continue
        _push(text, start, end, spans)
        start = end
    _push(text, start, len(text), spans)
    return spans


def _terminator_ends_sentence(text: str, start: int, at: int, end: int, token: str) -> bool:
    """Whether the terminator run text[at:end] (closers included) ends the sentence begun at start."""
    mark = "".join(ch for ch in token if ch not in "\"'»" and unicodedata.category(ch) not in ("Pe", "Pf"))
    following = text[end : end + 1]
    if mark == ";":  # Greek question mark (U+037E is ; after NFC): only after a Greek word
        prev = text[:at].rstrip()[-1:]
        nxt = text[end:end + 3].lstrip()[:1]
        return bool(prev) and _GREEK.match(prev) is not None and (not nxt or nxt.isupper()) and (
            not following or following.isspace())
    if set(mark) <= _ASCII_END:
        # Latin-style stops need a space after them: 3.5, U.S.-led and example.com go on.
        if following and not following.isspace():
            return False
        if mark != ".":
            return True
        before = text[start:at].rstrip()
        words_before = before.split()
        last = words_before[-1].lower().strip("(\"'“‘«") if words_before else ""
        nxt = text[end : end + 3].lstrip()
        return not (
            last in _ABBREVIATIONS
            or (len(last) == 1 and last.isalpha())  # initials: "J. Powell", "А. Пушкин"
            or regex.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", last) is not None  # "u.s"
            or nxt[:1].islower()
            or (nxt[:1].isdigit() and before[-1:].isdigit())
            or (before.isdigit() and len(before) <= 3)  # a numbered list item: "1. Newport"
        )
    # Other scripts' terminators end a sentence with or without a space after (CJK uses none).
    if set(mark) <= _DIGIT_DOTS and text[at - 1 : at].isdigit() and following.isdigit():
        return False
    return True


def _line_break_ends_sentence(text: str, at: int, end: int, width: int) -> bool:
    """Whether the single line break text[at:end] ends a sentence rather than wrapping one."""
    line_start = text.rfind("\n", 0, at) + 1
    line = text[line_start:at].rstrip()
    stop = text.find("\n", end)
    next_line = text[end : stop if stop >= 0 else len(text)]
    if _BLOCK.match(line) or _BLOCK.match(next_line) or _BULLET.match(next_line):
        return True
    if _NUMBERED.match(next_line) and (
        _BULLET.match(line) or _NUMBERED.match(line) or line.endswith(":") or line[:1].isspace()
    ):
        return True
    first_word = next_line.split(maxsplit=1)[0] if next_line.strip() else ""
    if first_word[:1].islower() or _SOFT_LINE_END.search(line):
        return False
    # A greedy wrap breaks a line only when the next word would not fit on it: a line that short
    # broke on purpose (a headline, a byline, a list without markers).
    return len(line) + 1 + len(first_word) <= width


def _wrap_width(text: str) -> int:
    """The width text is wrapped at: the 90th percentile of its line lengths (0 for no lines)."""
    lengths = sorted(len(line.rstrip()) for line in text.split("\n") if line.strip())
    if not lengths:
        return 0
    return lengths[min(len(lengths) - 1, (9 * len(lengths)) // 10)]


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

    def words(self, text: str) -> list[tuple[int, int, int]]:
        """Each wordpiece of text as (start, end, word number): the tokenizer's words, a CJK character
        or a punctuation mark being one word of its own."""
        tok = self._load()
        enc = tok.encode(text, add_special_tokens=False)  # type: ignore[attr-defined]
        out: list[tuple[int, int, int]] = []
        for k, ((a, b), w) in enumerate(zip(enc.offsets, enc.word_ids)):
            out.append((a, b, k if w is None else w))
        return out


class SentenceChunker:
    """Packs whole sentences into chunks of at most `max_tokens` wordpieces, overlapping by sentences."""

    def __init__(
        self,
        counter: WordpieceCounter | None = None,
        max_tokens: int = 160,
        overlap_sentences: int = 1,
        hard_limit: int = 254,
        overlap_words: int = 8,
    ) -> None:
        self.counter = counter or WordpieceCounter()
        self.max_tokens = min(max_tokens, hard_limit)
        self.overlap = overlap_sentences
        self.hard_limit = hard_limit
        self.overlap_words = overlap_words

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
        """Sentence spans, with any sentence over the limit cut into overlapping pieces."""
        spans = split_sentences(text)
        if not spans:
            return []
        counts = self.counter.count([text[s:e] for s, e in spans])
        out: list[tuple[int, int]] = []
        for (s, e), n in zip(spans, counts):
            if n <= self.max_tokens:
                out.append((s, e))
            else:
                out.extend(self._cut(text, s, e))
        return out

    def _cut(self, text: str, s: int, e: int) -> list[tuple[int, int]]:
        """Cut the over-long sentence text[s:e] into pieces of at most `max_tokens` wordpieces.

        Pieces overlap by `overlap_words` words, so a name or phrase that short crossing one cut is
        whole in the next piece, and cuts fall between words, away from runs of capitalised words
        where there is a choice, so that a piece neither starts nor ends inside a name.
        """
        pieces = self.counter.words(text[s:e])
        n = len(pieces)
        # breaks[k]: how good a cut before wordpiece k is (0 inside a word, 1 between words without a
        # space, 2 at a space inside a run of capitalised words, 3 at any other space).
        breaks = [0] * (n + 1)
        spaces: list[int] = []  # the cuts at a space, and the space-delimited words they separate
        for k in range(1, n):
            if pieces[k][2] == pieces[k - 1][2]:
                continue
            if not text[s + pieces[k - 1][1] : s + pieces[k][0]].isspace():
                breaks[k] = 1
                continue
            breaks[k] = 3
            spaces.append(k)
        bounds = [0, *(pieces[k][0] for k in spaces), e - s]
        words = [text[s + a : s + b].strip() for a, b in zip(bounds, bounds[1:])]
        named = _in_names(words)
        for i, k in enumerate(spaces):
            if named[i] and named[i + 1]:
                breaks[k] = 2
        out: list[tuple[int, int]] = []
        start = 0
        reach = max(1, self.max_tokens // 4)  # how far a cut may move back to find a better place
        while True:
            stop = start + self.max_tokens
            if stop >= n:
                out.append((s + pieces[start][0], e))
                return out
            best = max(range(stop, max(start + 1, stop - reach) - 1, -1), key=lambda k: (breaks[k], k))
            stop = best if breaks[best] else stop
            out.append((s + pieces[start][0], s + pieces[stop - 1][1]))
            # The next piece starts `overlap_words` words back, then further back to a plain space
            # where there is one near (not inside a name or a hyphenated word).
            nxt, words_back = stop, 0
            while nxt > start + 1 and words_back < self.overlap_words:
                nxt -= 1
                if breaks[nxt]:
                    words_back += 1
            k, floor = nxt, max(start + 1, stop - self.max_tokens // 2)
            while k > floor and breaks[k] < 3:
                k -= 1
            start = max(k if breaks[k] == 3 else nxt, start + 1)


# Lower-case words inside names: "Jean de la Fontaine", "Ludwig van Beethoven", "Abdullah bin Zayed".
_NAME_PARTICLES = frozenset("de la le du des del della di da dos das van von der den ter ten bin ibn al el y".split())


def _in_names(words: Sequence[str]) -> list[bool]:
    """Which words belong to a run of capitalised words (with the particles between them)."""
    cap = [_capitalised(w) for w in words]
    out = list(cap)
    for i, w in enumerate(words):
        if not cap[i] and w.lower() in _NAME_PARTICLES and i > 0 and out[i - 1]:
            ahead = words[i + 1 : i + 3]
            out[i] = any(_capitalised(a) for a in ahead[:1]) or (
                len(ahead) == 2 and ahead[0].lower() in _NAME_PARTICLES and _capitalised(ahead[1]))
    return out


def _capitalised(word: str) -> bool:
    first = word.lstrip("\"'“‘(«[")[:1]
    return first.isupper() or first.isdigit()
