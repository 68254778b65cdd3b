"""Runs a dataset through a pipeline (ours or the naive one) and scores every answer.

RealTime QA gets an index of its own pooled articles under `<data_dir>/eval/<name>-<hash>/`,
synced by content so a rerun embeds nothing new; MultiHop-RAG and RGB hand their passages to the
answerer directly; our JSONL format is asked against the configured index (the corpus is ingested
when that index is empty).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import __version__
from bot.errors import ConfigError, IndexEmptyError, NewsbotError
from bot.evaluation import metrics
from bot.evaluation.datasets import Dataset, EvalCase, Turn
from bot.evaluation.naive import NaivePipeline
from bot.evaluation.report import add_pipeline_baseline, build_report, cpu_info, write_outputs
from bot.schema import Answer, Article, Hit, Passage, Skipped, passage_dict
from bot.settings import Settings

log = logging.getLogger(__name__)

PIPELINES = ("default", "naive", "closed", "both", "all")
# What each --pipeline runs; the first is the report's own, the others become its baselines.
KINDS = {"default": ["default"], "naive": ["naive"], "closed": ["closed"], "both": ["default", "naive"],
         "all": ["default", "naive", "closed"]}
BASELINE_NAMES = {"naive": "naive", "closed": "closed-book"}


@dataclass
class RunOutput:
    """A finished run: the report object and one record per question asked."""

    report: dict[str, Any]
    records: list[dict[str, Any]]


class _Target:
    """What the runner asks of a pipeline; one subclass per pipeline kind."""

    name = ""

    def ask(self, question: str, as_of: dt.date | None, conversation: Any) -> Answer:
        """Answer a question (a follow-up when a conversation is given)."""
        raise NotImplementedError

    def retrieve(self, answer: Answer, as_of: dt.date | None, prefer: tuple[str, ...], k: int) -> list[Hit]:
        """The top-k passages for the query the answer was built from."""
        raise NotImplementedError

    def answer_passages(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer from given passages."""
        raise NotImplementedError

    def new_conversation(self) -> Any:
        """A fresh conversation, or None when the pipeline has no memory."""
        return None


class _DefaultTarget(_Target):
    name = "default"

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline

    def ask(self, question: str, as_of: dt.date | None, conversation: Any) -> Answer:
        # The preliminary quoted answer is made as a person would get it first (its time is the
        # answer's "first_content"); only an answerer with a model has one.
        return self.pipeline.ask(question, as_of=as_of, conversation=conversation,  # type: ignore[no-any-return]
                                 on_quick=_ignore)

    def retrieve(self, answer: Answer, as_of: dt.date | None, prefer: tuple[str, ...], k: int) -> list[Hit]:
        text = answer.standalone_query or answer.question
        prefer = prefer if text != answer.question else ()
        return self.pipeline.retrieve(  # type: ignore[no-any-return]
            self.pipeline.query(text, as_of=as_of, k=k, prefer_docs=prefer)
        )

    def answer_passages(self, question: str, hits: Sequence[Hit]) -> Answer:
        return self.pipeline.answer_passages(question, hits)  # type: ignore[no-any-return]

    def new_conversation(self) -> Any:
        from bot.conversation import Conversation

        return Conversation()


class _ClosedBookTarget(_Target):
    """The answerer's own model asked with no passages: what it knows, not what it reads."""

    name = "closed"

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def ask(self, question: str, as_of: dt.date | None, conversation: Any) -> Answer:
        from bot.answer.prompting import NOT_FOUND, closed_book_messages

        t0 = time.perf_counter()
        text = "".join(self.backend.complete(closed_book_messages(question, as_of), stream=False)).strip()
        ms = (time.perf_counter() - t0) * 1000
        abstained = not text or NOT_FOUND.rstrip(".").lower() in text.lower()
        return Answer(question, text, abstained, [], timings_ms={"answer": ms, "total": ms})

    def retrieve(self, answer: Answer, as_of: dt.date | None, prefer: tuple[str, ...], k: int) -> list[Hit]:
        return []

    def answer_passages(self, question: str, hits: Sequence[Hit]) -> Answer:
        return self.ask(question, None, None)


