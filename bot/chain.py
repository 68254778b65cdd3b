"""The retrieval chain as a LangChain runnable: retriever -> answerer -> citation formatter.

It comes in two halves that a caller may run apart: the prepare chain (retrieval and the preliminary
answer quoted from the hits, no model) and the complete chain (the answerer's model and the
formatter), so a question waiting its turn for a model already shows its preliminary answer.

This is the only module that imports langchain_core. Each step records its time; the formatter
guarantees that every [n] in the answer refers to a listed citation and that every citation quotes
its passage exactly, and gives an untitled article's citations its first words (`Citation.label`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from bot.answer.base import Answerer
from bot.conversation import Condenser, Turn, condense, is_followup
from bot.errors import AnswerError
from bot.numbers import number_tokens
from bot.retrieve import Retriever
from bot.schema import ABSTAIN_TEXT, Answer, Citation, Hit, Query, Reply

_MARKER = re.compile(r"\s*\[(\d+)\]")
log = logging.getLogger(__name__)

OpeningTexts = Callable[[Sequence[str]], dict[str, str]]  # doc ids -> the text of each one's opening passage


def build_chain(
    retriever: Retriever, answerer: Answerer, quick: Answerer | None = None
) -> Runnable[dict[str, Any], Answer]:
    """question + query -> Answer, as three runnable steps: the prepare chain, then the complete chain.

    `quick`, an answerer without a model (the extractive one), answers first from the same hits when
    the caller gives `on_quick`: that preliminary answer (`Answer.preliminary`) reaches the caller
    before the answerer's model has read its prompt. Its time is the answer's `timings_ms["quick"]`,
    and the time to that first content `timings_ms["first_content"]`.
    """
    return build_prepare_chain(retriever, quick) | build_complete_chain(retriever, answerer)


def build_prepare_chain(retriever: Retriever, quick: Answerer | None = None) -> Runnable[dict[str, Any], dict[str, Any]]:
    """question + query -> the same state with its `hits`, its `timings` (retrieve, quick) and, when
    `quick` is given and the caller gives `on_quick`, the `preliminary` answer quoted from the hits
    (handed to `on_quick` as soon as it is made). No model is asked anything."""

    def retrieve(state: dict[str, Any]) -> dict[str, Any]:
        t0 = time.perf_counter()
        hits = retriever.retrieve(state["query"])
        return {**state, "hits": hits, "timings": {"retrieve": (time.perf_counter() - t0) * 1000}}

    def preliminary(state: dict[str, Any]) -> dict[str, Any]:
        on_quick = state.get("on_quick")
        if on_quick is None or quick is None:
            return state
        timings = dict(state["timings"])
        t0 = time.perf_counter()
        early = quick.answer(state["query"], state["hits"])
        timings["quick"] = (time.perf_counter() - t0) * 1000
        shown = with_leads(format_answer(state["question"], state["query"].search_text, state["hits"], early,
                                         dict(timings)), retriever.openings)
        shown.preliminary = True
        on_quick(shown)
        return {**state, "timings": timings, "preliminary": shown}

    return RunnableLambda(retrieve) | RunnableLambda(preliminary)


def build_complete_chain(retriever: Retriever, answerer: Answerer) -> Runnable[dict[str, Any], Answer]:
    """A prepared state (question, query, hits, timings) -> the Answer: the answerer (its model,
    streaming checked text to `on_token` when it can) and the citation formatter."""

    def answer(state: dict[str, Any]) -> dict[str, Any]:
        # A follow-up is answered in its standalone form, which names what "it" and "they" are.
        query = state["query"]
        timings = dict(state.get("timings") or {"retrieve": 0.0})
        t0 = time.perf_counter()
        on_token = state.get("on_token")
        if on_token is not None and answerer.capabilities.streams:
            # Tokens go to the caller as they come; the reply is the checked one, built at the end.
            tokens = answerer.stream(query, state["hits"])
            for token in tokens:
                on_token(token)
            reply = tokens.reply
        else:
            reply = answerer.answer(query, state["hits"])
        timings["answer"] = (time.perf_counter() - t0) * 1000
        return {**state, "reply": reply, "timings": timings}

    def fmt(state: dict[str, Any]) -> Answer:
        timings = state["timings"]
        answer = format_answer(state["question"], state["query"].search_text, state["hits"], state["reply"], timings)
        if "quick" in timings:
            answer.timings_ms["first_content"] = timings["retrieve"] + timings["quick"]
        return with_leads(answer, retriever.openings)

    return RunnableLambda(answer) | RunnableLambda(fmt)


def with_leads(answer: Answer, openings: OpeningTexts | None = None) -> Answer:
    """The answer with each untitled article's citations carrying its first words, from its opening
    passage among the hits or, when only a later passage was retrieved, read from the index."""
    missing = [c for c in answer.citations if not c.lead and not (c.title or "").strip()]
    if not missing:
        return answer
    doc_of = {h.passage.chunk_id: h.passage.doc_id for h in answer.hits}
    text_of = {h.passage.doc_id: h.passage.text for h in answer.hits if h.passage.start == 0}
    wanted = sorted({doc_of[c.chunk_id] for c in missing if c.chunk_id in doc_of} - set(text_of))
    if wanted and openings is not None:
        try:
            text_of.update(openings(wanted))
        except Exception:  # noqa: BLE001 - a label is not worth failing an answer for
            log.warning("reading the opening passages of %d untitled articles failed", len(wanted), exc_info=True)
    leads = {c.chunk_id: Citation.first_words(text_of[doc_of[c.chunk_id]]) for c in missing
             if doc_of.get(c.chunk_id) in text_of}
    answer.citations = [replace(c, lead=leads[c.chunk_id]) if c.chunk_id in leads and not c.lead else c
                        for c in answer.citations]
    return answer


def build_answer_chain(answerer: Answerer) -> Runnable[dict[str, Any], Answer]:
    """The chain without retrieval, for passages given by the caller (evaluation on gold evidence)."""

    def answer(state: dict[str, Any]) -> dict[str, Any]:
        t0 = time.perf_counter()
        reply = answerer.answer(state["query"], state["hits"])
        return {**state, "reply": reply, "t_answer": (time.perf_counter() - t0) * 1000}

    def fmt(state: dict[str, Any]) -> Answer:
        return with_leads(format_answer(state["question"], state["question"], state["hits"], state["reply"], {
            "retrieve": 0.0, "answer": state["t_answer"]}))

    return RunnableLambda(answer) | RunnableLambda(fmt)


CONDENSE_SYSTEM = (
    "You rewrite a follow-up question from a conversation about news articles into one standalone "
    "question that a search engine can answer without the conversation. Replace pronouns and vague "
    "references (it, they, the company, that deal) with the names they stand for, keep every name, "
    "number and date the follow-up gives, and do not answer it. Reply with the question only."
)
CONDENSE_HUMAN = "Conversation so far:\n{history}\n\nFollow-up question: {question}\n\nStandalone question:"
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def build_condense_chain(complete: Callable[[list[dict[str, str]]], str]) -> Runnable[dict[str, str], str]:
    """history + question -> a standalone question: prompt template | chat model | text parser.

    `complete` sends chat messages (role/content dicts) to the generative answerer's model and
    returns its reply, so the local model and hosted ones condense through the same chain.
    """
    prompt = ChatPromptTemplate.from_messages([("system", CONDENSE_SYSTEM), ("human", CONDENSE_HUMAN)])

    def to_messages(value: Any) -> list[dict[str, str]]:
        return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in value.to_messages()]

    return prompt | RunnableLambda(to_messages) | RunnableLambda(complete) | StrOutputParser()


def make_llm_condenser(complete: Callable[[list[dict[str, str]]], str], history_turns: int = 3) -> Condenser:
    """A conversation condenser that asks the model; the rule-based one when the model fails.

    Questions that already stand alone (no pronoun, no elliptical start, not very short) are not
    sent to the model: that costs nothing and cannot go wrong. A reply that is empty, several lines
    of chatter, far longer than a question, or holding a number (a year, a figure) that neither the
    follow-up nor the conversation gave is not trusted either.
    """
    chain = build_condense_chain(complete)

    def condenser(turns: list[Turn], question: str) -> str:
        if not turns or not is_followup(question):
            return question
        history = "\n".join(
            f"Q: {t.standalone or t.question}\nA: {' '.join(t.answer.split())[:400]}" for t in turns[-history_turns:]
        )
        try:
            reply = chain.invoke({"history": history, "question": question})
        except AnswerError:
            return condense(turns, question)
        rewritten = clean_condensed(reply)
        if not rewritten or len(rewritten) > 3 * len(question) + 200:
            return condense(turns, question)
        if set(number_tokens(rewritten)) - set(number_tokens(f"{question}\n{history}")):
            # A year or figure the conversation never gave ("What was Chery's market share in 2023?" for
            # "What was its market share?") would make retrieval and the answer look for something else.
            return condense(turns, question)
        return rewritten

    return condenser


def clean_condensed(reply: str) -> str:
    """The question in a model's reply: the first non-empty line, without labels or quotes."""
    for line in reply.strip().splitlines():
        line = re.sub(r"^\s*(standalone question|question|rewritten question)\s*:\s*", "", line, flags=re.I).strip()
        line = line.strip("\"'`* ").strip()
        if line:
            return line
    return ""


