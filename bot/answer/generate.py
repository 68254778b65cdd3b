"""Hits -> a generated answer, checked sentence by sentence, with citations renumbered in order of use.

`GenerativeAnswerer` asks a chat model (any `ChatBackend`: the local llama.cpp model or a LangChain
chat model) the one prompt of bot/answer/prompting.py, then runs every sentence through the claim check
(bot/answer/check.py) before it is shown: `stream()` yields each sentence once it has passed, so a REPL
shows the answer as it comes and nothing unchecked ever reaches a user.

What happens when the check leaves nothing (the model claimed only unsupported things, or said the
passages lack the answer): with a `fallback` answerer configured (the factory configures the
extractive one), its answer is given instead; it quotes the passages and abstains on its own when
they hold no well-supported answer, so it is the judge of whether the passages hold the answer after
all. Small local models often say "I don't know" when the answer is there; `fallback_on_abstain=False`
takes the model's word instead. Without a fallback the answer is an abstention. The answer's JSON
says which happened: `check.fallback`, `check.model_abstained`, `check.dropped_sentences`.
A backend failure (timeout, refused key, server error) raises AnswerError: it is never hidden
behind an extractive answer.

Two rules of bot/answer/asked.py frame the model's part. When a name the question asks about is in none
of the passages, the model is not asked: the answer says the articles do not mention it
(`check.unfound_names`). When the question asks for a date or an amount, the checked sentences are held
until one states it; if none does, the extractive answer is given when it states one (an amount with
the years the question names), and an abstention otherwise (`check.not_asked`: the kind asked and the model's checked answer).
A "why" question's sentences wait for a reason word the same way; with none, the quote is given if it
has one, the model's checked answer otherwise. A bare "Yes." or "No." that is all the model said is
given with the passage sentence that decided it ("Yes: “...” [1]").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from bot.answer.asked import (
    REASON, SOURCE, asked_kind, asked_sources, gives_asked, names_phrase, source_sentence, unfound_names,
)
from bot.answer.base import Answerer, AnswerStream, Capabilities, ChatBackend, passage_budget
from bot.answer.check import CheckConfig, ClaimChecker, Verdict, bare_verdict
from bot.answer.parts import complete_parts
from bot.answer.prompting import build_messages, format_passages, group_by_article, inert
from bot.errors import ConfigError
from bot.settings import ANSWERERS
from bot.schema import ABSTAIN_TEXT, STRUCTURED_RULES, Citation, Hit, Query, Reply
from bot.answer.question import answer_type, content_terms, question_parts
from bot.numbers import amounts
from bot.temporal import can_change, day, format_day, question_form, stated

if TYPE_CHECKING:
    from bot.embed import Embedder
    from bot.settings import Settings


LOCAL_PASSAGES = 6
LOCAL_FOCUS = 3


class GenerativeAnswerer:
    """Answers with a chat model over numbered passages; every sentence checked against its citation."""

    def __init__(
        self,
        backend: ChatBackend,
        embedder: Embedder,
        *,
        fallback: Answerer | None = None,
        config: CheckConfig | None = None,
        fallback_on_abstain: bool = True,
        max_passages: int = 8,
        focus: int | None = None,
    ) -> None:
        self.backend = backend
        self.checker = ClaimChecker(embedder, config)
        self.fallback = fallback
        self.fallback_on_abstain = fallback_on_abstain
        self.max_passages = max_passages
        self.focus = focus

    @property
    def name(self) -> str:
        """The backend's name (for reports)."""
        return self.backend.name

    @property
    def capabilities(self) -> Capabilities:
        """Streams checked sentences, has a model to load, reads `max_passages` (more for a list), and
        answers one at a time when its model does (the local one)."""
        return Capabilities(streams=True, warm_up=True, passages=self.max_passages, serial=self.backend.serial)

    @property
    def chat(self) -> ChatBackend:
        """The chat model (the pipeline condenses follow-ups with it)."""
        return self.backend

    def warm_up(self) -> None:
        """Load the model now rather than on the first question."""
        self.backend.warm_up()

    def answer(self, query: Query | str, hits: Sequence[Hit]) -> Reply:
        """Generate, check and cite an answer from the hits only; abstain when they lack it.

        `query.avoid` holds quotes already given earlier in the conversation: prefer new information.
        """
        return self.stream(query, hits).reply

    def stream(self, query: Query | str, hits: Sequence[Hit]) -> AnswerStream:
        """Like `answer`, yielding each checked sentence as soon as it has passed the check."""
        query = Query.of(query)
        box: list[Reply] = []
        # A list, count or timeline gathers one item per article: the model reads more of them.
        limit = query.read or passage_budget(query.text, top_k=0, reads=self.max_passages).read
        return AnswerStream(self._generate(query, list(hits)[:limit], box), box)

    def _generate(self, query: Query, hits: list[Hit], box: list[Reply]) -> Iterator[str]:
        # The news rules, decided from the passages' dates and values by the extractive reading: when
        # one shapes the answer (newest with the earlier, a disagreement, a list, a timeline), the
        # model's checked answer must do what it does (cite those passages, say the sources disagree),
        # or the extractive answer is given; so such an answer is sent whole, not sentence by sentence.
        plan = self.fallback.answer(query, hits) if self.fallback is not None and hits and not query.avoid else None
        yield from self._write(query, hits, box, plan)

    def _write(self, query: Query, hits: list[Hit], box: list[Reply], plan: Reply | None) -> Iterator[str]:
        question, own, avoid = query.search_text, query.text, query.avoid
        if not hits:
            box.append(Reply(ABSTAIN_TEXT, True, [], None))
            yield ABSTAIN_TEXT
            return
        ranked = hits
        hits = group_by_article(hits)  # the prompt names each article once (see format_passages)
        passages = [h.passage for h in hits]
        session = self.checker.session(passages, question)
        unfound = unfound_names(question, passages)
        if unfound:
            # The passages are about something else: the model would answer about what they do mention.
            text = f"I couldn't find anything about {names_phrase(unfound)} in the articles I have."
            box.append(Reply(text, True, [], {**session.report(), "unfound_names": unfound}))
            yield text
            return
        asked = question_parts(own)  # "Which plant ..., and why ...?": each part gets an answer (bot/answer/parts.py)

        def every_part(reply: Reply) -> tuple[Reply, str]:
            """The reply with a quote for each part of a compound question it leaves unanswered, and the text added."""
            if len(asked) < 2 or self.fallback is None or reply.temporal in STRUCTURED_RULES:
                return reply, ""
            return complete_parts(reply, query, asked, ranked, self.fallback)

        numbers: dict[int, int] = {}
        quotes: dict[int, tuple[int, int, float]] = {}
        parts: list[str] = []
        kept: list[str] = []  # the sentences as checked, before any "As of" was put in front
        structured = plan is not None and not plan.abstained and plan.temporal in STRUCTURED_RULES
        dated = not structured and not avoid and can_change(own)
        conflict = plan.temporal if structured and plan is not None and plan.temporal in _CONFLICTS else None
        focus = 1 if self.focus and question_form(own) != "value" else self.focus
        # A date, an amount, a reason, or the source a sentence attributes something to ("Which news agency
        # reported ...?"): sentences wait until one states it.
        sources = asked_sources(question, passages)
        kind = asked_kind(question) or (SOURCE if sources else None)
        held = [kind is not None]
        # A bare "Yes." waits to see whether the model says more: alone, it is given with the sentence
        # that decided it ("Yes: “...” [1]"); followed by the model's own reasons, it stays bare.
        pending: list[tuple[int, Verdict, str]] = []

        def accept(verdicts: list[Verdict]) -> Iterator[str]:
            for v in verdicts:
                if not v.kept or any(v.sentence.lower() == s.lower() for s in kept):
                    continue  # unsupported, or a repeat of a sentence already given
                if pending:
                    yield pending.pop()[2]
                kept.append(v.sentence)
                for n in v.cites:
                    numbers.setdefault(n, len(numbers) + 1)
                    if n not in quotes or v.quotes[n][2] > quotes[n][2]:
                        quotes[n] = v.quotes[n]
                marks = "".join(f"[{numbers[n]}]" for n in v.cites)
                sentence = v.sentence
                if dated and not parts and v.cites and not sentence.lower().startswith("as of"):
                    # A value that can change is true as of its article's date.
                    p = passages[v.cites[0] - 1]
                    if day(p.published) is not None:
                        sentence = f"As of {format_day(day(p.published), p.published)}, {_lower_first(sentence)}"
                text = f"{sentence} {marks}"
                parts.append(text)
                if structured:
                    continue
                if held[0]:
                    # A question asking for a date, an amount, a reason or a source: sentences wait until one states it.
                    if not gives_asked(" ".join(kept), question, sources=sources):
                        continue
                    held[0] = False
                    yield " ".join(parts)
                else:
                    shown_text = text if len(parts) == 1 else f" {text}"
                    if bare_verdict(v.sentence) and v.cites:
                        pending.append((len(parts) - 1, v, shown_text))
                        continue
                    yield shown_text

        def decided(i: int, v: Verdict) -> str:
            """parts[i], a bare yes or no, followed by the passage sentence that decided it."""
            start, end, _ = v.quotes[v.cites[0]]
            said = " ".join(inert(passages[v.cites[0] - 1].text[start:end]).split())
            parts[i] = parts[i].replace(v.sentence, f"{v.sentence.strip().rstrip('.!')}: “{said}”", 1)
            return parts[i] if i == 0 else f" {parts[i]}"

        usage: dict[str, float] = {}
        shown = format_passages(passages, question, focus)  # what the model reads (the harness's "read" stage)
        messages = build_messages(query, hits, focus, conflict, shown)
        for piece in self.backend.complete(messages, stream=True, usage=usage):
            yield from accept(session.feed(piece))
        yield from accept(session.finish())
        if pending:  # "Yes. [1]" was all the model said
            i, v, _ = pending.pop()
            yield decided(i, v)

        def done(reply: Reply) -> None:
            reply.read = shown
            if plan is not None:
                reply.candidates = plan.candidates  # the candidate answers the evidence weighed, for the record
            box.append(reply)

        def sourced(report: dict[str, Any]) -> Reply | None:
            """For a question asking for a source, the quote of the sentence that names it (`source_sentence`)."""
            where = source_sentence(question, passages) if sources else None
            if where is None:
                return None
            i, start, end = where
            quote = passages[i].text[start:end]
            return Reply(f"{inert(' '.join(quote.split()))} [1]", False, [Citation.of(1, passages[i], quote)], report)

        def checked(fallback: bool = False) -> dict[str, Any]:
            """The check's report, with the model's token counts and times (`usage`) where it gave them."""
            return {**session.report(fallback), "model": usage} if usage else session.report(fallback)

        if parts and held[0] and not structured:
            # Supported, and no answer: it states no value of the kind asked ("When ...?" answered without
            # a date). The evidence's answer is given when it states one; otherwise none is, except to
            # "why", whose reasons are not all worded as such: the checked sentences are given then.
            report = {**checked(fallback=True), "not_asked": {"kind": kind, "answer": " ".join(parts)}}
            reply = None
            if plan is not None and not plan.abstained and gives_asked(
                    _AS_OF.sub("", plan.text), question, years=True, sources=sources):
                reply, _ = every_part(Reply(inert(plan.text), False, plan.citations, report, plan.temporal))
            elif kind == SOURCE:
                reply = sourced(report)  # None: the model's checked sentences are given (below)
            elif kind != REASON:
                reply = Reply(ABSTAIN_TEXT, True, [], report)
            if reply is not None:
                done(reply)
                yield reply.text
                return
        if parts:
            citations = []
            for n, new in sorted(numbers.items(), key=lambda item: item[1]):
                p = passages[n - 1]
                start, end, _ = quotes[n]
                citations.append(Citation.of(new, p, p.text[start:end]))
            reply = Reply(" ".join(parts), False, citations, checked())
            if held[0] and not structured:
                # A "why" answer giving no reason word, and no quote that does: held until now, given whole.
                reply.check = {**(reply.check or {}), "not_asked": {"kind": kind, "answer": reply.text}}
                yield reply.text
            if structured and plan is not None:
                if follows(plan, reply):
                    reply.temporal = plan.temporal
                elif states_newest(plan, kept, own):
                    # The model gave the value every compared article gives, without citing each: its
                    # answer is the rule's, in fewer words.
                    reply.check = {**(reply.check or {}), "temporal_agrees": plan.temporal}
                elif plan.temporal in _CONFLICTS and answers_otherwise(plan, kept, own):
                    # The rule compared other things than the model answered about (a quiz question about
                    # one event, whose articles name many people): the checked answer stands, and says so.
                    reply.check = {**(reply.check or {}), "temporal_set_aside": plan.temporal}
                else:
                    report = checked(fallback=True)
                    report["temporal_fallback"] = plan.temporal
                    reply = Reply(inert(plan.text), False, plan.citations, report, plan.temporal)
                yield reply.text
            elif dated and reply.text.startswith("As of"):
                reply.temporal = "as_of"
            if not structured:
                reply, more = every_part(reply)
                if more:
                    yield f" {more}"
            done(reply)
            return
        if plan is not None and (self.fallback_on_abstain or not session.model_abstained):
            report = checked(fallback=True)
            quoted = None
            if sources and not plan.abstained and not gives_asked(plan.text, question, sources=sources):
                quoted = sourced(report)  # the quote names no source: the sentence that does
            if quoted is not None:
                done(quoted)
                yield quoted.text
                return
            reply, _ = every_part(Reply(plan.text, plan.abstained, plan.citations, report, plan.temporal))
            reply.text = inert(reply.text)
            done(reply)
            yield reply.text
            return
        if self.fallback is not None and (self.fallback_on_abstain or not session.model_abstained):
            reply = self.fallback.answer(query, ranked)
            reply, _ = every_part(Reply(reply.text, reply.abstained, reply.citations, checked(fallback=True), reply.temporal))
            reply.text = inert(reply.text)  # quotes of outside text: no working mention or disguised link
            done(reply)
            yield reply.text
            return
        done(Reply(ABSTAIN_TEXT, True, [], checked()))
        yield ABSTAIN_TEXT


