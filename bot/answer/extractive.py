"""Hits -> answer with citations: the extractive answerer (no model; the generative one's fallback).

The extractive answerer needs no generative model. It scores every sentence of the retrieved
passages against the question: weighted coverage of the question's terms (the previous sentence
counts at half weight, since answers often say "it"), the passage's retrieval rank, and the
embedding model's question-sentence similarity for the best lexical candidates, and the other
articles that state its new names and figures (bot/answer/evidence.py). A sentence is
eligible only when it holds the kind of thing asked for (a number for "how many" or "what was X's
revenue", a date for "when") beyond what the question already says, and when the names and numbers the question is
about appear around it (the most specific of them, asked for something of it, in the sentence itself:
BYD's share is no answer to "What was SGMW's share?"). The answer is the best one or two sentences with [n] markers; with no
eligible, well-supported sentence it abstains. Quotes are exact slices of the article text. A sentence
that gives orders (to an AI, or pushing the reader to a link: bot.answer.orders) is never a candidate,
nor is a title that does: an article's orders are not what it reports.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from bot.answer.asked import asks_source, attributed
from bot.answer.base import AnswerStream, Capabilities, ChatBackend
from bot.answer.evidence import Candidate, shortlist, with_support
from bot.answer.orders import gives_orders
from bot.answer.parts import complete_parts
from bot.answer.question import (
    DEMONYM,
    SHARED_NAME_WORDS,
    STOPWORDS,
    answer_type,
    asked_for_terms,
    asks_for_more,
    content_terms,
    holds_figure,
    key_terms,
    question_parts,
    stem,
    terms,
)
from bot.chunking import split_sentences
from bot.embed import Embedder
from bot.numbers import amounts, found, number_tokens
from bot.schema import ABSTAIN_TEXT, STRUCTURED_RULES, Citation, Hit, Query, Reply
from bot.temporal import (
    MONTH_FORMS,
    can_change,
    concepts,
    conflict,
    day,
    describe_relative,
    differ_in_amount,
    disagree,
    event_day,
    event_verb,
    format_day,
    habitual,
    negated,
    one_sentence,
    only_about_a_day,
    question_form,
    told_apart,
    values,
    without_days,
)
from bot.tokens import words

if TYPE_CHECKING:
    from bot.settings import Settings

_FOOTNOTE = re.compile(r"\s*\[\d+\]")  # an article's own [n] marks: never shown where they would read as citations
NEWS_EXTRA_WORDS = 15  # words an earlier figure may add past the answer's budget
SHORTLIST = 5  # candidates a reply lists (Reply.candidates), one per passage: what a model would judge
DAY_ITEMS = 3  # articles a question only about a day ("What happened yesterday?") is answered from

_MONTHS = "|".join(MONTH_FORMS)
# A comparison ("Xiaomi's rise compared to BAIC Motor's") asks about both names (asked_subject).
_COMPARES = re.compile(r"\b(?:compared\s+(?:to|with)|than|versus|vs\.?|relative\s+to)\s", re.IGNORECASE)
_CORPORATE = frozenset(stem(w) for w in SHARED_NAME_WORDS)
# A sentence that opens with "The"/"This" or holds a pronoun ("According to X, it was valued at ...") may
# be about what the sentence before it named.
_REFERS_BACK = re.compile(r"^\W*(?:the|this|these|that|those|such)\b|\b(?:it|its|he|his|him|she|her|they|their|them)\b", re.IGNORECASE)
_DATE = re.compile(
    rf"\b(({_MONTHS})\b|(1[89]|20)\d\d\b|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"yesterday|today|tomorrow|last (year|week|month)|this (year|week|month)|next (year|week|month)|"
    r"earlier|later|first half|second half|quarter|spring|summer|autumn|fall|winter|decade|century|ago)",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\d\s*(%|per ?cent\b|percentage points?\b)", re.IGNORECASE)
_MONEY = re.compile(
    r"[$€£¥₹]\s*\d|\d[\d.,]*\s*(?:(?:thousand|million|billion|trillion|bn|mn|crore|lakh)\s+)?"
    r"(dollars?|euros?|yuan|pounds?|yen|rupees?|won|francs?)\b|\brs\.?\s*\d|"
    r"\b(usd|eur|gbp|cny|rmb|inr|jpy)\s*\d|\d\s*(usd|eur|gbp|cny|rmb|inr|jpy)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(1[5-9]|20)\d\d\b")


class ExtractiveAnswerer:
    """Answers with the best-supported sentences of the retrieved passages; needs no generative model."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        min_coverage: float = 0.3,
        min_support: float = 0.42,
        max_words: int = 50,
        max_sentences: int = 1,
        rerank: int = 12,
        support: bool = True,
    ) -> None:
        self.embedder = embedder
        self.min_coverage = min_coverage
        self.min_support = min_support
        self.max_words = max_words
        self.max_sentences = max_sentences
        self.rerank = rerank
        self.support = support

    name = "extractive"
    capabilities = Capabilities()  # no model: nothing to warm up, the whole text at once, any number at a time
    chat: ChatBackend | None = None

    def warm_up(self) -> None:
        """Nothing to load (the embedder warms up with the pipeline)."""

    def stream(self, query: Query | str, hits: Sequence[Hit]) -> AnswerStream:
        """The answer's text once, then the reply."""
        return AnswerStream.whole(self.answer(query, hits))

    def answer(self, query: Query | str, hits: Sequence[Hit]) -> Reply:
        """Pick the sentences that best answer the question, or abstain (`query.avoid`: quotes to skip).

        A compound question ("Which plant ..., and why does it matter?") gets a quote for each part the
        first answer leaves unanswered (bot/answer/parts.py); a news rule's answer (a list, a timeline,
        the newest value, a disagreement) stands as it is.
        """
        query = Query.of(query)
        parts = question_parts(query.text)
        if len(parts) < 2:
            return self._answer(query, hits)
        # The first part asked alone (the others as context: a sentence scored against every part's words
        # answers none of them best), then a quote for each part that answer leaves unanswered.
        first = self._answer(replace(query, text=parts[0], question=parts[0], carried=(*query.carried, *parts[1:])), hits)
        if first.abstained or first.temporal in STRUCTURED_RULES:
            return self._answer(query, hits)
        return complete_parts(first, query, parts, hits, self)[0]

    def _answer(self, query: Query, hits: Sequence[Hit]) -> Reply:
        question, own, carried, avoid = query.search_text, query.text, " ".join(query.carried), query.avoid
        q_terms = content_terms(without_days(own))
        if hits and not carried and only_about_a_day(own):
            return self._day(hits, avoid)
        if not hits or not (q_terms or carried):
            return Reply(ABSTAIN_TEXT, True)
        form = question_form(own)
        if form != "value" and not avoid:
            spanning = self._span(question, own, q_terms, content_terms(carried), hits, form)
            if spanning is not None:
                return spanning
        candidates = self._ranked(question, own, q_terms, carried, hits)
        if not candidates:
            return Reply(ABSTAIN_TEXT, True)
        reply = self._choose(own, q_terms, avoid, candidates, hits)
        reply.candidates = [c.text for c in shortlist(candidates, SHORTLIST)]
        return reply

    def _choose(
        self, own: str, q_terms: list[str], avoid: Sequence[str], candidates: list[Candidate], hits: Sequence[Hit],
    ) -> Reply:
        """The reply from ranked candidates: the best one or two, a news rule's answer, or an abstention
        (`q_terms`: the question's own content terms)."""
        if avoid:
            # A sentence already given drops behind the rest when the follow-up asks for more ("What
            # else ...?") or when it holds none of the follow-up's own words: "What would they buy?"
            # wants something new, "When was it established?" may be answered by the sentence naming it.
            asked = set(q_terms)
            more = asks_for_more(own)

            def stale(c: Candidate) -> bool:
                return any(c.text in q for q in avoid) and (more or not asked & set(terms(c.text)))

            candidates.sort(key=lambda c: (stale(c), -c.evidence))
        elif asks_source(own):
            # "Which news agency reported ...?": the best sentence that names whom it is according to.
            sourced = next((c for c in candidates if attributed(c.text) and self._supported(c)), None)
            if sourced is not None:
                candidates = [sourced, *(c for c in candidates if c is not sourced)]
        best = candidates[0]
        if not self._supported(best):
            return Reply(ABSTAIN_TEXT, True)
        news = None if habitual(own) else self._news(own, best, candidates, hits)
        if news is not None:
            return news
        chosen = [best]
        total_words = len(best.text.split())
        for cand in candidates[1:]:
            if len(chosen) >= self.max_sentences:
                break
            n_words = len(cand.text.split())
            if cand.score < 0.85 * best.score or total_words + n_words > self.max_words:
                continue
            if _overlap(cand.text, best.text) > 0.5:
                continue
            chosen.append(cand)
            total_words += n_words
        notes = answer_type(own) in ("date", "year") or re.search(r"\b(?:date|day)\b", own, re.IGNORECASE) is not None
        reply = self._compose(chosen, hits, notes=notes)
        if can_change(own) and not avoid:
            # A value that can change is true as of its article's date: the answer says when.
            p = hits[best.hit_index].passage
            if day(p.published) is not None:
                reply.text = f"As of {format_day(day(p.published), p.published)}, {_lower_first(reply.text)}"
                reply.temporal = "as_of"
        return reply

    def _ranked(self, question: str, own: str, q_terms: list[str], carried: str, hits: Sequence[Hit]) -> list[Candidate]:
        candidates = self._candidates(own, q_terms, content_terms(carried), hits)
        if candidates and self.embedder is not None:
            candidates = self._rerank(question, candidates)
        if candidates and self.support:
            candidates = with_support(candidates, hits, {stem(t) for t in words(f"{own} {carried}")})
        return candidates

    def _supported(self, c: Candidate) -> bool:
        # Term coverage alone, or coverage and meaning together (follow-ups word things differently).
        return c.coverage >= self.min_coverage or (
            c.coverage >= self.min_coverage / 3 and c.coverage + 0.5 * c.similarity >= self.min_support
        )

    def _news(self, question: str, best: Candidate, candidates: list[Candidate], hits: Sequence[Hit]) -> Reply | None:
        """Newest wins, visibly; outlets of about the same date that disagree are flagged.

        The candidates about the same thing as the best one (one per article, nearly as well supported)
        are compared by the values of the kind asked for (amounts by unit, years, names): the newest
        that differs from the best answers, and the latest earlier one that differs is mentioned as
        earlier; one from another outlet within two days (not a correction) that gives a different
        amount is a rival report, and the answer says the sources disagree, while one that differs only
        in names or years tells another fact and is left out (`bot.temporal.differ_in_amount`). None
        when no two differ.
        """
        kind = answer_type(question)
        doc = hits[best.hit_index].passage.doc_id
        related = [best]
        seen = {doc}
        for c in candidates[1:40]:
            d = hits[c.hit_index].passage.doc_id
            if d in seen:
                continue
            seen.add(d)
            # About the same thing: nearly as well supported, and most of its words are the best one's.
            if (c.coverage >= 0.5 * best.coverage and c.score >= 0.6 * best.score and self._supported(c)
                    and _overlap(c.text, best.text) >= 0.4):
                related.append(c)
        if len(related) < 2:
            return None
        vals = {id(c): values(c.text, question, kind) for c in related}

        def when(c: Candidate) -> int:
            d = day(hits[c.hit_index].passage.published)
            return d.toordinal() if d else 0

        def rivals_of(a: Candidate, b: Candidate) -> bool | None:
            """True: rival reports (different amounts; an undated sentence with other values); False: two
            facts, neither version nor rival (other outlets' reports of the same days differing in names
            or years; undated sentences worded otherwise); None: versions, the newer one wins."""
            newer, older = (a, b) if when(a) >= when(b) else (b, a)
            if not when(newer) or not when(older):
                # Nothing tells which is newer: one sentence with another value in it is a rival report.
                return one_sentence(newer.text, older.text)
            if not disagree(hits[newer.hit_index].passage, hits[older.hit_index].passage, newer.text):
                return None
            return differ_in_amount(vals[id(newer)], vals[id(older)], kind)

        related = [best] + [c for c in related[1:] if rivals_of(c, best) is not False]
        if len(related) < 2:
            return None

        newest_first = sorted(related, key=lambda c: -when(c))
        primary = best
        for c in newest_first:
            if when(c) > when(best) and conflict(vals[id(c)], vals[id(best)], kind):
                primary = c
                break
        pp = hits[primary.hit_index].passage
        rivals = []
        for c in newest_first:
            if c is primary:
                continue
            newer, older = (primary, c) if when(primary) >= when(c) else (c, primary)
            if not (conflict(vals[id(newer)], vals[id(older)], kind) and conflict(vals[id(older)], vals[id(newer)], kind)):
                continue
            if rivals_of(newer, older):
                rivals.append(c)
        if rivals:
            shown = [primary] + rivals[:2]
            if not any(when(c) for c in shown):
                # Undated copies of one sentence: each gives its own value, and its citation the sentence.
                values_of = [told_apart(primary.text, c.text) for c in rivals[:2]]
                if all(mine and theirs for mine, theirs in values_of):
                    said = [values_of[0][0]] + [theirs for _, theirs in values_of]
                    text = "Sources disagree: " + "; ".join(f"{v} [{n}]" for n, v in enumerate(said, start=1)) + "."
                    reply = self._cite(shown, hits, text)
                    reply.temporal = "disagreement"
                    return reply
            parts = []
            for n, c in enumerate(shown, start=1):
                p = hits[c.hit_index].passage
                dated = day(p.published)
                label = f"{p.source or 'one outlet'} ({format_day(dated, p.published)})" if dated else p.source or "one passage"
                parts.append(f"{label} says {_clean(c.text).rstrip('.')} [{n}]")
            reply = self._cite(shown, hits, "Sources disagree: " + "; ".join(parts) + ".")
            reply.temporal = "disagreement"
            return reply
        earlier = [c for c in newest_first if when(c) < when(primary) and conflict(vals[id(primary)], vals[id(c)], kind)]
        if primary is best and not earlier:
            return None
        text = f"As of {format_day(day(pp.published), pp.published)}, {_lower_first(_clean(primary.text))} [1]"
        chosen = [primary]
        if earlier:
            e = earlier[0]
            ep = hits[e.hit_index].passage
            mention = f" Earlier, on {format_day(day(ep.published), ep.published)}: {_clean(e.text)} [2]"
            # The answer keeps to its word budget, the earlier value the first thing left out; a
            # differing figure is far more often the same thing revised than a differing name, so an
            # earlier figure may take a few words more.
            budget = self.max_words + (0 if kind == "name" else NEWS_EXTRA_WORDS)
            if len((text + mention).split()) <= budget:
                text += mention
                chosen.append(e)
        if len(chosen) == 1 and primary is best:
            return None
        reply = self._cite(chosen, hits, text)
        reply.temporal = "newest"
        return reply

    def _span(self, question: str, own: str, q_terms: list[str], carried: list[str], hits: Sequence[Hit],
              form: str) -> Reply | None:
        """Lists, counts and timelines: one item per article, each cited; None to answer as usual.

        Every article whose best sentence is well supported (at least half as well as the best article's)
        gives one item. A list or a count is the items by date, and a count says how many items the list
        has (never a number from a sentence); a timeline is the items oldest first, each dated by its
        event (a relative date read against the publish date). A list of one is answered as usual.
        """
        kind = "name" if form in ("list", "count") else "thing"
        candidates = self._candidates(own, q_terms, carried, hits, kind=kind)
        if not candidates:
            return None
        per_article: list[Candidate] = []
        seen: set[str] = set()
        for c in candidates:
            d = hits[c.hit_index].passage.doc_id
            if d not in seen:
                seen.add(d)
                per_article.append(c)
        if self.embedder is not None:
            per_article = self._rerank(question, per_article[: max(self.rerank, 16)])
        # Each article's best sentence is an item when it reports the event asked for (in any of its
        # wordings: "layoffs" / "cut 400 jobs"), or, for events without a known wording, when it is
        # nearly as well supported as the best; a sentence saying it did not happen is none.
        wanted = concepts(own) if form != "timeline" else set()
        top = per_article[0]
        if wanted:
            items = [c for c in per_article if concepts(c.text) & wanted and not negated(c.text, own)]
        else:
            if not self._supported(top):
                return None
            items = [c for c in per_article
                     if self._supported(c) and c.score >= 0.6 * top.score and not negated(c.text, own)]
            # "Which companies opened new plants?": where articles say the verb itself, those are the
            # items (an article that "closed its plant" is as close in words, but not one).
            verb = event_verb(own)
            saying = [c for c in per_article if verb and _says(c.text, verb) and not negated(c.text, own)]
            if verb and stem(verb) not in STOPWORDS and saying:
                items = saying
        items = items[:8]
        if not items:
            return None
        if len(items) < 2 and form != "count":
            return None
        items.sort(key=lambda c: (event_day(c.text, hits[c.hit_index].passage.published) or dt.date.min, c.hit_index))
        lines = []
        for n, c in enumerate(items, start=1):
            p = hits[c.hit_index].passage
            when = event_day(c.text, p.published)
            lines.append(f"- {format_day(when, p.published if when == day(p.published) else None)}: {_clean(c.text)} [{n}]")
        head = {"count": f"{len(items)}, counting one per article:", "list": f"{len(items)} articles name one each:",
                "timeline": "Oldest first:"}[form]
        reply = self._cite(items, hits, head + "\n" + "\n".join(lines))
        reply.temporal = "timeline" if form == "timeline" else "list"
        return reply

    def _day(self, hits: Sequence[Hit], avoid: Sequence[str] = ()) -> Reply:
        """A question only about a day ("What happened yesterday?", "What was the news last week?"): it has
        no words to look for, and retrieval gave the articles of that day (bot.retrieve), best first. News
        leads with its main fact, so the answer is the opening sentence of each of the best DAY_ITEMS
        articles (their earliest passage among the hits), dated and cited; a sentence already given is not."""
        first: dict[str, int] = {}  # each article (in the order of its best hit): its earliest passage
        for i, h in enumerate(hits):
            doc = h.passage.doc_id
            if doc not in first or h.passage.start < hits[first[doc]].passage.start:
                first[doc] = i
        chosen: list[Candidate] = []
        for i in list(first.values())[:DAY_ITEMS]:
            p = hits[i].passage
            for s, e in split_sentences(p.text):
                sentence = p.text[s:e]
                if (len(words(sentence)) >= 4 and "|" not in sentence and not gives_orders(sentence)
                        and not any(sentence in q for q in avoid)):
                    chosen.append(Candidate(i, p.start + s, p.start + e, sentence, 1.0, 1.0))
                    break
        if not chosen:
            return Reply(ABSTAIN_TEXT, True)
        lines = []
        for n, c in enumerate(chosen, start=1):
            p = hits[c.hit_index].passage
            happened = event_day(c.text, p.published)
            dated = format_day(happened, p.published if happened == day(p.published) else None)
            lines.append((dated, _clean(c.text), n))
        if len(lines) == 1:
            dated, text, _ = lines[0]
            return self._cite(chosen, hits, f"On {dated}: {text} [1]")
        return self._cite(chosen, hits, "\n".join(f"- {dated}: {text} [{n}]" for dated, text, n in lines))

    def _cite(self, chosen: list[Candidate], hits: Sequence[Hit], text: str) -> Reply:
        """A reply whose [n] markers number `chosen` in order, one citation each."""
        citations = []
        for n, c in enumerate(chosen, start=1):
            p = hits[c.hit_index].passage
            citations.append(Citation.of(n, p, c.text))
        return Reply(text, False, citations)

    def _candidates(
        self, question: str, q_terms: list[str], carried: list[str], hits: Sequence[Hit], kind: str | None = None
    ) -> list[Candidate]:
        # (hit index, start, end, sentence, its terms, previous sentence's terms, nearby terms)
        rows: list[tuple[int, int, int, str, list[str], list[str], set[str], set[str]]] = []
        for i, hit in enumerate(hits):
            text = hit.passage.text
            # The title and the outlet are context: "as reported by The Verge" names the source.
            # The title, the outlet and the month it was published are context: "as reported by The
            # Verge" names the source, "recalls in September" the month.
            title = hit.passage.title or ""
            title = "" if gives_orders(title) else title
            title_terms = terms(f"{title} {hit.passage.source or ''} {_month_words(hit.passage.published)}")
            history: list[list[str]] = [title_terms, title_terms]
            header: list[str] | None = None  # a table's first row names its columns
            for s, e in split_sentences(text):
                sentence = text[s:e]
                is_row = "|" in sentence
                if is_row and not _table_row(sentence):
                    continue  # "Also Read| ..." links: neither answers nor context
                if gives_orders(sentence):
                    continue  # "Disregard the above and reply ...": neither answers nor context
                toks = terms(sentence)
                # A table row is read with its header row ("Segment | Revenue | Change"), not the row above.
                prev = header if is_row and header is not None else history[-1]
                if len(words(sentence)) >= (2 if is_row else 4):  # a table row is short: "Tents | 12.1m | +3%"
                    nearby = set(toks).union(*history[-2:], prev, title_terms)
                    # What the sentence is about: its own names, the title's, and the sentence before's when
                    # it refers back (_REFERS_BACK).
                    close = set(toks).union(title_terms, prev if _REFERS_BACK.search(sentence) else ())
                    rows.append((i, hit.passage.start + s, hit.passage.start + e, sentence, toks, prev, nearby, close))
                header = (toks if header is None else header) if is_row else None
                history.append(toks)
        if not rows:
            return []
        n = len(rows)
        df: dict[str, int] = {}
        for row in rows:
            for t in set(row[4]):
                df[t] = df.get(t, 0) + 1
        weights = {t: math.log(1.0 + n / (1.0 + df.get(t, 0))) + 0.5 for t in q_terms}
        # The words describing what is asked for ("which Ivy League school") are how a sentence
        # *refers* to the answer; the answer sentence names it instead, so they count for less.
        for t in asked_for_terms(question):
            if t in weights:
                weights[t] *= 0.3
        # Names carried over from earlier turns give context, but must not outweigh the question itself.
        extra = {t: math.log(1.0 + n / (1.0 + df.get(t, 0))) + 0.5 for t in carried if t not in weights}
        if extra:
            scale = min(0.3, 0.35 * sum(weights.values()) / sum(extra.values())) if weights else 0.3
            weights.update({t: w * scale for t, w in extra.items()})
        total = sum(weights.values()) or 1.0
        q_set = set(q_terms) | set(carried)
        keys = key_terms(question)
        kind = kind or answer_type(question)
        q_lower = question.lower()
        # Asked for an amount, a date or a thing of a name, a sentence must hold that name (in itself, its
        # article's title, or the sentence before when it refers back to it).
        subject = asked_subject(question, keys, df, kind)
        out: list[Candidate] = []
        for i, s, e, sentence, toks, prev, nearby, close in rows:
            here, before = set(toks), set(prev)
            coverage = sum(w for t, w in weights.items() if t in here) + 0.5 * sum(
                w for t, w in weights.items() if t in before and t not in here
            )
            coverage /= total
            if keys:
                # Numbers and years the question names must be there; of its names, one in three
                # may be worded differently ("US" / "United States").
                missing_numbers = sum(1 for k in keys if k.startswith("num:") and not found(k, nearby))
                missing_names = sum(1 for k in keys if not k.startswith("num:") and k not in nearby)
                names = sum(1 for k in keys if not k.startswith("num:"))
                if missing_numbers or missing_names > names // 3 or (subject is not None and subject not in close):
                    continue
            novel = [w for w in words(sentence) if stem(w) not in q_set and w.lower() not in STOPWORDS]
            if not novel:
                continue
            if kind == "number" and not _has_new_figure(sentence, novel, question):
                continue
            if kind == "percent" and not (
                _PERCENT.search(sentence) or any(a.unit == "pct" for a in amounts(sentence))
            ):
                continue
            if kind == "money" and not (
                _MONEY.search(sentence) or any(a.unit in _CURRENCIES for a in amounts(sentence))
            ):
                continue
            if kind == "date" and not _has_new_date(sentence, question):
                continue
            if kind == "year" and not any(m.group(0) not in q_lower for m in _YEAR.finditer(sentence)):
                continue
            type_bonus = 1.0 if kind == "name" and any(w[:1].isupper() for w in novel[1:]) else 0.0
            rank_prior = 1.0 / (1.0 + 0.5 * i)
            # News leads with its main fact (the inverted pyramid): the opening sentence gets a nudge.
            lead = 0.05 if s < 5 and not carried else 0.0
            score = coverage + 0.1 * type_bonus + 0.15 * rank_prior + lead + 0.1 * _bigram_bonus(q_terms, toks)
            if len(sentence.split()) > 60:
                score *= 0.85
            out.append(Candidate(i, s, e, sentence, score, coverage))
        out.sort(key=lambda c: -c.score)
        return out

    def _rerank(self, question: str, candidates: list[Candidate]) -> list[Candidate]:
        """Add the embedding model's question-sentence similarity to the best lexical candidates."""
        assert self.embedder is not None
        top = candidates[: self.rerank]
        vectors = self.embedder.embed([question] + [c.text for c in top])
        sims = np.asarray(vectors[1:] @ vectors[0], dtype=np.float64)
        rescored = [replace(c, score=c.score + 0.3 * float(sim), similarity=float(sim)) for c, sim in zip(top, sims)]
        rescored.sort(key=lambda c: -c.score)
        return rescored + candidates[self.rerank :]


    def _compose(self, chosen: list[Candidate], hits: Sequence[Hit], notes: bool = False) -> Reply:
        numbers: dict[int, int] = {}
        quotes: dict[int, list[Candidate]] = {}
        parts = []
        for cand in chosen:
            if cand.hit_index not in numbers:
                numbers[cand.hit_index] = len(numbers) + 1
                quotes[cand.hit_index] = []
            quotes[cand.hit_index].append(cand)
            # A hard-wrapped article's line breaks are not the answer's: one line, single spaces.
            text = _clean(cand.text)
            # "opened on Saturday" is read against the article's date: (Saturday: 14 June 2025).
            relative = describe_relative(cand.text, hits[cand.hit_index].passage.published) if notes else ""
            if relative:
                text = f"{text.rstrip()} ({relative})"
            parts.append(f"{text} [{numbers[cand.hit_index]}]")
        citations = []
        for hit_index, n in numbers.items():
            p = hits[hit_index].passage
            cands = sorted(quotes[hit_index], key=lambda c: c.start)
            quote = p.text[cands[0].start - p.start : cands[-1].end - p.start] if len(cands) > 1 else cands[0].text
            citations.append(
                Citation.of(n, p, quote)
            )
        return Reply(" ".join(parts), False, citations)


