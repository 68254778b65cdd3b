"""Hits -> answer with citations. The Answerer protocol and the default extractive answerer.

The extractive answerer needs no model: it scores every sentence of the retrieved passages against
the question (weighted term coverage, the passage's retrieval rank, and whether the sentence holds
the kind of thing asked for: a name, a number, a date), answers with the best one or two sentences
with [n] markers, and abstains when support is weak or when names and numbers the question is about
appear in none of the passages. Quotes are exact slices of the article text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.chunking import split_sentences
from bot.schema import ABSTAIN_TEXT, Citation, Hit, Reply

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.%$-]*[A-Za-z0-9%]|[A-Za-z0-9]")
STOPWORDS = frozenset(
    """a an the and or but if of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there all any both
    each few more most other some such no nor not only own same so than too very can will just should now
    is are was were be been being have has had having do does did doing would could might must shall may
    i me my we our you your he him his she her it its they them their what which who whom whose this that
    these those am as until while where when why how also said says say according one two get got make
    made much many last week year years month new news report reported reports per cent""".split()
)
_QWORDS = frozenset("what which who whom whose when where why how name named".split())
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    rf"\b(({_MONTHS})\b|(19|20)\d\d\b|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"yesterday|today|last (year|week|month)|this (year|week|month)|earlier|later|first half|second half|"
    r"quarter|spring|summer|autumn|fall|winter)",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(\d|\bone\b|\btwo\b|\bthree\b|\bfour\b|\bfive\b|\bsix\b|\bseven\b|\beight\b|\bnine\b|\bten\b|"
    r"\bhundred|\bthousand|\bmillion|\bbillion|\bdozen|percent|%)",
    re.IGNORECASE,
)


class Answerer(Protocol):
    """Turns a question and retrieved passages into an answer with citations."""

    def answer(self, question: str, hits: Sequence[Hit]) -> Reply:
        """Answer from the hits only; abstain when they do not hold the answer."""
        ...


def words(text: str) -> list[str]:
    """Word tokens of a text, as written."""
    return _WORD.findall(text)


def stem(word: str) -> str:
    """A light English stem: lower case, common suffixes off (enough to match 'talks'/'talking')."""
    w = word.lower().strip(".'’").replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suffix in ("ingly", "edly", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            if suffix in ("ies", "ied"):
                w += "y"
            break
    return w


def content_terms(text: str) -> list[str]:
    """Stemmed content words of a text (no stopwords, no question words)."""
    out = []
    for w in words(text):
        lw = w.lower()
        if lw in STOPWORDS or lw in _QWORDS or len(lw) < 2 and not lw.isdigit():
            continue
        out.append(stem(w))
    return out


def key_terms(question: str) -> list[str]:
    """Names and numbers a question is about: capitalised words past the first, and digits."""
    tokens = words(question)
    out: list[str] = []
    for i, w in enumerate(tokens):
        lw = w.lower()
        if lw in STOPWORDS or lw in _QWORDS:
            continue
        if any(ch.isdigit() for ch in w) or (i > 0 and w[:1].isupper()) or (w.isupper() and len(w) > 1):
            out.append(stem(w))
    return list(dict.fromkeys(out))


def answer_type(question: str) -> str:
    """The kind of thing asked for: 'date', 'number', 'name' or 'thing'."""
    q = question.lower()
    if re.search(r"\bwhen\b|\bwhat (year|date|month|day|time)\b|\bwhich (year|month|day)\b|\bhow long ago\b", q):
        return "date"
    if re.search(r"\bhow (many|much|big|large|high|low|fast|far|long|old)\b|\bwhat (percentage|percent|share|number|amount|price|value|rate)\b", q):
        return "number"
    if re.search(r"\bwho(m|se)?\b|\bwhich (company|companies|firm|person|country|city|brand|team|group|state|carmaker|automaker|maker|party|agency|organi[sz]ation)\b|\bwhere\b", q):
        return "name"
    return "thing"


@dataclass(frozen=True)
class _Candidate:
    hit_index: int
    start: int
    end: int
    text: str
    score: float
    coverage: float


class ExtractiveAnswerer:
    """Answers with the best-supported sentences of the retrieved passages; needs no model."""

    def __init__(self, min_coverage: float = 0.34, max_words: int = 50, max_sentences: int = 2) -> None:
        self.min_coverage = min_coverage
        self.max_words = max_words
        self.max_sentences = max_sentences

    def answer(self, question: str, hits: Sequence[Hit]) -> Reply:
        """Pick the sentences that best answer the question, or abstain."""
        if not hits:
            return Reply(ABSTAIN_TEXT, True)
        q_terms = content_terms(question)
        if not q_terms:
            return Reply(ABSTAIN_TEXT, True)
        keys = key_terms(question)
        if keys and not self._keys_present(keys, hits):
            return Reply(ABSTAIN_TEXT, True)
        candidates = self._candidates(question, q_terms, hits)
        if not candidates:
            return Reply(ABSTAIN_TEXT, True)
        best = candidates[0]
        if best.coverage < self.min_coverage:
            return Reply(ABSTAIN_TEXT, True)
        chosen = [best]
        total_words = len(best.text.split())
        for cand in candidates[1:]:
            if len(chosen) >= self.max_sentences:
                break
            n_words = len(cand.text.split())
            if cand.score < 0.8 * best.score or total_words + n_words > self.max_words:
                continue
            if _overlap(cand.text, best.text) > 0.6:
                continue
            chosen.append(cand)
            total_words += n_words
        return self._compose(chosen, hits)

    def _keys_present(self, keys: list[str], hits: Sequence[Hit]) -> bool:
        found = set()
        for h in hits:
            text = f"{h.passage.title or ''} {h.passage.text}"
            found.update(stem(w) for w in words(text))
        missing = [k for k in keys if k not in found]
        # Long questions may name a thing differently ("US" / "United States"): allow one miss in three.
        return len(missing) == 0 or (len(keys) >= 3 and len(missing) <= len(keys) // 3)

    def _candidates(self, question: str, q_terms: list[str], hits: Sequence[Hit]) -> list[_Candidate]:
        sentences: list[tuple[int, int, int, str, list[str]]] = []
        for i, hit in enumerate(hits):
            text = hit.passage.text
            for s, e in split_sentences(text):
                sentence = text[s:e]
                if len(sentence.split()) < 4:
                    continue
                sentences.append((i, s, e, sentence, [stem(w) for w in words(sentence)]))
        if not sentences:
            return []
        n = len(sentences)
        df: dict[str, int] = {}
        for *_, toks in sentences:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        q_unique = list(dict.fromkeys(q_terms))
        idf = {t: math.log(1.0 + n / (1.0 + df.get(t, 0))) + 0.5 for t in q_unique}
        total = sum(idf.values())
        q_set = set(q_unique)
        kind = answer_type(question)
        out: list[_Candidate] = []
        for i, s, e, sentence, toks in sentences:
            present = q_set.intersection(toks)
            coverage = sum(idf[t] for t in present) / total
            novel = [w for w in words(sentence) if stem(w) not in q_set and w.lower() not in STOPWORDS]
            type_bonus = _type_bonus(kind, sentence, novel)
            rank_prior = 1.0 / (1.0 + 0.35 * i)
            bigram = _bigram_bonus(q_terms, toks)
            score = coverage + 0.12 * type_bonus + 0.15 * rank_prior + 0.1 * bigram
            if not novel:
                score *= 0.5
            if len(sentence.split()) > 60:
                score *= 0.85
            out.append(_Candidate(i, s, e, sentence, score, coverage))
        out.sort(key=lambda c: -c.score)
        return out

    def _compose(self, chosen: list[_Candidate], hits: Sequence[Hit]) -> Reply:
        numbers: dict[int, int] = {}
        quotes: dict[int, list[_Candidate]] = {}
        parts = []
        for cand in chosen:
            if cand.hit_index not in numbers:
                numbers[cand.hit_index] = len(numbers) + 1
                quotes[cand.hit_index] = []
            quotes[cand.hit_index].append(cand)
            parts.append(f"{cand.text} [{numbers[cand.hit_index]}]")
        citations = []
        for hit_index, n in numbers.items():
            p = hits[hit_index].passage
            cands = sorted(quotes[hit_index], key=lambda c: c.start)
            quote = p.text[cands[0].start : cands[-1].end] if len(cands) > 1 else cands[0].text
            citations.append(
                Citation(n, p.article_id, p.title, p.source, p.published, p.url, p.path, quote, p.chunk_id)
            )
        return Reply(" ".join(parts), False, citations)


def _type_bonus(kind: str, sentence: str, novel: list[str]) -> float:
    if kind == "date":
        return 1.0 if _DATE.search(sentence) else 0.0
    if kind == "number":
        return 1.0 if any(_NUMBER.search(w) for w in novel) else 0.0
    if kind == "name":
        return 1.0 if any(w[:1].isupper() for w in novel[1:] or novel) else 0.0
    return 0.5 if novel else 0.0


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