_AS_OF = re.compile(r"^As of [^,]+, ")  # the dated answer's lead ("As of 3 June 2025, ..."): no answer to "when"
_CONFLICTS = ("newest", "disagreement")  # the rules the prompt states only when the passages show them
_SAYS_DISAGREE = re.compile(r"\b(?:disagree\w*|conflict\w*|contradict\w*|differ(?:s|ent)?)\b", re.IGNORECASE)


def follows(plan: Reply, reply: Reply) -> bool:
    """Whether a checked answer does what the news rule in `plan` asks: it cites every passage the rule
    cites (the newest first, for 'newest'), and says the sources disagree, for a disagreement."""
    wanted = [c.chunk_id for c in plan.citations]
    cited = [c.chunk_id for c in reply.citations]
    if not set(wanted) <= set(cited):
        return False
    if plan.temporal == "newest":
        return bool(cited) and cited[0] == wanted[0]
    if plan.temporal == "disagreement":
        return _SAYS_DISAGREE.search(reply.text) is not None
    return True


def states_newest(plan: Reply, sentences: Sequence[str], question: str) -> bool:
    """Whether checked sentences give a value that every sentence the "newest" rule in `plan` compared
    states: what was asked did not change between those articles (they differ in other names), and the
    model's answer is the rule's in fewer words, whichever passages it cites.

    Values of the kind asked (`stated`: names, years, amounts) decide where the sentences state any
    ("Monty the Giant Schnauzer won ..." where both quotes name Monty the Giant Schnauzer, one of them
    also Madison Square Garden); otherwise every content word they add to the question must be in each
    quote ("... diagnosed with prostate cancer" where one says "metastatic prostate cancer", the other
    "an aggressive form of prostate cancer"). The values must include the first one the newest quote
    states, the one it reports: neither a figure only the newest states (revised from 15 to 50 million;
    the rule's answer says what it was before) nor the one it says was replaced qualifies.
    `sentences` are the checked sentences as the model wrote them; False for any rule but "newest".
    """
    if plan.temporal != "newest" or not plan.citations:
        return False
    said = " ".join(sentences)
    kind = answer_type(question)
    mine = stated(said, question, kind)
    if mine:
        # The newest quote's first such value is the one it reports ("appointed Tomas Reyl as chief
        # executive, replacing Mira Okonjo"): an answer naming only the one it replaced is the older value.
        first = _first_value(plan.citations[0].quote, question, kind)
        return first in mine and all(mine <= stated(c.quote, question, kind) for c in plan.citations)
    added = set(content_terms(said)) - set(content_terms(question))
    return bool(added) and all(added <= set(content_terms(c.quote)) for c in plan.citations)