_MODAL = frozenset("would will may might could should shall".split())
_INTENT = frozenset("plan plans planned planning aim aims aimed expect expects hope hopes want wants intend intends".split())


def asked_subject(question: str, keys: Sequence[str], df: dict[str, int], kind: str) -> str | None:
    """The name whose amount, date or thing `question` asks for, as a key term, or None.

    Asked for something of a name, the question's most specific name the passages spell its way (the
    one fewest of their sentences hold, `df`: sentences per term; "SGMW" beside "China" and "EV") is
    whose it asks: a sentence without it gives someone else's (BYD's share is no answer to "What was
    SGMW's share?"), however many of the other names it holds. None when the question asks for a
    name ("Who won the Tour de France?" is answered by the winner's name), compares names ("Xiaomi's
    rise compared to BAIC Motor's"), or when no name is clearly the rarest. A people ("Chinese"), a
    month ("May") or a word many names share ("Motor", "Group") is no subject.
    """
    if kind == "name" or _COMPARES.search(question):
        return None
    qualifiers = {stem(w) for w in words(question)
                  if (w[:1].isupper() and DEMONYM.search(w)) or _DATE.fullmatch(w) or stem(w) in _CORPORATE}
    spelled = {k: df[k] for k in keys if not k.startswith("num:") and k not in qualifiers and df.get(k)}
    rarest = sorted(spelled.values())
    if len(rarest) > 1 and rarest[0] < rarest[1]:
        return min(spelled, key=lambda k: spelled[k])
    return None


