"""Assembles the pipeline from settings: embedder, store, BM25, indexer, retriever, answerer, chain.

This is the one place that picks implementations by name. Constructors are cheap; the model,
Chroma and the BM25 index load on first use (or `warm_up()`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.answer.base import Answerer, passage_budget
from bot.answer.extractive import ExtractiveAnswerer
from bot.chain import build_answer_chain, build_complete_chain, build_prepare_chain, invoke, make_llm_condenser
from bot.chunking import SentenceChunker
from bot.conversation import Condenser, Conversation
from bot.embed import Embedder, MiniLMEmbedder
from bot.errors import ConfigError, IndexBusyError, IndexEmptyError, QuestionError
from bot.ingest import Indexer, IngestReport, ingest_lock, progress_iter
from bot.lexical import REFRESH_S, Bm25Index
from bot.retrieve import UNDATED_RULE, HybridRetriever
from bot.schema import Answer, Article, Hit, Query, Skipped
from bot.settings import ANSWERER_NAMES, ANSWERERS, Settings
from bot.state import StateDB
from bot.store import ChromaStore


log = logging.getLogger(__name__)
FOLLOW_S = 1.0  # how often a serving process on a shared database applies other hosts' BM25 log


def _minilm(settings: Settings) -> Embedder:
    return MiniLMEmbedder()


def _minilm_int8(settings: Settings) -> Embedder:
    from bot.embed_onnx import MiniLMInt8Embedder

    return MiniLMInt8Embedder(settings.data_dir / "models")


def _http(settings: Settings) -> Embedder:
    from bot.embed_http import HttpEmbedder

    return HttpEmbedder(settings.embeddings_url or "", model=settings.embeddings_model)


EMBEDDERS: dict[str, Callable[[Settings], Embedder]] = {
    "minilm": _minilm,
    "minilm-int8": _minilm_int8,
    "http": _http,
}


def make_embedder(settings: Settings) -> Embedder:
    """The embedder named by settings.embedder."""
    try:
        factory = EMBEDDERS[settings.embedder]
    except KeyError:
        raise ConfigError(f"unknown embedder {settings.embedder!r}; valid: {', '.join(EMBEDDERS)}") from None
    return factory(settings)


def resolve_answerer(settings: Settings) -> tuple[str, str]:
    """The answerer `settings.answerer` stands for, and a one-line note saying which and how to get the other.

    `auto` is the local model when its extra is installed (`make local`), the extractive answerer
    otherwise; any other name stands for itself.
    """
    if settings.answerer != "auto":
        return settings.answerer, f"answering with the {settings.answerer} answerer"
    from bot.answer.llm_local import missing_parts

    missing = missing_parts(settings.data_dir / "models")
    if missing is None:
        return "local", (
            "answering with the local model (Qwen2.5-Coder-1.5B, offline); "
            "--answerer extractive quotes the passages instead"
        )
    return "extractive", (
        "answering with the extractive answerer (quoted sentences): the local model is not installed; "
        "`make local` installs it for fluent answers"
    )


def make_answerer(settings: Settings, embedder: Embedder) -> Answerer:
    """The answerer named by settings.answerer (`auto` resolved by `resolve_answerer`).

    Raises ConfigError for an unknown name or an answerer whose extra or settings are missing.
    """
    if settings.answerer == "auto":
        settings = settings.with_(answerer=resolve_answerer(settings)[0])
    spec = ANSWERERS.get(settings.answerer)
    if spec is None or not spec.factory:
        raise ConfigError(f"unknown answerer {settings.answerer!r}; valid: {', '.join(ANSWERER_NAMES)}")
    answerer: Answerer = spec.load()(settings, embedder)
    return answerer


def _follow(pipeline: weakref.ref[Pipeline]) -> None:
    """A serving process's follower thread: `follow_index` every FOLLOW_S seconds while the pipeline lives."""
    failing = False
    while True:
        time.sleep(FOLLOW_S)
        current = pipeline()
        if current is None:
            return
        try:
            current.follow_index()
            failing = False
        except Exception:  # noqa: BLE001 - the next round tries again; queries read what is there
            if not failing:  # once per outage, not once a second
                log.warning("following the shared database's BM25 log failed", exc_info=True)
            failing = True
        del current