def _first_value(text: str, question: str, kind: str) -> str | None:
    """The value of the kind asked (`stated`) that a text states first, or None."""
    found = stated(text, question, kind)
    at = {a.token: a.start for a in reversed(amounts(text)) if a.token in found}
    for value in found - at.keys():
        match = re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text)
        if match:
            at[value] = match.start()
    return min(at, key=lambda v: at[v]) if at else None


def answers_otherwise(plan: Reply, sentences: Sequence[str], question: str) -> bool:
    """Whether checked sentences state a value of the kind the question asks for (a name, a year, an
    amount: `bot.temporal.stated`) that none of the quotes the news rule in `plan` compared states.

    Such an answer is about something else than the rule compared: the rule's "newest" or "Sources
    disagree" answer does not answer it better. An answer stating the rule's older value, its newest
    one, or no value of the kind asked does not qualify, and gives way to the rule.
    """
    compared = " ".join(c.quote for c in plan.citations)
    return bool(stated(" ".join(sentences), question, answer_type(question)) - stated(compared, question))


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if first in ("The", "A", "An", "Its", "It", "Their") else text


def make_local_answerer(settings: Settings, embedder: Embedder) -> GenerativeAnswerer:
    """The `local` answerer: the llama.cpp model, falling back to the extractive answerer.

    The local model reads about 40 (AVX2) to 100 (AVX-512) prompt tokens a second on two cores, and the
    prompt is most of an answer's time (the report's "Model speed" table): it gets LOCAL_PASSAGES
    passages (more articles than the default top-k, so the answer is more often among them), each cut
    to the LOCAL_FOCUS sentences that bear on the question. NEWSBOT_LLAMA_REPACK (`settings.llama_repack`)
    on / off loads the weights repacked or as stored; auto (the default) as the probe recorded it.
    """
    from bot.answer.extractive import ExtractiveAnswerer
    from bot.answer.llm_local import LlamaCppBackend

    repack = {"on": True, "off": False}.get(settings.llama_repack)  # auto: None, as recorded
    return GenerativeAnswerer(LlamaCppBackend(settings.data_dir / "models", repack=repack), embedder,
                              fallback=ExtractiveAnswerer(embedder), max_passages=LOCAL_PASSAGES, focus=LOCAL_FOCUS)