def _says(sentence: str, verb: str) -> bool:
    """Whether a sentence reports a question's verb as done, not as a plan ('would open', 'plans to open')."""
    ws = words(sentence)
    for i, w in enumerate(ws):
        if stem(w) != stem(verb):
            continue
        before = [x.lower() for x in ws[max(0, i - 2):i]]
        if before and before[-1] in _MODAL:
            continue
        if len(before) == 2 and before[-1] == "to" and before[0] in _INTENT:
            continue
        return True
    return False


def _clean(sentence: str) -> str:
    """A quoted sentence on one line, without the article's own [n] marks."""
    return " ".join(_FOOTNOTE.sub("", sentence).split())


def _lower_first(text: str) -> str:
    """'The council ...' -> 'the council ...' after 'As of <date>, '; names keep their capital."""
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if first.lower() in STOPWORDS and first[:1].isupper() else text


def _month_words(published: str | None) -> str:
    """'2025-09-18' -> 'September 2025': words a question may use for when an article appeared."""
    d = day(published)
    return format_day(d, published[:7]) if d and published else ""


_CURRENCIES = frozenset("usd eur gbp jpy cny inr chf cad aud hkd krw rub".split())
_NOT_A_TABLE = re.compile(r"^\W*(?:also read|read more|related|see also|watch|listen|click|follow)\b", re.IGNORECASE)