@dataclass
class Prepared:
    """A question made ready for the answerer's model (`Pipeline.prepare`): its query, the retrieved
    hits and the preliminary answer quoted from them; `Pipeline.complete` answers it."""

    question: str
    query: Query
    hits: list[Hit]
    preliminary: Answer | None = None  # given to `on_quick` already; None when not asked for
    conversation: Conversation | None = None  # the turn is recorded in it when completed
    dated: bool = False  # asked as of a date or within dates: the answer says what undated articles do
    timings_ms: dict[str, float] = field(default_factory=dict)  # condense, retrieve, quick


class Pipeline:
    """newsbot's whole pipeline for one data dir, built from settings."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None, answerer: Answerer | None = None) -> None:
        self.settings = settings
        self.embedder: Embedder = embedder or make_embedder(settings)
        self._answerer = answerer
        self.state = StateDB(settings.state_location)
        # On a shared Chroma server, collections are namespaced by this data dir's instance id.
        namespace = self.state.instance[:12] if settings.chroma_host else None
        self.store = ChromaStore(settings, self.embedder.name, self.embedder.dim, namespace=namespace)
        self.lexical = Bm25Index(settings.data_dir / "bm25" / self.store.collection_name)
        self.chunker = SentenceChunker(max_tokens=settings.chunk_tokens, overlap_sentences=settings.chunk_overlap_sentences)
        self.indexer = Indexer(self.state, self.store, self.lexical, self.embedder, self.chunker, settings.data_dir)
        self.retriever = HybridRetriever(self.embedder, self.store, self.lexical, self.state, candidates=settings.candidates)
        self._prepare_chain: Any = None
        self._complete_chain: Any = None
        self._condenser: Condenser | None = None
        self._answer_chain: Any = None
        self._lock = threading.Lock()
        self._follower: threading.Thread | None = None

    @property
    def answerer(self) -> Answerer:
        """The configured answerer (built on first use)."""
        if self._answerer is None:
            self._answerer = make_answerer(self.settings, self.embedder)
        return self._answerer

    @property
    def condenser(self) -> Condenser | None:
        """The LLM condense-question step when the answerer has a chat model; None: rule-based."""
        if self._condenser is None:
            chat = self.answerer.chat
            if chat is None:
                return None

            def ask_model(messages: list[dict[str, str]]) -> str:
                return "".join(chat.complete(messages, stream=False))

            self._condenser = make_llm_condenser(ask_model)
        return self._condenser

    def warm_up(self) -> None:
        """Load the model, open the store and bring the BM25 index up to the state now; on a shared
        database, keep following it (`follow_index`) from a background thread while the process lives."""
        warm = getattr(self.embedder, "warm_up", None)
        if callable(warm):
            warm()
        self.chunker.counter.count(["warm up"])
        self.store.count()
        self.follow_index(force=True)
        if self.state.shared and self._follower is None:
            self._follower = threading.Thread(target=_follow, args=(weakref.ref(self),), name="newsbot-follow-index",
                                              daemon=True)
            self._follower.start()

    def follow_index(self, force: bool = False) -> None:
        """Bring this process's BM25 index up to the state database: load the index an ingest saved
        (checked at most every half second unless `force`) and, on a shared database, apply the lexical
        log another host wrote. Queries never do this (they read the index as it is): warm-up, the
        follower thread of a serving process on a shared database, and one-shot commands call it."""
        self.lexical.refresh(every_s=0.0 if force else REFRESH_S)
        if self.state.shared and self.lexical.generation != self.state.generation():
            with self._lock:
                self._catch_up_lexical()

    def _catch_up_lexical(self) -> None:
        """On a shared database another host may have ingested: bring this host's BM25 cache up to the
        database from its lexical log (built from the chunk texts when this host has none), unless a
        local ingest holds the data dir, which refreshes it when it ends."""
        try:
            with ingest_lock(self.settings.data_dir, wait=False):
                self.indexer.refresh_lexical()
        except IndexBusyError:
            pass

    # --- ingest -----------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        *,
        progress: bool = False,
        on_skip: Callable[[Skipped], None] | None = None,
        wait: bool = False,
    ) -> IngestReport:
        """Sync files and folders (default: the corpus folder) into the index."""
        from bot.readers import iter_files, read_file

        paths = list(paths) if paths else [self.settings.corpus_dir]
        files: list[Path] = []
        skipped: list[Skipped] = []
        for item in iter_files(paths):
            if isinstance(item, Skipped):
                skipped.append(item)
            else:
                files.append(item)

        def items() -> Iterable[Article | Skipped]:
            yield from skipped
            walk = progress_iter(files, len(files), "ingest") if progress else files
            for f in walk:
                yield from read_file(f)

        scopes = [str(p) for p in paths if p.is_dir()] + [str(p) for p in paths if p.is_file()]
        return self.indexer.sync(items(), scopes=scopes, on_skip=on_skip, wait=wait)

    def ingest_articles(self, articles: Iterable[Article | Skipped], *, scope: str | None = None, wait: bool = False) -> IngestReport:
        """Sync articles given directly (datasets); keys under `scope` not given are removed."""
        return self.indexer.sync(articles, scopes=[scope] if scope else [], wait=wait)

    # --- questions --------------------------------------------------------------------------

    def check_question(self, question: str) -> str:
        """The question, normalised (bot/text.py) and stripped; QuestionError when empty or too long."""
        from bot.text import normalize_text

        q = " ".join(normalize_text(question).split())
        if not q:
            raise QuestionError("the question is empty")
        limit = self.settings.max_question_chars
        if len(q) > limit:
            raise QuestionError(
                f"the question is {len(q)} characters long; the limit is {limit} (NEWSBOT_MAX_QUESTION_CHARS)"
            )
        return q

    def ensure_index(self) -> None:
        """IndexEmptyError when nothing has been ingested into this data dir."""
        if self.state.counts()["chunks"] == 0:
            raise IndexEmptyError(
                f"the index in {self.settings.data_dir} is empty: run `newsbot ingest` "
                f"(it reads {self.settings.corpus_dir}/ by default) or `newsbot ingest PATH...`"
            )

    def query(
        self,
        text: str,
        *,
        as_of: dt.date | None = None,
        k: int | None = None,
        sources: Sequence[str] = (),
        since: dt.date | None = None,
        until: dt.date | None = None,
        prefer_docs: Sequence[str] = (),
        avoid: Sequence[str] = (),
        question: str = "",
        carried: Sequence[str] = (),
        reads: int = 0,
    ) -> Query:
        """The Query for a (standalone) question, its passage budget decided by `passage_budget`:
        `k` or NEWSBOT_TOP_K passages (at least the `reads` an answerer reads), more for a list."""
        budget = passage_budget(text, top_k=self.settings.top_k, reads=reads, k=k)
        return Query(text, budget.retrieve, as_of, tuple(sources), since, until, tuple(prefer_docs), tuple(avoid),
                     question, tuple(carried), budget.read)

    def retrieve(self, query: Query) -> list[Hit]:
        """Hybrid retrieval for a query."""
        return self.retriever.retrieve(query)

    def ask(
        self,
        question: str,
        *,
        as_of: dt.date | None = None,
        k: int | None = None,
        sources: Sequence[str] = (),
        since: dt.date | None = None,
        until: dt.date | None = None,
        conversation: Conversation | None = None,
        on_token: Callable[[str], None] | None = None,
        on_quick: Callable[[Answer], None] | None = None,
    ) -> Answer:
        """Answer a question from the index (a follow-up when a conversation is given): `prepare`, then `complete`.

        `on_token` receives the answer's text as it is generated, when the answerer streams.
        `on_quick` receives a preliminary answer first (`Answer.preliminary`: the extractive answer
        quoted from the same passages, in well under a second) when the answerer has a model to wait for.
        """
        prepared = self.prepare(question, as_of=as_of, k=k, sources=sources, since=since, until=until,
                                conversation=conversation, on_quick=on_quick)
        return self.complete(prepared, on_token=on_token)

    def prepare(
        self,
        question: str,
        *,
        as_of: dt.date | None = None,
        k: int | None = None,
        sources: Sequence[str] = (),
        since: dt.date | None = None,
        until: dt.date | None = None,
        conversation: Conversation | None = None,
        on_quick: Callable[[Answer], None] | None = None,
    ) -> Prepared:
        """Everything before the answerer's model: check the question, condense a follow-up, retrieve,
        and, when the answerer has a model to wait for and `on_quick` is given, make the preliminary
        answer and hand it to `on_quick`. The answerer's model is not asked to answer (an LLM condenser
        may ask it to rewrite a follow-up). QuestionError, IndexEmptyError as for `ask`."""
        q = self.check_question(question)
        self.ensure_index()
        t0 = time.perf_counter()
        standalone, carried = conversation.follow_up(q, self.condenser) if conversation is not None else (q, ())
        followup = conversation is not None and (standalone != q or bool(carried))
        prefer = conversation.prefer_docs() if conversation is not None and followup else ()
        avoid = conversation.given_quotes() if conversation is not None and followup else ()
        t_condense = (time.perf_counter() - t0) * 1000
        # A generative answerer reads more passages than the default top-k (it cites only those it uses).
        query = self.query(standalone, as_of=as_of, k=k, sources=sources, since=since, until=until,
                           prefer_docs=prefer, avoid=avoid, question=q, carried=carried,
                           reads=self.answerer.capabilities.passages)
        if self._prepare_chain is None:
            # An answerer with a model to wait for gets the quoted answer first, for `on_quick`.
            quick = ExtractiveAnswerer(self.embedder) if self.answerer.capabilities.warm_up else None
            self._prepare_chain = build_prepare_chain(self.retriever, quick)
        state = self._prepare_chain.invoke({"question": q, "query": query, "on_quick": on_quick})
        timings = dict(state["timings"])
        if conversation is not None:
            timings["condense"] = t_condense
        return Prepared(q, query, list(state["hits"]), state.get("preliminary"), conversation,
                        bool(as_of or since or until), timings)

    def complete(self, prepared: Prepared, *, on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer a prepared question with the answerer (its model), record the turn in its
        conversation, and return the Answer. `on_token` as for `ask`."""
        if self._complete_chain is None:
            self._complete_chain = build_complete_chain(self.retriever, self.answerer)
        timings = {k: v for k, v in prepared.timings_ms.items() if k != "condense"}
        answer: Answer = self._complete_chain.invoke({
            "question": prepared.question, "query": prepared.query, "hits": prepared.hits,
            "timings": timings, "on_token": on_token})
        if prepared.dated:
            answer.undated = UNDATED_RULE
        if prepared.conversation is not None:
            t_condense = prepared.timings_ms.get("condense", 0.0)
            answer.timings_ms["condense"] = t_condense
            answer.timings_ms["total"] += t_condense
            prepared.conversation.record(answer)
        return answer

    def answer_passages(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer from given passages only (no retrieval)."""
        q = self.check_question(question)
        if self._answer_chain is None:
            self._answer_chain = build_answer_chain(self.answerer)
        return invoke(self._answer_chain, q, self.query(q, reads=self.answerer.capabilities.passages), list(hits))

    def stats(self) -> dict[str, Any]:
        """Counts, locations and models."""
        counts = self.state.counts()
        return {
            **counts,
            "vectors": self.store.count(),
            "store": self.store.location,
            "shards": len(self.store.shards()),
            "state": self.state.location,
            "bm25_chunks": len(self.lexical) if self.lexical.load() else 0,
            "embedder": self.embedder.name,
            "answerer": resolve_answerer(self.settings)[0],
            "data_dir": str(self.settings.data_dir),
        }
