"""Data types that flow through the pipeline: articles -> chunks -> passages/hits -> answers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

_DATE_RE = re.compile(r"^(\d{4})(?!\d)(?:-(\d{1,2})(?!\d))?(?:-(\d{1,2})(?!\d))?")


def parse_date(value: object) -> str | None:
    """Normalise a date to 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'; None when it is not a date.

    Day and month are never guessed (03/04/2025 is None), as in `bot.readers.dates.read_date`, the
    date policy of files and feeds; this serves values that are already dates, and datasets.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    match = _DATE_RE.match(text)
    if match:
        year, month, day = match.groups()
        try:
            dt.date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            return None
        return "-".join(p.zfill(2) for p in (year, month, day) if p)  # 2022-8-5 -> 2022-08-05
    for fmt in ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def date_ordinal(published: str | None) -> int | None:
    """Day number (proleptic ordinal) of the first day a normalised date can mean."""
    if not published:
        return None
    parts = [int(p) for p in published.split("-")]
    while len(parts) < 3:
        parts.append(1)
    return dt.date(parts[0], parts[1], parts[2]).toordinal()


@dataclass(frozen=True)
class Article:
    """One news article as read from a file or record."""

    text: str
    title: str | None = None
    source: str | None = None
    author: str | None = None
    published: str | None = None
    url: str | None = None
    path: str | None = None
    line: int | None = None

    @property
    def key(self) -> str:
        """The article's id: its url, or its path (and line, for records) when it has none."""
        if self.url:
            return self.url
        if self.line is not None:
            return f"{self.path}#L{self.line}"
        return self.path or ""


@dataclass(frozen=True)
class Skipped:
    """A file or record that could not be read, and why."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Notice(Skipped):
    """Something a reader left out of an article it still read: a field, a replaced record."""


@dataclass(frozen=True)
class Chunk:
    """A span of an article's text, small enough for the embedding model."""

    doc_id: str
    index: int
    text: str
    start: int
    end: int

    @property
    def id(self) -> str:
        """Stable chunk id: document content hash and position."""
        return f"{self.doc_id}:{self.index}"


