"""The claim check: every sentence of a generated answer must be supported by the passage it cites.

A sentence is kept when the passages it cites support it:
- every number and every capitalised name in it appears in those passages (their text, title, outlet
  or date) or in the question (the user's own premise), save a year: one the question states must be
  in the passages too;
- and its support score reaches `support_min`, where support = cosine_weight * cosine +
  (1 - cosine_weight) * lexical; cosine is the embedding model's cosine between the sentence and
  the best-matching sentence (or pair of adjacent sentences) of a cited passage, lexical is the share
  of the sentence's content words found in the cited passages.
A sentence that cites nothing, or cites passages that do not support it, is attributed to the one
passage that supports it best when that support reaches the stricter `attribute_min` (small models
often forget a marker); otherwise it is dropped. Markers naming no passage are removed first.
Sentences that say the passages lack the answer are the model abstaining, not claims; a sentence that
only restates the question (every content word is the question's) is dropped: it answers nothing.
A passage's orders (bot.answer.orders: sentences addressed to an AI, or pushing the reader to a link)
are never evidence: a sentence that is itself an order is dropped ("instruction"), and so is one that
carries an order out, saying the words an order spells out or words found only in its orders
("carries out an instruction"), or passing on a link an order pushes ("passes on a pushed link"). A
sentence that describes an order ("The article tells readers to visit a prize site") is judged against
the orders alone, and its quote stops before the order's link.
To a question asking for an amount ("How many ...?", "What was X's revenue?"), a sentence holding no
figure is dropped ("no figure"): "Revenue fell sharply" is no answer to it.
Numbers are compared by value and unit in any spelling (bot.numbers: "$1.2bn" is "1.2 billion dollars").
A bare answer of a few words ("Sri Lanka [1].") is judged as the question answered by it: its names
and numbers must be in the passage, and the similarity is the question's with the answer added.
A yes/no answer ("Yes." / "False." / "Yes, the article suggests X" to "Does the article suggest X?")
is a verdict on the question's statement: it is kept when the passages hold at least half its names
and numbers and are about it, a "yes" when they support the statement at the usual bar, a "no" when
they are as similar to it as a supported claim must be without stating its words (similarity cannot
tell yes from no; the citation lets the reader check which it is). A bare yes or no to a question
that asks to choose between two ("Is GAC privately owned or owned by the state?") answers neither and
is dropped.

`CheckSession` checks sentences as text streams in, so a front end can show each sentence once it
has passed; `ClaimChecker.check` runs a whole answer through one session.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.answer.claims import (
    claim_content,
    claim_names,
    claim_numbers,
    claimed_amounts,
    contradiction,
    date_words,
    squash,
)
from bot.answer.orders import describes_an_order, first_link, gives_orders, links, ordered_words
from bot.answer.prompting import inert
from bot.answer.question import (
    STATEMENT_LEAD, asks_either_or, asks_for_amount, asks_yes_or_no, holds_figure, stem, terms,
)
from bot.chunking import split_sentences
from bot.embed import Embedder
from bot.numbers import found, found_rounded
from bot.schema import Passage
from bot.temporal import YEAR, describe_relative
from bot.tokens import words

# [1], [1, 2], [1][2], [Passage 1], [source 2], [1-3].
_MARKER = re.compile(
    r"\[\s*(?:(?:passage|source|ref|doc)\s*#?\s*)?(\d{1,3}(?:\s*[,;\-–]\s*(?:(?:passage|source)\s*)?\d{1,3})*)\s*\]",
    re.I,
)
_PARTIAL_MARKER = re.compile(r"\[[^\]]{0,20}$")
_ABSTAIN = re.compile(
    r"\bI (?:do not|don't|cannot|can't|could not|couldn't) (?:know|find|answer|say|tell|determine)\b"
    r"|\b(?:passages?|articles?|context|sources?|texts?)\s+(?:provided\s+)?(?:do|does|did)\s*(?:not|n't)\s+"
    r"(?:contain|mention|say|provide|include|specify|state|give|answer|indicate|discuss)\b"
    r"|\bno (?:information|mention|details?)\b(?:\s+\w+){0,4}\s+(?:about|on|regarding|in)\b"
    r"|\bnot (?:mentioned|provided|specified|stated|given|available) in\b"
    r"|^\s*(?:unknown|not found)\W*$",
    re.I,
)


@dataclass
class Verdict:
    """What the check decided about one sentence of an answer."""

    sentence: str
    cited: tuple[int, ...]
    kept: bool
    reason: str
    cites: tuple[int, ...] = ()
    cosine: float = 0.0
    lexical: float = 0.0
    support: float = 0.0
    missing: tuple[str, ...] = ()
    quotes: dict[int, tuple[int, int, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The verdict as recorded in the answer's `check.scores`."""
        return {
            "sentence": self.sentence,
            "cited": list(self.cited),
            "cites": list(self.cites),
            "kept": self.kept,
            "reason": self.reason,
            "cosine": round(self.cosine, 3),
            "lexical": round(self.lexical, 3),
            "support": round(self.support, 3),
            "missing": list(self.missing),
        }


