"""A checked answer and the sentences it cites -> the model's own judgement of it (P(True)).

Method: self-evaluation as in Kadavath et al., "Language Models (Mostly) Know What They Know" (2022):
the model that answered is shown the question, its proposed answer and the sentence the answer cites,
and asked whether the answer is correct according to that sentence; the judgement is the log-odds of
"yes" against "no" as the first token of its reply (no text is generated).

Where it applies: the claim check (bot/answer/check.py) keeps a sentence its citation supports, not one
that answers the question; a small model often cites the right sentence and names the wrong thing in
it (a venture's factories for who runs it, another company's share rise for whose shares were halted).
The judgement is asked only where the cited sentences and the answer hold most of the question's
content words (`COVER_BAR`): the question is then one fact stated in one place, and the cited
sentence can show whether the answer is that fact. An answer joining facts from several articles (a
comparison, a multi-hop question) never qualifies: one sentence cannot show it right, and the quote
that would replace it answers such questions worse. Measured over recorded runs in
evals/reports/session19-prompt and session20-verdict, and with the model in evals/reports/session22-judge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.answer.claims import claim_content
from bot.answer.question import terms

JUDGE_SYSTEM = "You check whether a sentence from a news article answers a question. Reply yes or no."
JUDGE_PROMPT = (
    "Sentence from a news article: {quote}\nQuestion: {question}\nProposed answer: {answer}\n"
    "According to the sentence, is the proposed answer a correct answer to the question? Reply yes or no."
)
COVER_BAR = 0.7  # share of the question's content words the cited sentences and the answer must hold
JUDGE_BAR = 0.7  # log-odds of "yes" below which the answer gives way to the evidence's own answer
QUOTES = 2  # the answer's first citations whose sentences the judge reads

_MARKS = re.compile(r"\s*\[\d+\]")
_AS_OF = re.compile(r"^As of [^,]+, ")


@runtime_checkable
class Judge(Protocol):
    """A model that can say how strongly it would answer yes to a prompt (the local llama.cpp model)."""

    def yes_log_odds(self, system: str, user: str) -> float:
        """log P(yes) - log P(no) of the first token of the model's reply to a system and a user message.

        Raises AnswerError when the model fails.
        """
        ...


@dataclass(frozen=True)
class Judgement:
    """The judge's verdict on one answer: `score` the yes log-odds, `coverage` the share of the
    question's content words in the cited sentences and the answer, `upheld` whether it stands."""

    score: float
    coverage: float

    @property
    def upheld(self) -> bool:
        return self.score >= JUDGE_BAR

    def report(self) -> dict[str, float | bool]:
        return {"score": round(self.score, 3), "coverage": round(self.coverage, 3), "upheld": self.upheld}


def bare_answer(text: str) -> str:
    """An answer's text without its citation marks and its "As of <date>, " lead."""
    return _AS_OF.sub("", _MARKS.sub("", text)).strip()


def coverage(question: str, answer: str, quotes: Sequence[str]) -> float:
    """Share (0..1) of the question's content words (stemmed; numbers as tokens) found in the quotes or
    the answer; 1.0 for a question with none."""
    wanted = set(claim_content(question))
    if not wanted:
        return 1.0
    have = set(terms(" ".join([*quotes, answer])))
    return len(wanted & have) / len(wanted)


def judge(model: Judge, question: str, answer: str, quotes: Sequence[str]) -> Judgement | None:
    """The model's judgement of `answer` (its text as shown) to `question` against the sentences it cites
    (the first `QUOTES` of `quotes`), or None where the question is not one the quotes can settle
    (coverage below `COVER_BAR`: no model call then).

    Raises AnswerError when the model fails.
    """
    quotes = list(quotes)[:QUOTES]
    answer = bare_answer(answer)
    if not quotes or not answer:
        return None
    covered = coverage(question, answer, quotes)
    if covered < COVER_BAR:
        return None
    prompt = JUDGE_PROMPT.format(quote=" ".join(quotes), question=question, answer=answer)
    return Judgement(model.yes_log_odds(JUDGE_SYSTEM, prompt), covered)