@dataclass(frozen=True)
class Passage:
    """A stored chunk together with its article's metadata."""

    chunk_id: str
    doc_id: str
    text: str
    article_id: str
    title: str | None = None
    source: str | None = None
    published: str | None = None
    url: str | None = None
    path: str | None = None
    start: int = 0
    end: int = 0
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A passage retrieved for a query, with its fused score and per-retriever ranks."""

    passage: Passage
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass(frozen=True)
class Query:
    """One question as retrieval and the answerers read it, built once per question (bot/pipeline.py
    `Pipeline.query`, from the conversation's standalone form of a follow-up) and passed down.

    text: the standalone question (a follow-up rewritten to stand alone), without carried names.
    k: the passage budget, passages retrieved (bot/answer/base.py `passage_budget` decides it).
    read: passages the answerer reads of them (0: all).
    as_of, since, until, sources: the date the question is asked as of and the filters.
    prefer_docs: articles a follow-up most likely asks about (cited in the last answered turn).
    avoid: quotes already given in the conversation (a follow-up wants something new).
    question: the question as asked ("": the same as text).
    carried: names carried over from earlier turns by the rule-based condensing ("What would they buy?"
        after a question about Xiaomi carries "Xiaomi"); context, not part of what is asked.
    """

    text: str
    k: int = 5
    as_of: dt.date | None = None
    sources: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    prefer_docs: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    question: str = ""
    carried: tuple[str, ...] = ()
    read: int = 0

    @classmethod
    def of(cls, query: Query | str) -> Query:
        """A Query as it is, or a bare question as a Query with nothing carried and no filters."""
        return query if isinstance(query, Query) else cls(query)

    @property
    def search_text(self) -> str:
        """What is searched for: the standalone question with the carried names after it in brackets
        ("What would they buy? (Xiaomi BAIC)"), as retrieval and the answer's `standalone_query` show it."""
        return f"{self.text} ({' '.join(self.carried)})" if self.carried else self.text


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: an exact quote from an article."""

    n: int
    article_id: str
    title: str | None
    source: str | None
    published: str | None
    url: str | None
    path: str | None
    quote: str
    chunk_id: str = ""
    lead: str = ""  # an untitled article's first words ("Chinese smartphone maker Xiaomi Corp is in…")

    LEAD_WORDS = 8  # class constants (not fields): how long `first_words` runs
    LEAD_CHARS = 60

    @classmethod
    def of(cls, n: int, passage: Passage, quote: str) -> Citation:
        """Citation number n quoting `quote` from `passage`, with the passage's article metadata
        (and, for an untitled article's opening passage, its first words)."""
        p = passage
        lead = cls.first_words(p.text) if p.start == 0 and not (p.title or "").strip() else ""
        return cls(n, p.article_id, p.title, p.source, p.published, p.url, p.path, quote, p.chunk_id, lead)

    @property
    def label(self) -> str:
        """How every front end names the article: its title, else its first words, else its url or path."""
        return " ".join((self.title or "").split()) or self.lead or self.article_id or "untitled"

    @classmethod
    def first_words(cls, text: str) -> str:
        """The first LEAD_WORDS words of an article's text (at most LEAD_CHARS characters), with "…"
        when there is more; a label for an article without a title."""
        words = text.split()
        out: list[str] = []
        for word in words[: cls.LEAD_WORDS]:
            if out and len(" ".join(out)) + 1 + len(word) > cls.LEAD_CHARS:
                break
            out.append(word)
        lead = " ".join(out)
        if len(lead) > cls.LEAD_CHARS:  # one long run of text without spaces (Chinese, Japanese)
            lead = lead[: cls.LEAD_CHARS // 2]
        if lead == " ".join(words):
            return lead
        return lead.rstrip(",;:-\u2013\u2014") + "\u2026"

    def to_json(self) -> dict[str, Any]:
        """The citation as in `newsbot ask --json`."""
        return {
            "n": self.n,
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "published": self.published,
            "url": self.url,
            "path": self.path,
            "quote": self.quote,
        }


# What a `temporal` field can name: "as_of" (a value that can change, dated), "newest" (a newer value
# given, the earlier mentioned), "disagreement" (outlets of about the same date disagree), "list"
# (one item per article), "timeline" (dated events, oldest first).
NewsRule = Literal["as_of", "newest", "disagreement", "list", "timeline"]
TEMPORAL_RULES: tuple[NewsRule, ...] = get_args(NewsRule)
# The rules that shape a whole answer (the newest value with the earlier, a disagreement, a list, a timeline).
STRUCTURED_RULES: tuple[NewsRule, ...] = ("newest", "disagreement", "list", "timeline")


@dataclass
class Reply:
    """What an answerer produces: the answer text with [n] markers and its citations."""

    text: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    check: dict[str, Any] | None = None
    temporal: NewsRule | None = None  # which news rule shaped the answer (TEMPORAL_RULES); None: none did
    candidates: list[str] = field(default_factory=list)  # candidate answer sentences weighed, best evidence first
    read: str = ""  # the passages as a model read them (after its focus cut); "": no model read any


ABSTAIN_TEXT = "I couldn't find that in the articles I have."


@dataclass
class Answer:
    """A full answer to a question, as front ends show it."""

    question: str
    text: str
    abstained: bool
    citations: list[Citation]
    hits: list[Hit] = field(default_factory=list)
    standalone_query: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    check: dict[str, Any] | None = None
    undated: str | None = None  # how date filters treated undated articles ("kept"); None: no date filter
    temporal: NewsRule | None = None  # which news rule shaped the answer (see TEMPORAL_RULES)
    preliminary: bool = False  # the quick answer quoted from the passages while a model writes the answer
    candidates: list[str] = field(default_factory=list)  # candidate answer sentences weighed, best evidence first
    read: str = ""  # the passages as a model read them (the harness's "read" stage); not in to_json

    def to_json(self) -> dict[str, Any]:
        """The object `newsbot ask --json` prints."""
        out: dict[str, Any] = {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "standalone_query": self.standalone_query,
            "temporal": self.temporal,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
        if self.check is not None:
            out["check"] = self.check
        if self.undated is not None:
            out["undated"] = self.undated
        if self.preliminary:
            out["preliminary"] = True
        if self.candidates:
            out["candidates"] = self.candidates
        return out

    def articles(self) -> list[Passage]:
        """One passage per article among the hits, in rank order: the articles the answer reads."""
        first: dict[str, Passage] = {}
        for h in self.hits:
            first.setdefault(h.passage.doc_id, h.passage)
        return list(first.values())

    def reading(self) -> str:
        """'Reading 5 articles; quoting Title (Outlet, 2022-08-01)': how many articles are read and the
        ones the answer cites (an untitled one by its first words), for a preliminary answer."""
        n = len(self.articles())
        line = f"Reading {n} article{'' if n == 1 else 's'}"
        named: list[str] = []
        for c in self.citations:
            meta = ", ".join(x for x in (c.source, c.published) if x)
            label = f"{c.label} ({meta})" if meta else c.label
            if label not in named:
                named.append(label)
        return f"{line}; quoting {'; '.join(named)}" if named else line

    def quoted(self) -> str:
        """The answer's text without its [n] markers (a preliminary answer's numbers are not the final one's)."""
        return re.sub(r"\s*\[\d+\]", "", self.text).strip()


def passage_dict(p: Passage) -> dict[str, Any]:
    """A passage as a plain dict (for JSON output)."""
    d = asdict(p)
    d["urls"] = list(p.urls)
    return d