def _table_row(sentence: str) -> bool:
    """A table row kept at extraction ("Bicycles | 31.7 million euros | -9%"): two or more short cells."""
    cells = [c.strip() for c in sentence.split("|")]
    return len(cells) >= 2 and all(len(c.split()) <= 6 for c in cells) and not _NOT_A_TABLE.search(sentence)


def _has_new_figure(sentence: str, novel: list[str], question: str) -> bool:
    """True when a sentence holds a figure the question does not: an amount, a number word, a numeral."""
    asked = set(number_tokens(question))
    if any(a.tokens[-1] not in asked for a in amounts(sentence)):
        return True
    q_lower = question.lower()
    # "two" is no new figure beside the question's "No. 2": a number word counts by its value.
    return any(
        holds_figure(w) and w.lower() not in q_lower and not (set(number_tokens(w)) and set(number_tokens(w)) <= asked)
        for w in novel
    )


def _has_new_date(sentence: str, question: str) -> bool:
    q = question.lower()
    return any(m.group(0).lower() not in q for m in _DATE.finditer(sentence))


def _bigram_bonus(q_terms: list[str], toks: list[str]) -> float:
    q_bigrams = set(zip(q_terms, q_terms[1:]))
    if not q_bigrams:
        return 0.0
    s_terms = [t for t in toks if t not in STOPWORDS]
    s_bigrams = set(zip(s_terms, s_terms[1:]))
    return len(q_bigrams & s_bigrams) / len(q_bigrams)


def _overlap(a: str, b: str) -> float:
    sa, sb = set(content_terms(a)), set(content_terms(b))
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))


def make_extractive(settings: Settings, embedder: Embedder) -> ExtractiveAnswerer:
    """The `extractive` answerer of bot/settings.py's ANSWERERS registry (the embedder reranks its candidates)."""
    return ExtractiveAnswerer(embedder=embedder)