class _NaiveTarget(_Target):
    name = "naive"

    def __init__(self, pipeline: NaivePipeline) -> None:
        self.pipeline = pipeline

    def ask(self, question: str, as_of: dt.date | None, conversation: Any) -> Answer:
        return self.pipeline.ask(question)

    def retrieve(self, answer: Answer, as_of: dt.date | None, prefer: tuple[str, ...], k: int) -> list[Hit]:
        return self.pipeline.retrieve(answer.question, k)

    def answer_passages(self, question: str, hits: Sequence[Hit]) -> Answer:
        return self.pipeline.answer_passages(question, hits)


def run_dataset(
    dataset: Dataset,
    settings: Settings,
    *,
    pipeline: str = "default",
    out: Path | None = None,
    progress: bool | None = None,
    limit: int | None = None,
    sample: int | None = None,
    sync_corpus: bool = False,
    embedder: Any = None,
) -> RunOutput:
    """Ask every question of the dataset, score the answers, and write the report to `out`.

    JSONL sets are asked against the configured index; `sync_corpus` syncs the corpus folder
    into it first (otherwise it is ingested only when the index is empty). An `embedder` given
    is used instead of the one settings name (so callers can share a loaded model).
    """
    if pipeline not in PIPELINES:
        raise ConfigError(f"unknown pipeline {pipeline!r}; valid: {', '.join(PIPELINES)}")
    if progress is None:
        progress = sys.stderr.isatty()
    from bot.pipeline import make_embedder

    from bot.pipeline import make_answerer

    embedder = embedder or make_embedder(settings)
    answerer = make_answerer(settings, embedder)  # one model for every pipeline of the run
    kinds = KINDS[pipeline]
    outputs: dict[str, RunOutput] = {}
    for kind in kinds:
        started = time.perf_counter()
        target, ingest = _prepare(kind, dataset, settings, embedder, answerer, progress, sync_corpus)
        records = list(_ask_all(target, dataset, progress, desc=f"eval {dataset.name} ({kind})"))
        config = {
            "pipeline": kind,
            "format": dataset.format,
            "dataset_path": str(dataset.path),
            "answerer": settings.answerer,
            "llm": settings.llm,
            "embedder": settings.embedder,
            "top_k": 4 if kind == "naive" else 0 if kind == "closed" else settings.top_k,
            "limit": limit,
            "sample": sample,
            "newsbot_version": __version__,
            "cpu": cpu_info() or None,  # what every speed figure of the report was measured on
            "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "run_seconds": None,
        }
        baselines = {
            name: _baseline_records(dataset, predictions) for name, predictions in dataset.baselines.items()
        }
        report = build_report(
            dataset.name,
            records,
            config,
            retrieval=not dataset.given_passages and kind != "closed",
            citations=dataset.format != "multihop",
            baselines=baselines,
            ingest=ingest,
        )
        report["config"]["run_seconds"] = round(time.perf_counter() - started, 1)
        outputs[kind] = RunOutput(report, records)
    main = outputs[kinds[0]]
    for kind in kinds[1:]:
        other, name = outputs[kind], BASELINE_NAMES[kind]
        add_pipeline_baseline(main.report, name, other.report)
        for record, orec in zip(main.records, other.records):
            record.setdefault("baselines", {})[name] = {
                "prediction": orec["answer"], "contains": orec["scores"]["contains"],
            }
        if out is not None:
            write_outputs(out / kind, other.report, other.records)
    if out is not None:
        write_outputs(out, main.report, main.records)
    return main


# --- preparing the pipeline and its index ------------------------------------------------------


