"""Query -> hits: hybrid retrieval (dense MiniLM + BM25) fused by reciprocal rank.

Filters (source, date range, as-of) apply to both retrievers; near-duplicate chunks are collapsed;
a question asked as of a date prefers articles from the weeks before it, and one about "this week" or
"recently" prefers those days more strongly; a question naming a day ("yesterday", "on Monday", "two
days ago", "last week", read against the as-of date or today) prefers the articles of that day, and
one only about a day ("What happened yesterday?") gets only them; a conversation's previously cited
articles get a small boost.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from bot.embed import Embedder
from bot.lexical import Bm25Index
from bot.numbers import number_tokens
from bot.schema import Chunk, Hit, Passage, Query
from bot.state import StateDB
from bot.store import ChromaStore, DenseFilter
from bot.temporal import Days, expand, only_about_a_day, question_days, resolve_relative, spans_articles

RRF_K = 60
# A question asked as of a date is about the news up to it: a passage from the days before that date
# weighs up to AS_OF_PRIOR more (x2 on the day, x1.5 a month before, x1.08 a year before; 1 + w / (1
# + age / AS_OF_DAYS)). "This week"/"recently" questions get the stronger, shorter boost on top.
AS_OF_PRIOR = 1.0
AS_OF_DAYS = 30.0
# A question naming a day ("yesterday", "on Monday", "last week") weighs the articles of that day DAY_PRIOR
# more (x2), and those of the day after that report an event on it ("on Wednesday") half as much more (x1.5).
DAY_PRIOR = 1.0
DAY_AFTER = 1  # days after the day asked about on which an article may still report it ("on Wednesday")
OVERFETCH = 4  # candidates fetched per one kept when a filter applies
MAX_FETCH = 4096  # the most unfiltered dense candidates searched before Chroma's own filter is used
_RECENT = re.compile(
    r"\b(this (week|month|year|weekend)|last (week|month|weekend)|recent(ly)?|latest|newest|"
    r"today|yesterday|tonight|currently|now|just|new)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")


class Retriever(Protocol):
    """Finds the passages most likely to answer a query."""

    def retrieve(self, query: Query) -> list[Hit]:
        """Hits, best first, at most query.k."""
        ...

    def openings(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The text of each article's opening passage in the index, by doc id (those it holds)."""
        ...