def make_chat_answerer(settings: Settings, embedder: Embedder) -> GenerativeAnswerer:
    """The `llm` answerer: the LangChain chat model NEWSBOT_LLM names, falling back to the extractive answerer.

    Raises ConfigError when NEWSBOT_LLM is unset.
    """
    from bot.answer.extractive import ExtractiveAnswerer
    from bot.answer.llm_chat import ChatModelBackend

    if not settings.llm:
        raise ConfigError("NEWSBOT_ANSWERER=llm needs NEWSBOT_LLM=provider:model (e.g. openai:gpt-4.1-mini)")
    backend = ChatModelBackend(settings.llm, base_url=settings.llm_base_url, timeout_s=settings.llm_timeout_s)
    return GenerativeAnswerer(backend, embedder, fallback=ExtractiveAnswerer(embedder), max_passages=8)


def make_generative_answerer(settings: Settings, embedder: Embedder) -> GenerativeAnswerer:
    """The generative answerer `settings.answerer` names (`local` or `llm`, bot/settings.py's ANSWERERS registry).

    Raises ConfigError for any other name.
    """
    generative = [spec.name for spec in ANSWERERS.values() if spec.factory.startswith(f"{__name__}:")]
    if settings.answerer not in generative:
        raise ConfigError(
            f"NEWSBOT_ANSWERER={settings.answerer!r} is not a generative answerer; valid: {', '.join(generative)}"
        )
    answerer = ANSWERERS[settings.answerer].load()(settings, embedder)
    assert isinstance(answerer, GenerativeAnswerer)
    return answerer