def _prepare(
    kind: str, dataset: Dataset, settings: Settings, embedder: Any, answerer: Any, progress: bool,
    sync_corpus: bool = False,
) -> tuple[_Target, dict[str, Any] | None]:
    from bot.pipeline import Pipeline

    if kind == "closed":
        backend = answerer.chat
        if backend is None:
            raise ConfigError(
                f"a closed-book run needs a generative answerer (--answerer local or llm), not {settings.answerer!r}"
            )
        return _ClosedBookTarget(backend), None
    if dataset.given_passages:
        scratch = settings.with_(data_dir=settings.data_dir / "eval" / f"{dataset.name}-passages")
        if kind == "naive":
            return _NaiveTarget(NaivePipeline(scratch, embedder, answerer)), None
        return _DefaultTarget(Pipeline(scratch, embedder=embedder, answerer=answerer)), None
    if dataset.own_corpus:
        index_dir = settings.data_dir / "eval" / f"{dataset.name}-{dataset.corpus_hash()}"
        pooled: list[Article] = []

        def load() -> list[Article]:
            if not pooled:
                t0 = time.perf_counter()
                pooled.extend(dataset.articles())
                log.info("pooled %d articles in %.1fs", len(pooled), time.perf_counter() - t0)
            return pooled

        if kind == "naive":
            naive = NaivePipeline(settings.with_(data_dir=index_dir), embedder, answerer)
            return _NaiveTarget(naive), _naive_ingest(naive, index_dir, load, progress)
        pipeline = Pipeline(settings.with_(data_dir=index_dir), embedder=embedder, answerer=answerer)
        return _DefaultTarget(pipeline), _default_ingest(pipeline, index_dir, load, dataset.name, progress)
    if kind == "naive":
        corpus = [a for a in _read_corpus(settings.corpus_dir) if isinstance(a, Article)]
        index_dir = settings.data_dir / "eval" / f"corpus-{_articles_hash(corpus)}"
        naive = NaivePipeline(settings.with_(data_dir=index_dir), embedder, answerer)
        return _NaiveTarget(naive), _naive_ingest(naive, index_dir, lambda: corpus, progress)
    pipeline = Pipeline(settings, embedder=embedder, answerer=answerer)
    if not sync_corpus:
        try:
            pipeline.ensure_index()
            return _DefaultTarget(pipeline), None
        except IndexEmptyError:
            pass
    t0 = time.perf_counter()
    rep = pipeline.ingest(progress=progress)
    ingest = {"articles": rep.added + rep.updated + rep.unchanged, "seconds": round(time.perf_counter() - t0, 2),
              "chunks_embedded": rep.chunks_embedded, "index": str(settings.data_dir)}
    return _DefaultTarget(pipeline), ingest


def _read_corpus(folder: Path) -> Iterator[Article | Skipped]:
    from bot.readers import read_articles

    return read_articles([folder]) if folder.exists() else iter(())


def _articles_hash(articles: Sequence[Article]) -> str:
    digest = hashlib.sha256()
    for a in sorted(articles, key=lambda a: a.key):
        digest.update(json.dumps([a.key, a.title, a.published, a.text]).encode())
    return digest.hexdigest()[:12]


def _watch(articles: list[Article], desc: str, progress: bool) -> Iterator[Article]:
    """The articles, with a progress bar on a terminal (log lines otherwise): ingest reads them lazily."""
    from bot.ingest import progress_iter

    if progress:
        from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]

        yield from tqdm(articles, total=len(articles), desc=desc, unit="article", file=sys.stderr)
    else:
        yield from progress_iter(articles, len(articles), desc)


def _default_ingest(pipeline: Any, index_dir: Path, load: Any, scope: str, progress: bool) -> dict[str, Any]:
    marker = index_dir / "build.json"
    t0 = time.perf_counter()
    articles = load()
    rep = pipeline.ingest_articles(_watch(articles, f"index {scope}", progress), scope=scope)
    seconds = time.perf_counter() - t0
    info = {"articles": len(articles), "seconds": round(seconds, 2), "chunks_embedded": rep.chunks_embedded,
            "index": str(index_dir)}
    if rep.chunks_embedded or not marker.exists():
        built = {"articles": len(articles), "seconds": round(seconds, 2), "chunks_embedded": rep.chunks_embedded}
        marker.write_text(json.dumps(built) + "\n", encoding="utf-8")
    info["build_seconds"] = json.loads(marker.read_text(encoding="utf-8"))["seconds"]
    return info


