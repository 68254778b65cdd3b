"""Candidate answer sentences -> evidence-ranked candidates and the shortlist an answer lists.

The extractive answerer scores every sentence of the retrieved passages against the question
(bot/answer/extractive.py); this module adds what one sentence cannot show alone: how many other
articles state the same new names and figures. News repeats its answers across outlets, and an
answer several articles give is more likely the right one than one a single sentence gives, however
well that sentence matches the question: redundancy-based answering, as in AskMSR (Brill, Dumais and
Banko, "An analysis of the AskMSR question-answering system", EMNLP 2002), where answer n-grams are
voted for by the snippets that contain them.

`shortlist` keeps the best few candidates, one per passage: an answer lists them (`Reply.candidates`),
and the evaluation harness reports where a gold answer is lost (among the candidates, ranked first,
in the answer given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.answer.question import STOPWORDS, stem
from bot.schema import Hit
from bot.tokens import words

VOTERS = 40  # candidates (best first) whose articles vote for the names and figures they state
SUPPORT_WEIGHT = 0.08  # evidence score per other article stating the candidate's new name or figure
MAX_SUPPORT = 3  # articles beyond this add nothing: a wire story reprinted ten times is one report
# Capitalised, but a day or month in a news sentence is when, not who: it would vote for everything.
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december".split()
)


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage that may answer the question.

    `hit_index` indexes the hits it was found in; `start`/`end` are character offsets in the article
    text (a quote is `text`); `score` is the extractive answerer's match to the question (term
    coverage, rank, similarity; about 0-1.5); `coverage` and `similarity` its parts; `support` the
    number of other articles (at most MAX_SUPPORT) that state one of its new names or figures.
    """

    hit_index: int
    start: int
    end: int
    text: str
    score: float
    coverage: float
    similarity: float = 0.0
    support: int = 0

    @property
    def evidence(self) -> float:
        """The candidate's score with its support from other articles."""
        return self.score + SUPPORT_WEIGHT * self.support


def answer_terms(sentence: str, question_stems: set[str]) -> set[str]:
    """The names and figures a sentence adds to the question: capitalised words (after its first
    word; days and months aside) and words holding a digit, stemmed, that the question does not hold."""
    found: set[str] = set()
    for i, w in enumerate(words(sentence)):
        named = (i > 0 and w[:1].isupper()) or any(ch.isdigit() for ch in w)
        if not named or w.lower() in STOPWORDS or w.lower() in _CALENDAR:
            continue
        s = stem(w)
        if s and s not in question_stems:
            found.add(s)
    return found


def with_support(candidates: Sequence[Candidate], hits: Sequence[Hit], question_stems: set[str]) -> list[Candidate]:
    """The candidates with `support` set and sorted by `evidence`, best first.

    A term's voters are the distinct articles among the best VOTERS candidates that state it; a
    candidate's support is the most voters any one of its answer terms has, less its own article.
    Shapes: n candidates in, the same n out.
    """
    top = list(candidates[:VOTERS])
    terms_of = [answer_terms(c.text, question_stems) for c in top]
    voters: dict[str, set[str]] = {}
    for c, found in zip(top, terms_of):
        doc = hits[c.hit_index].passage.doc_id
        for t in found:
            voters.setdefault(t, set()).add(doc)
    scored = []
    for c, found in zip(top, terms_of):
        doc = hits[c.hit_index].passage.doc_id
        others = max((len(voters[t] - {doc}) for t in found), default=0)
        scored.append(replace(c, support=min(others, MAX_SUPPORT)))
    scored.sort(key=lambda c: -c.evidence)
    return scored + list(candidates[VOTERS:])


def shortlist(candidates: Sequence[Candidate], k: int) -> list[Candidate]:
    """The best `k` candidates by evidence, at most one per passage (hit), best first."""
    chosen: list[Candidate] = []
    seen: set[int] = set()
    for c in sorted(candidates, key=lambda c: -c.evidence):
        if c.hit_index in seen:
            continue
        seen.add(c.hit_index)
        chosen.append(c)
        if len(chosen) == k:
            break
    return chosen