def format_answer(
    question: str, standalone: str, hits: list[Hit], reply: Reply, timings: dict[str, float]
) -> Answer:
    """Renumber citations densely, drop markers that refer to nothing, check quotes are exact."""
    valid: dict[int, Citation] = {}
    for c in reply.citations:
        if _quote_ok(c, hits):
            valid[c.n] = c
    order: dict[int, int] = {}
    for m in _MARKER.finditer(reply.text):
        n = int(m.group(1))
        if n in valid and n not in order:
            order[n] = len(order) + 1

    def renumber(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f" [{order[n]}]" if n in order else ""

    text = _MARKER.sub(renumber, reply.text).strip()
    citations = [
        replace(c, n=order[n])
        for n, c in sorted(valid.items(), key=lambda kv: order.get(kv[0], 10**6))
        if n in order
    ]
    abstained = reply.abstained or not text
    if abstained:
        text = reply.text.strip() if reply.abstained and reply.text.strip() else ABSTAIN_TEXT
        text = _MARKER.sub("", text).strip() or ABSTAIN_TEXT
        citations = []
    elif not citations:
        # An answer that cites nothing it can back up is not shown as an answer.
        abstained, text = True, ABSTAIN_TEXT
    total = sum(timings.values())
    return Answer(
        question=question,
        text=text,
        abstained=abstained,
        citations=citations,
        hits=list(hits),
        standalone_query=standalone,
        timings_ms={**timings, "total": total},
        check=reply.check,
        temporal=None if abstained else reply.temporal,
        candidates=reply.candidates,
        read=reply.read,
    )


def _quote_ok(c: Citation, hits: list[Hit]) -> bool:
    for h in hits:
        if h.passage.chunk_id == c.chunk_id or (not c.chunk_id and h.passage.article_id == c.article_id):
            if c.quote and c.quote in h.passage.text:
                return True
    return False


def invoke(
    chain: Runnable[dict[str, Any], Answer],
    question: str,
    query: Query,
    hits: list[Hit] | None = None,
    on_token: Callable[[str], None] | None = None,
    on_quick: Callable[[Answer], None] | None = None,
) -> Answer:
    """Run a chain built here; `on_token` receives streamed text when the answerer can stream, and
    `on_quick` the preliminary answer when the chain has a quick answerer."""
    state: dict[str, Any] = {"question": question, "query": query, "on_token": on_token, "on_quick": on_quick}
    if hits is not None:
        state["hits"] = hits
    return chain.invoke(state)