@dataclass
class _Evidence:
    """A passage prepared for checking: sentence windows, their vectors, its words and numbers."""

    windows: list[tuple[int, int]]
    n_sentences: int
    vectors: np.ndarray
    stems: set[str]
    lower: str
    numbers: set[str]
    links: set[str]


def bare_verdict(claim: str) -> bool:
    """Whether a claim is a bare yes or no ("Yes.", "False!"), with nothing else said."""
    return _VERDICT.match(claim) is not None


def strip_markers(text: str) -> str:
    """Text without citation markers, whitespace tidied."""
    text = _MARKER.sub("", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class CheckConfig:
    """Thresholds of the claim check (calibrated on all-MiniLM-L6-v2)."""

    support_min: float = 0.55
    support_cosine_min: float = 0.45
    attribute_min: float = 0.68
    attribute_cosine_min: float = 0.65
    cosine_weight: float = 0.5
    cite_min: float = 0.35


class CheckSession:
    """Checks the sentences of one answer as its text arrives; numbering is the prompt's (1-based)."""

    def __init__(
        self, embedder: Embedder, passages: Sequence[Passage], question: str = "", config: CheckConfig | None = None
    ) -> None:
        self.embedder = embedder
        self.passages = list(passages)
        self.question = question
        self.config = config or CheckConfig()
        self.removed_markers = 0
        self.verdicts: list[Verdict] = []
        self._buffer = ""
        self._evidence: dict[tuple[int, bool], _Evidence] = {}
        self._question_stems = set(terms(question))
        # A year the question states is no premise: "BYD's share in 2021 was 27.9% [1]" needs 2021 in the
        # passage, or it binds the passage's figure (for 2022) to the question's year.
        years = {f"num:{y}" for y in YEAR.findall(question)}
        self._question_numbers = claim_numbers(question) - years
        # What the question asks about ("True or false: X" asks about X), and whether it asks yes or no.
        self._statement = STATEMENT_LEAD.sub("", question).strip()
        self._polar = asks_yes_or_no(question)
        self._either = asks_either_or(question)  # "Is it A or B?": yes or no answers neither
        self._wants_figure = bool(question) and not self._polar and asks_for_amount(question)
        # Each passage's orders (its sentences, and its title, that give orders), found once.
        self._orders = [_orders_of(p) for p in self.passages]

    # -- streaming ---------------------------------------------------------------------------
    def feed(self, text: str) -> list[Verdict]:
        """Add generated text; return verdicts of the sentences it completed."""
        self._buffer += text
        pieces = self._pieces(self._buffer)
        # A sentence is complete once a later piece holds words: only then are its trailing markers known.
        done = 0
        for i in range(len(pieces) - 1):
            if any(_has_words(p) for p in pieces[i + 1 :]):
                done = i + 1
        if done == 0:
            return []
        complete = pieces[:done]
        self._buffer = " ".join(pieces[done:])
        return [self._judge(p) for p in complete]

    def finish(self) -> list[Verdict]:
        """Check whatever text is left once generation ends."""
        text = _PARTIAL_MARKER.sub("", self._buffer)
        self._buffer = ""
        return [self._judge(p) for p in self._pieces(text)]

    def _pieces(self, text: str) -> list[str]:
        """Sentences, each carrying the markers that follow it."""
        spans: list[str] = []
        for line in text.split("\n"):
            line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line)
            spans.extend(line[s:e] for s, e in split_sentences(line))
        pieces: list[str] = []
        for piece in spans:
            lead = re.match(r"^(?:\s*\[[^\]]{0,20}\])+\s*", piece)
            if lead and pieces:
                pieces[-1] = f"{pieces[-1]} {lead.group(0).strip()}"
                piece = piece[lead.end() :]
            if piece.strip():
                pieces.append(piece.strip())
        return pieces

    # -- judging -----------------------------------------------------------------------------
    def _cites(self, piece: str) -> tuple[int, ...]:
        cites: list[int] = []
        for match in _MARKER.finditer(piece):
            for lo, hi in _ranges(match.group(1)):
                for n in range(lo, hi + 1):
                    if 1 <= n <= len(self.passages):
                        cites.append(n)
                    else:
                        self.removed_markers += 1
        return tuple(dict.fromkeys(cites))

    def _judge(self, piece: str) -> Verdict:
        cited = self._cites(piece)
        claim = inert(strip_markers(piece))
        verdict = self._decide(claim, cited)
        self.verdicts.append(verdict)
        return verdict

    def _decide(self, claim: str, cited: tuple[int, ...]) -> Verdict:
        if _ABSTAIN.search(claim):
            return Verdict(claim, cited, False, "abstain")
        if _VERDICT.match(claim):
            if self.question and (not self._polar or self._either):
                # "Yes. [1]" to "Which company is the biggest EV maker?" or "No." to "Is GAC privately owned
                # or owned by the state?" answers nothing.
                return Verdict(claim, cited, False, "yes/no to a question that does not ask yes or no")
            return self._verdict(claim, cited)
        content = claim_content(_VERDICT_LEAD.sub("", claim))
        if not content:
            return Verdict(claim, cited, False, "no content")
        if gives_orders(claim):
            return Verdict(claim, cited, False, "instruction")
        orders = " ".join(o for o in self._orders if o)
        describing = False  # a sentence describing the passages' orders is judged against them alone
        if orders:
            if links(claim) & links(orders):
                return Verdict(claim, cited, False, "passes on a pushed link")
            describing = describes_an_order(claim, orders)
            if not describing and self._carries_out(claim, content, cited):
                return Verdict(claim, cited, False, "carries out an instruction")
        if self._wants_figure and not holds_figure(claim):
            return Verdict(claim, cited, False, "no figure")
        if self._question_stems and set(content) <= self._question_stems:
            if self._polar:
                # "Yes, the article suggests X [1]." to "Does the article suggest X?": a verdict.
                return self._verdict(claim, cited)
            # "US scientists made a breakthrough this week [1]." to "What did their discovery involve?":
            # true to the passage, and no answer; left alone it would pass for one.
            return Verdict(claim, cited, False, "restates the question")
        # A bare answer ("120,000 [1]", "Sri Lanka [2]") means nothing alone: its similarity is that of the
        # question answered by it; its own names and numbers must still be in the passage.
        fragment = bool(self.question) and len(words(claim)) <= _FRAGMENT_WORDS
        vector = self.embedder.embed([f"{self._statement} {claim}" if fragment else claim])[0]
        scored: dict[int, _Score] = {}

        def one(n: int) -> _Score:
            if n not in scored:
                scored[n] = self._score(claim, content, vector, (n,), orders=describing)
            return scored[n]

        joint = self._score(claim, content, vector, cited, orders=describing) if cited else _Score()
        if cited and self._passes(joint, self.config.support_min, self.config.support_cosine_min):
            keep = tuple(n for n in cited if one(n).support >= self.config.cite_min)
            # Where some cited passages hold all the claim's names and numbers, the others add nothing:
            # a list of names cited [1]-[5] from one article's five chunks cites the one that names them.
            whole = tuple(n for n in keep if not one(n).missing)
            keep = whole or keep or (max(cited, key=lambda n: one(n).support),)
            return self._final(joint, claim, cited, keep, "supported", scored, describing)
        # Not supported as cited: a model that cited gets its citation corrected when another passage
        # supports the sentence at the usual bar; an uncited sentence is attributed only to a passage
        # that supports it clearly (the stricter bar).
        candidates = [n for n in range(1, len(self.passages) + 1) if not one(n).missing]
        bar = (
            (self.config.support_min, self.config.support_cosine_min)
            if cited
            else (self.config.attribute_min, self.config.attribute_cosine_min)
        )
        if candidates:
            best_n = max(candidates, key=lambda n: scored[n].support)
            if self._passes(scored[best_n], *bar):
                reason = "reattributed" if cited else "attributed"
                return self._final(scored[best_n], claim, cited, (best_n,), reason, scored, describing)
        if not cited:
            shown = max(scored.values(), key=lambda x: x.support, default=_Score())
            return Verdict(claim, cited, False, "uncited", (), shown.cosine, shown.lexical, shown.support, shown.missing)
        reason = "missing names or numbers" if joint.missing else (joint.conflict or "unsupported")
        return Verdict(claim, cited, False, reason, (), joint.cosine, joint.lexical, joint.support, joint.missing)

    def _verdict(self, claim: str, cited: tuple[int, ...]) -> Verdict:
        """A yes/no answer ("Yes." / "False." / "Yes, the article says X."): a verdict on the question.

        Similarity cannot tell yes from no, so what is checked is that the passages are about the
        question's statement: read against all of them (a verdict weighs the evidence, not one passage),
        at least half of its names and numbers must be found in them, and a "yes" must reach the support
        bar. A "no" says the statement is not so: the passages need not state its words (the lexical
        half of the support score), only be about it (its similarity reaches the cosine bar). "No" to
        "Does A suggest X, while B says Y?" is the answer when the passages about A and B do not say so.
        The verdict cites the passages it named that bear on the statement (or, if none does, the one
        that bears on it most): the reader sees which passages decided it.
        """
        statement = self._statement.rstrip("?").strip()
        content = claim_content(statement)
        if not content:
            return Verdict(claim, cited, False, "no content")
        vector = self.embedder.embed([statement])[0]
        everything = tuple(range(1, len(self.passages) + 1))
        joint = self._score(statement, content, vector, everything, premise=False)
        scored = {n: self._score(statement, content, vector, (n,), premise=False) for n in everything}
        asserted = len(set(claim_names(statement))) + len(claimed_amounts(statement))
        found = 1.0 - len(joint.missing) / asserted if asserted else 1.0
        supported = _SAYS_NO.match(claim) is not None or joint.support >= self.config.support_min
        if found < 0.5 or not supported or joint.cosine < self.config.support_cosine_min:
            reason = "missing names or numbers" if found < 0.5 else "unsupported"
            return Verdict(claim, cited, False, reason, (), joint.cosine, joint.lexical, joint.support, joint.missing)
        keep = tuple(n for n in cited if scored[n].support >= self.config.cite_min)
        keep = keep or (max(everything, key=lambda n: scored[n].support),)
        return self._final(joint, claim, cited, keep, "verdict on the question", scored)

    @staticmethod
    def _passes(score: _Score, support_min: float, cosine_min: float) -> bool:
        return (
            not score.missing and not score.conflict and score.support >= support_min and score.cosine >= cosine_min
        )

    def _final(
        self, score: _Score, claim: str, cited: tuple[int, ...], keep: tuple[int, ...], reason: str,
        scored: dict[int, _Score], describing: bool = False,
    ) -> Verdict:
        quotes = {n: scored[n].window for n in keep}
        for n in keep:
            start, end, similarity = scored[n].window
            quote = self.passages[n - 1].text[start:end]
            if not gives_orders(inert(quote)):
                continue
            if not describing:
                return Verdict(claim, cited, False, "instruction", (), score.cosine, score.lexical, score.support)
            # A description of an order quotes it, but not its link: the quote stops before the link.
            cut = first_link(quote)
            if cut is not None:
                quotes[n] = (start, start + len(quote[:cut].rstrip(" ,;:(\"'")), similarity)
        return Verdict(claim, cited, True, reason, keep, score.cosine, score.lexical, score.support, (), quotes)

    def _carries_out(self, claim: str, content: list[str], cited: tuple[int, ...]) -> bool:
        """Whether a sentence carries out an order of the passages it cites (of any, when it cites none):
        it says words an order spells out ("ACCESS GRANTED"), or names or words that only orders hold."""
        orders = " ".join(self._orders[n - 1] for n in (cited or range(1, len(self.passages) + 1)))
        if not orders.strip():
            return False
        lower = claim.lower()
        if any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", lower) for w in ordered_words(orders)):
            return True
        clean = [self._prepare(n) for n in range(1, len(self.passages) + 1)]
        stems = set().union(*(ev.stems for ev in clean))
        text = " ".join(ev.lower for ev in clean)
        ordered = set(terms(orders))
        if any(t in ordered and t not in stems and t not in self._question_stems for t in content):
            return True
        return any(
            stem(name) in ordered and name.lower() not in text and stem(name) not in stems
            and stem(name) not in self._question_stems for name in claim_names(claim)
        )

    def _score(
        self, claim: str, content: list[str], vector: np.ndarray, ns: tuple[int, ...], premise: bool = True,
        orders: bool = False,
    ) -> _Score:
        """How well passages `ns` support a claim; with `premise`, the question's words need no support.

        The passages' orders are no evidence; with `orders` (the claim describes them), they are the only one.
        """
        evidence = [self._prepare(n, orders) for n in ns]
        q_stems = self._question_stems if premise else set()
        q_numbers = self._question_numbers if premise else set()
        best = _Score()
        for n, ev in zip(ns, evidence):
            if not ev.windows:
                continue
            sims = ev.vectors @ vector
            i = int(np.argmax(sims))
            if float(sims[i]) > best.cosine:
                best.cosine = float(sims[i])
                # Quote one sentence unless a pair of adjacent sentences matches clearly better.
                single = int(np.argmax(sims[: ev.n_sentences]))
                j = i if float(sims[i]) > float(sims[single]) + 0.05 else single
                best.window = (ev.windows[j][0], ev.windows[j][1], float(sims[j]))
                best.sentence = ev.windows[single][:2]
                best.passage = n
        stems = set().union(*(ev.stems for ev in evidence))
        lower = " ".join(ev.lower for ev in evidence)
        numbers = set().union(*(ev.numbers for ev in evidence))
        counted = [t for t in content if t in stems or t not in q_stems]
        best.lexical = sum(t in stems for t in counted) / len(counted) if counted else 1.0
        # A number is in the passage when the same value (and unit, if the claim gives one) is, in any spelling,
        # or one it rounds ("$400 million" for "$402 million").
        missing = [a.plain for t, a in sorted(claimed_amounts(claim).items()) if not (found_rounded(t, numbers) or found(t, q_numbers))]
        for name in claim_names(claim):
            low = name.lower()
            if stem(name) in stems or low in lower or stem(name) in q_stems:
                continue
            base = _DEMONYM.sub("", low)
            if base != low and len(base) >= 4 and re.search(rf"\b{re.escape(base)}", lower):
                continue  # "Chinese" is stated by a passage that says "China", "Italian" by "Italy"
            missing.append(name)
        # A link must be in the passages (a made-up one is missing); one an order pushes never gets here.
        known = set().union(*(ev.links for ev in evidence))
        missing.extend(sorted(link for link in links(claim) if link not in known))
        best.missing = tuple(dict.fromkeys(missing))
        if best.passage:
            # Judged against the one sentence that matches best (a neighbour's "not" is no contradiction),
            # and never for a claim the passage states word for word.
            text = self.passages[best.passage - 1].text
            if f" {squash(claim)} " not in f" {squash(inert(text))} ":
                best.conflict = contradiction(claim, text[best.sentence[0] : best.sentence[1]])
        w = self.config.cosine_weight
        best.support = w * best.cosine + (1 - w) * best.lexical
        return best

    def _prepare(self, n: int, orders: bool = False) -> _Evidence:
        """Passage n as evidence: its sentences that give no orders, or (`orders`) those that do.

        Its title, outlet and date are evidence either way (a title that gives orders only with `orders`).
        """
        if (n, orders) in self._evidence:
            return self._evidence[(n, orders)]
        p = self.passages[n - 1]
        spans = [(s, e) for s, e in split_sentences(p.text) if gives_orders(inert(p.text[s:e])) == orders]
        # Pairs of sentences next to each other in the passage (an order left out between two parts them).
        windows = list(spans) + [(a[0], b[1]) for a, b in zip(spans, spans[1:]) if not p.text[a[1] : b[0]].strip()]
        texts = [inert(p.text[s:e]) for s, e in windows]
        vectors = self.embedder.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        # The days its relative dates stand for ("on Saturday" in Monday's paper: 14 June 2025) are the
        # passage's too: the prompt gives them, and an answer may say them.
        body = " ".join(p.text[s:e] for s, e in spans)
        title = p.title if orders or not (p.title and gives_orders(inert(p.title))) else None
        meta = " ".join(x for x in (title, p.source, date_words(p.published), describe_relative(body, p.published)) if x)
        whole = inert(f"{body} {meta}")
        ev = _Evidence(
            windows,
            len(spans),
            np.asarray(vectors, dtype=np.float32),
            set(terms(whole)),
            whole.lower(),
            claim_numbers(whole) | claim_numbers((p.published or "").replace("-", " ")),
            links(whole),
        )
        self._evidence[(n, orders)] = ev
        return ev

    # -- result ------------------------------------------------------------------------------
    def report(self, fallback: bool = False) -> dict[str, Any]:
        """The `check` object of an answer's JSON."""
        dropped = [
            {"sentence": v.sentence, "reason": v.reason} for v in self.verdicts if not v.kept and v.reason != "abstain"
        ]
        return {
            "removed_markers": self.removed_markers,
            "dropped_sentences": dropped,
            "kept": sum(v.kept for v in self.verdicts),
            "fallback": fallback,
            "model_abstained": self.model_abstained,
            "scores": [v.to_json() for v in self.verdicts],
        }

    @property
    def model_abstained(self) -> bool:
        """True when the model said the passages lack the answer and claimed nothing else."""
        return any(v.reason == "abstain" for v in self.verdicts) and all(
            v.reason in ("abstain", "no content") for v in self.verdicts
        )