def _naive_ingest(naive: NaivePipeline, index_dir: Path, load: Any, progress: bool) -> dict[str, Any]:
    marker = index_dir / "naive.json"
    if marker.exists() and naive.count() > 0:
        built = json.loads(marker.read_text(encoding="utf-8"))
        return {**built, "seconds": 0.0, "chunks_embedded": 0, "build_seconds": built["seconds"],
                "index": str(index_dir / "naive")}
    t0 = time.perf_counter()
    articles = load()
    naive.ingest_articles(_watch(articles, "naive index", progress))
    seconds = time.perf_counter() - t0
    chunks = naive.count()
    built = {"articles": len(articles), "seconds": round(seconds, 2), "chunks": chunks}
    index_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(built) + "\n", encoding="utf-8")
    return {**built, "chunks_embedded": chunks, "build_seconds": built["seconds"], "index": str(index_dir / "naive")}


# --- asking and scoring --------------------------------------------------------------------------


def _items(dataset: Dataset) -> list[tuple[EvalCase, int, Turn]]:
    return [(case, i, turn) for case in dataset.cases for i, turn in enumerate(case.turns, start=1)]


def _ask_all(target: _Target, dataset: Dataset, progress: bool, desc: str) -> Iterator[dict[str, Any]]:
    items = _items(dataset)
    bar: Any = None
    if progress:
        from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]

        bar = tqdm(total=len(items), desc=desc, unit="q", file=sys.stderr)
    conversation: Any = None
    try:
        for case, number, turn in items:
            if number == 1:
                conversation = target.new_conversation() if len(case.turns) > 1 else None
            yield _ask_one(target, dataset, case, number, turn, conversation)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()


def _ask_one(
    target: _Target, dataset: Dataset, case: EvalCase, number: int, turn: Turn, conversation: Any
) -> dict[str, Any]:
    error = None
    top: list[Hit] = []
    t0 = time.perf_counter()
    try:
        if dataset.given_passages:
            hits = [Hit(p, score=1.0 / rank, dense_rank=rank) for rank, p in enumerate(case.passages, 1)]
            answer = target.answer_passages(turn.question, hits)
        else:
            prefer = tuple(conversation.prefer_docs()) if conversation is not None else ()
            answer = target.ask(turn.question, case.as_of, conversation)
            top = target.retrieve(answer, case.as_of, prefer, metrics.RANK_DEPTH)
    except IndexEmptyError:
        raise
    except NewsbotError as exc:
        error = f"{type(exc).__name__}: {exc}"
        answer = Answer(turn.question, "", True, [], timings_ms={})
    wall_ms = (time.perf_counter() - t0) * 1000
    return score_record(dataset, case, number, turn, answer, top, error, wall_ms)