class HybridRetriever:
    """Dense + BM25 retrieval fused by reciprocal rank, with filters and near-duplicate collapse."""

    def __init__(
        self,
        embedder: Embedder,
        store: ChromaStore,
        lexical: Bm25Index,
        state: StateDB,
        candidates: int = 40,
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.lexical = lexical
        self.state = state
        self.candidates = candidates

    def retrieve(self, query: Query) -> list[Hit]:
        """Hits for a query, best first, filtered and de-duplicated."""
        self.lexical.refresh()  # the index an ingest saved since (read, never rebuilt here)
        text = query.search_text
        lexical_text = text
        if spans_articles(text):
            # "Which companies ...", "How many ...", "How has X changed?": one item per article (the
            # budget, bot/answer/base.py `passage_budget`, gives them more passages), and the lexical
            # search looks for every wording of the event asked about.
            lexical_text = expand(text)
        days = asked_days(query)
        if days is not None and only_about_a_day(text):
            # "What happened yesterday?": nothing to search for but the day, so only its articles are searched
            # (published on it, or in the day after it when they report it; see `of_the_days`).
            until = days.end + dt.timedelta(days=DAY_AFTER)
            query = replace(query, since=max(query.since or days.start, days.start), until=min(query.until or until, until))
        n = max(self.candidates, query.k * 4)
        max_day = _min_date(query.as_of, query.until)
        flt = DenseFilter(
            max_ord=max_day.toordinal() if max_day else None,
            min_ord=query.since.toordinal() if query.since else None,
            sources=tuple(s.lower() for s in query.sources),
        )
        filtered = flt.max_ord is not None or flt.min_ord is not None or bool(flt.sources)
        vector = self.embedder.embed([text])[0]
        dense = self.dense_filtered(vector, n, flt) if filtered else self.store.search(vector, n)
        lexical = self.lexical.search(lexical_text, n * OVERFETCH if filtered else n)
        passages = self.state.passages([c for c, _ in dense] + [c for c, _ in lexical])
        dense = [(c, s) for c, s in dense if c in passages][:n]  # dense_filtered filtered them already
        lexical = [(c, s) for c, s in lexical if c in passages and _passes(passages[c], flt)][:n]
        return self.fuse(query, passages, dense, lexical)

    def openings(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The text of each article's opening passage, by doc id, read from the state (the articles
        whose opening chunk is indexed; an untitled article's citations are labelled with its first words)."""
        found = self.state.passages([Chunk(doc_id, 0, "", 0, 0).id for doc_id in doc_ids])
        return {p.doc_id: p.text for p in found.values() if p.start == 0}

    def dense_filtered(self, vector: object, n: int, flt: DenseFilter) -> list[tuple[str, float]]:
        """Dense candidates that pass a filter.

        Chroma's own metadata filter scans the metadata segment: ~0.5 s at 100k chunks, ~10 s at
        1M. An unfiltered search costs milliseconds, so search without the filter for more
        candidates (4x, then 32x, then 256x, up to MAX_FETCH) and filter them here by their
        documents' dates and outlets in the state DB; only a filter that keeps almost nothing of
        those goes to Chroma.
        """
        fetch = n * OVERFETCH
        while True:
            found = self.store.search(vector, fetch)  # type: ignore[arg-type]
            docs = [c.rsplit(":", 1)[0] for c, _ in found]
            meta = self.state.doc_dates(docs)
            kept = [hit for hit, doc in zip(found, docs) if _meta_passes(meta.get(doc), flt)]
            exhausted = len(found) < fetch  # the collection holds fewer chunks: all were seen
            if len(kept) >= n or exhausted or fetch >= MAX_FETCH:
                break
            fetch = min(MAX_FETCH, fetch * 8)
        if len(kept) >= n // 2 or exhausted:
            return kept[:n]
        return self.store.search(vector, n, flt)  # type: ignore[arg-type]

    def fuse(
        self,
        query: Query,
        passages: dict[str, Passage],
        dense: Sequence[tuple[str, float]],
        lexical: Sequence[tuple[str, float]],
    ) -> list[Hit]:
        """Reciprocal-rank fusion, recency and conversation boosts, near-duplicate collapse."""
        scores: dict[str, float] = {}
        dense_rank = {c: i + 1 for i, (c, _) in enumerate(dense)}
        lexical_rank = {c: i + 1 for i, (c, _) in enumerate(lexical)}
        for rank_map in (dense_rank, lexical_rank):
            for c, r in rank_map.items():
                scores[c] = scores.get(c, 0.0) + 1.0 / (RRF_K + r)
        prefer = set(query.prefer_docs)
        recent = query.as_of is not None and bool(_RECENT.search(query.search_text))
        days = asked_days(query)
        weight = {c: of_the_days(passages[c], days) for c in scores} if days is not None else {}
        if days is not None and only_about_a_day(query.search_text):
            scores = {c: v for c, v in scores.items() if weight[c]}
        elif days is not None and days.current:
            weight = {}  # "this week": the days up to the as-of date, which the recency boosts prefer already
        for c in scores:
            p = passages[c]
            if prefer and p.doc_id in prefer:
                scores[c] *= 1.25
            scores[c] *= 1.0 + DAY_PRIOR * weight.get(c, 0.0)
            if query.as_of is not None:
                age = _age_days(p.published, query.as_of)
                if age is not None:
                    scores[c] *= 1.0 + AS_OF_PRIOR / (1.0 + age / AS_OF_DAYS)
                    if recent:
                        scores[c] *= 1.0 + 0.5 / (1.0 + age / 7.0)
        ordered = sorted(scores, key=lambda c: -scores[c])
        hits: list[Hit] = []
        kept: list[tuple[set[str], frozenset[str]]] = []
        for c in ordered:
            p = passages[c]
            words = set(_WORD.findall(p.text.lower()))
            figures = frozenset(number_tokens(p.text))
            twin = next((i for i, (other, _) in enumerate(kept) if _jaccard(words, other) >= 0.8), None)
            if twin is not None:
                # A near-duplicate (a wire copy, an updated version) is dropped only when it states the
                # same figures; a newer one with the same figures takes the older one's place.
                if kept[twin][1] == figures:
                    older = hits[twin].passage
                    if (_ordinal(p.published) or 0) > (_ordinal(older.published) or 0):
                        hits[twin] = Hit(p, hits[twin].score, dense_rank.get(c), lexical_rank.get(c))
                    continue
            kept.append((words, figures))
            hits.append(Hit(p, scores[c], dense_rank.get(c), lexical_rank.get(c)))
            if len(hits) >= query.k:
                break
        return hits


def asked_days(query: Query) -> Days | None:
    """The days a query's relative date stands for, read against its as-of date (or today when it has none)."""
    return question_days(query.search_text, query.as_of or dt.date.today())


def of_the_days(p: Passage, days: Days) -> float:
    """How much a passage is of the days asked about: 1 when published on one of them, 0.5 when published
    up to DAY_AFTER days later telling of one of them ("on Wednesday", "yesterday", read against its own
    date), else 0."""
    published = _day(p.published)
    if published is None or len((p.published or "").split("-")) < 3:  # undated, or known to the month
        return 0.0
    if days.holds(published):
        return 1.0
    if not days.end < published <= days.end + dt.timedelta(days=DAY_AFTER):
        return 0.0
    told = any(precision == "day" and days.holds(when) for _, when, precision in resolve_relative(p.text, p.published))
    return 0.5 if told else 0.0


def _day(published: str | None) -> dt.date | None:
    ordinal = _ordinal(published)
    return dt.date.fromordinal(ordinal) if ordinal else None


def _passes(p: Passage, flt: DenseFilter) -> bool:
    return _meta_passes((_ordinal(p.published), p.source), flt)


# What every date filter (--as-of, --since, --until) does with an article without a date: it may be
# from any day, so it is left out (`ask --json` says so in its "undated" field).
UNDATED_RULE = "excluded"


def _meta_passes(meta: tuple[int | None, str | None] | None, flt: DenseFilter) -> bool:
    """Whether a document with (published ordinal, outlet) passes the filter; None: not indexed."""
    if meta is None:
        return False
    day, source = meta
    if flt.sources and (source or "").lower() not in flt.sources:
        return False
    if not day:  # unknown date (stored as 0 or NULL): left out by every date filter (UNDATED_RULE)
        return flt.min_ord is None and flt.max_ord is None
    if flt.max_ord is not None and day > flt.max_ord:
        return False
    return not (flt.min_ord is not None and day < flt.min_ord)


def _ordinal(published: str | None) -> int | None:
    from bot.schema import date_ordinal

    return date_ordinal(published)


def _age_days(published: str | None, as_of: dt.date) -> float | None:
    day = _ordinal(published)
    if day is None:
        return None
    return max(0.0, float(as_of.toordinal() - day))


def _min_date(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