@dataclass
class _Score:
    cosine: float = 0.0
    lexical: float = 0.0
    support: float = 0.0
    missing: tuple[str, ...] = ()
    conflict: str = ""
    passage: int = 0
    window: tuple[int, int, float] = (0, 0, 0.0)
    sentence: tuple[int, int] = (0, 0)


def _orders_of(passage: Passage) -> str:
    """The orders a passage gives (its sentences and title that address an AI or push a link), joined."""
    found = [s for s in (inert(passage.text[a:b]) for a, b in split_sentences(passage.text)) if gives_orders(s)]
    if passage.title and gives_orders(inert(passage.title)):
        found.append(inert(passage.title))
    return " ".join(found)


def _ranges(spec: str) -> list[tuple[int, int]]:
    """'1, 3-4' -> [(1, 1), (3, 4)] (ranges capped at 10 numbers)."""
    out = []
    for part in re.split(r"\s*[,;]\s*", spec):
        nums = [int(x) for x in re.findall(r"\d+", part)]
        if len(nums) >= 2 and nums[0] <= nums[1] <= nums[0] + 10:
            out.append((nums[0], nums[1]))
        else:
            out.extend((x, x) for x in nums)
    return out


# An answer of at most this many words is read as a bare answer to the question ("Sri Lanka [1].").
_FRAGMENT_WORDS = 6
# Demonym endings: "Chinese", "Italian", "British", "Korean" name the place the passage may name instead.
_DEMONYM = re.compile(r"(?:ese|ian|ean|an|ish|i)$")
# A sentence that is only a verdict, and a verdict leading a sentence ("Yes, the court ruled ...").
_VERDICT = re.compile(r"^\W*(?:yes|no|true|false)\W*$", re.I)
_VERDICT_LEAD = re.compile(r"^\W*(?:yes|no|true|false)\s*[,:;.!\-–—]\s*", re.I)
# A verdict that says the statement is not so ("No.", "False, ...").
_SAYS_NO = re.compile(r"^\W*(?:no|false)\b", re.I)
# A yes/no question ("Does the article suggest ...?", "Between the two reports, was there ...?").


def _has_words(piece: str) -> bool:
    return bool(re.search(r"[^\W_]", _PARTIAL_MARKER.sub("", _MARKER.sub("", piece))))


class ClaimChecker:
    """Runs the claim check over whole answers with one embedding model."""

    def __init__(self, embedder: Embedder, config: CheckConfig | None = None) -> None:
        self.embedder = embedder
        self.config = config or CheckConfig()

    def session(self, passages: Sequence[Passage], question: str = "") -> CheckSession:
        """A fresh check of one answer over `passages` (numbered from 1 as in the prompt)."""
        return CheckSession(self.embedder, passages, question, self.config)

    def check(self, text: str, passages: Sequence[Passage], question: str = "") -> CheckSession:
        """Check a whole answer; the session holds the verdicts and the report."""
        session = self.session(passages, question)
        session.feed(text)
        session.finish()
        return session