def score_record(
    dataset: Dataset,
    case: EvalCase,
    number: int,
    turn: Turn,
    answer: Answer,
    top: Sequence[Hit],
    error: str | None = None,
    wall_ms: float | None = None,
) -> dict[str, Any]:
    """One results.jsonl line: the question, the answer and its per-question scores."""
    scores = metrics.answer_scores(answer.text, answer.abstained, turn.answers, turn.answerable)
    passages = {h.passage.chunk_id: h.passage for h in answer.hits}
    cited = [_cited_text(c.chunk_id, c.quote, passages) for c in answer.citations]
    scores["citation_hits"] = metrics.citation_hits(cited, turn.answers, turn.evidence) if turn.answerable else 0
    scores["resolved"] = metrics.resolved(answer.text, [c.n for c in answer.citations]) if not answer.abstained else False
    if not dataset.given_passages:
        texts = [h.passage.text for h in top]
        scores["rank"] = metrics.first_rank(texts, turn.answers) if turn.answerable else None
        scores["evidence_hit"] = metrics.evidence_hit([passage_dict(h.passage) for h in top], turn.evidence)
    if case.fake_answers:
        body = "" if answer.abstained or metrics.word_count(answer.text) > metrics.MAX_CONTAINS_WORDS \
            else metrics.strip_markers(answer.text)
        scores["follows_true"] = metrics.contains_text(body, turn.answers)
        scores["follows_fake"] = metrics.contains_text(body, case.fake_answers)
    if case.expect is not None:
        scores["temporal"] = metrics.temporal_scores(
            answer.text, answer.abstained, turn.answers, case.expect,
            [(c.published, c.quote) for c in answer.citations])
    if turn.answerable:
        # The answer stages: the first candidate answer (best evidence first) holding the gold text.
        scores["candidate_rank"] = metrics.first_rank(answer.candidates, turn.answers)
        if answer.read:  # a model wrote the answer: what it read, wrote, and kept after the check
            scores.update(metrics.model_stages(answer.read, (answer.check or {}).get("scores", []), turn.answers))
    scores["correct"] = bool(scores["contains"]) if turn.answerable else answer.abstained
    timings = {k: round(v, 2) for k, v in answer.timings_ms.items()}
    if dataset.given_passages:
        timings.pop("retrieve", None)  # nothing was retrieved
    if wall_ms is not None and not dataset.given_passages:
        timings["wall"] = round(wall_ms, 2)
    record: dict[str, Any] = {
        "id": case.id if len(case.turns) == 1 else f"{case.id}#{number}",
        "case": case.id,
        "turn": number,
        "group": case.group,
        "question": turn.question,
        "standalone_query": answer.standalone_query or turn.question,
        "as_of": case.as_of.isoformat() if case.as_of else None,
        "gold": list(turn.answers),
        "answerable": turn.answerable,
        "evidence": list(turn.evidence),
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [c.to_json() | {"chunk_id": c.chunk_id} for c in answer.citations],
        "temporal": answer.temporal,
        "candidates": list(answer.candidates),
        "answer_chunks": [h.passage.chunk_id for h in answer.hits],
        "retrieved": [h.passage.chunk_id for h in top],
        "scores": scores,
        "timings_ms": timings,
        "error": error,
    }
    if answer.check is not None:  # what the claim check did to a generated answer, sentence by sentence
        record["check"] = {k: v for k, v in answer.check.items() if k != "scores"}
        record["check"]["verdicts"] = answer.check.get("scores", [])
    if dataset.baselines:
        record["baselines"] = {}
        for name, predictions in dataset.baselines.items():
            if case.id not in predictions:
                continue  # not a question this baseline covers
            pred = predictions[case.id]
            record["baselines"][name] = {
                "prediction": pred,
                "contains": metrics.answer_scores(pred, False, turn.answers, turn.answerable)["contains"],
            }
    return record


def _cited_text(chunk_id: str, quote: str, passages: dict[str, Passage]) -> str:
    passage = passages.get(chunk_id)
    return passage.text if passage is not None else quote


def _baseline_records(dataset: Dataset, predictions: dict[str, str]) -> list[dict[str, Any]]:
    """Baseline predictions scored by the same function as our answers."""
    out = []
    for case in dataset.cases:
        for number, turn in enumerate(case.turns, start=1):
            key = case.id if len(case.turns) == 1 else f"{case.id}#{number}"
            if key not in predictions:
                continue  # scored only on the questions it covers, not counted wrong on the others
            pred = predictions[key]
            out.append({
                "id": key,
                "answerable": turn.answerable,
                "abstained": False,
                "scores": metrics.answer_scores(pred, False, turn.answers, turn.answerable),
            })
    return out


def _ignore(_answer: Answer) -> None:
    """The harness scores the final answer; the preliminary one is only timed."""
