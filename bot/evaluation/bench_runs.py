"""The benchmark's phases as run in a child process each: `python -m bot.evaluation.bench_runs --worker PHASE SPEC`.

`newsbot bench` (bot/evaluation/bench.py) starts one fresh interpreter per phase, so peak RSS is
that phase's alone; the child prints its result as one JSON line.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import resource
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bot.evaluation.bench_corpus import Pool, Recorder, ReplayEmbedder, load_articles
from bot.settings import Settings


def run_worker(phase: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one phase in this process and return its result, with this process's peak RSS."""
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    handlers = {
        "embed": _w_embed, "ingest": _w_ingest, "build": _w_build, "query": _w_query,
        "recall-build": _w_recall_build, "recall-set-ef": _w_recall_set_ef, "recall-query": _w_recall_query,
    }
    result = handlers[phase](spec)
    result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return result


def _settings(spec: dict[str, Any], **changes: Any) -> Settings:
    settings = Settings.from_env().with_(
        data_dir=Path(spec["data_dir"]) if "data_dir" in spec else Path(".newsbot"),
        embedder=spec.get("embedder") or "minilm",
        chroma_host=spec.get("chroma_host"),
        chroma_port=spec.get("chroma_port"),
    )
    return settings.with_(**changes)


def _w_embed(spec: dict[str, Any]) -> dict[str, Any]:
    """fp32 vs int8 on the same chunk texts: best-of-rounds chunks/s, CPU time, cosine."""
    from bot.chunking import SentenceChunker
    from bot.embed import MiniLMEmbedder
    from bot.embed_onnx import MiniLMInt8Embedder
    from bot.ingest import embed_inputs

    settings = _settings(spec)
    articles = load_articles(Path(spec["dataset"]), spec["n_articles"])
    chunker = SentenceChunker(max_tokens=settings.chunk_tokens, overlap_sentences=settings.chunk_overlap_sentences)

    texts: list[str] = []
    for article in articles:
        pairs = [(article, c) for c in chunker.chunk("bench", article.text)]
        texts.extend(embed_inputs(pairs, chunker.counter))
        if len(texts) >= spec["n_texts"]:
            break
    texts = texts[: spec["n_texts"]]
    fp32 = MiniLMEmbedder()
    int8 = MiniLMInt8Embedder(Path(spec["cache_dir"]))
    t0 = time.perf_counter()
    fp32.warm_up()
    load_fp32 = time.perf_counter() - t0
    t0 = time.perf_counter()
    int8.warm_up()
    load_int8 = time.perf_counter() - t0
    for e in (fp32, int8):
        e.embed(texts[:8])
    timings: dict[str, list[tuple[float, float]]] = {"minilm": [], "minilm-int8": []}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(2):  # interleaved rounds: other load on the machine hits both alike
        for name, e in (("minilm", fp32), ("minilm-int8", int8)):
            w, c = time.perf_counter(), time.process_time()
            vectors[name] = e.embed(texts)
            timings[name].append((time.perf_counter() - w, time.process_time() - c))
    questions = [q for q, _ in spec["questions"]]
    latency = {
        "minilm (2 threads)": _pcts(_each_ms(fp32, questions)),
        # A question is one batch: one single-threaded session embeds it, whatever `threads` is.
        "minilm-int8 (1 thread)": _pcts(_each_ms(int8, questions)),
        "minilm (1 thread)": _pcts(_each_ms(MiniLMEmbedder(threads=1), questions)),  # sets torch to 1 thread
    }
    cos = (vectors["minilm"] * vectors["minilm-int8"]).sum(axis=1)
    counts = chunker.counter.count(texts)
    rows: dict[str, dict[str, Any]] = {}
    for name, runs in timings.items():
        rows[name] = {
            "chunks_per_s_best": len(texts) / min(w for w, _ in runs),
            "chunks_per_s_runs": [len(texts) / w for w, _ in runs],
            "cpu_ms_per_chunk": 1000 * min(c for _, c in runs) / len(texts),
        }
    rows["minilm-int8"]["speedup_best"] = rows["minilm-int8"]["chunks_per_s_best"] / rows["minilm"]["chunks_per_s_best"]
    rows["minilm-int8"]["cpu_ratio"] = rows["minilm"]["cpu_ms_per_chunk"] / rows["minilm-int8"]["cpu_ms_per_chunk"]
    return {
        "texts": len(texts), "wordpieces_mean": float(np.mean(counts)), "wordpieces_max": int(max(counts)),
        "load_s": {"minilm": load_fp32, "minilm-int8 (export if not cached + load)": load_int8},
        "embedders": rows,
        "cosine": {"mean": float(cos.mean()), "min": float(cos.min()), "p01": float(np.percentile(cos, 1))},
        "int8_model": str(int8.model_path),
        "question_ms": latency,
    }


def _each_ms(embedder: Any, texts: list[str]) -> list[float]:
    """Milliseconds to embed each text alone (a question at query time); two warm-up calls first."""
    embedder.embed(texts[:1])
    embedder.embed(texts[1:2])
    out = []
    for text in texts:
        t0 = time.perf_counter()
        embedder.embed([text])
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _w_ingest(spec: dict[str, Any]) -> dict[str, Any]:
    """Ingest the first N articles with one pipeline; then time retrieval and ask on that index."""
    from bot.pipeline import Pipeline, make_embedder

    data_dir = Path(spec["data_dir"])
    if spec.get("fresh"):
        shutil.rmtree(data_dir, ignore_errors=True)
    settings = _settings(spec)
    if settings.embedder == "minilm-int8" and spec.get("cache_dir"):
        _share_int8_model(Path(spec["cache_dir"]), data_dir / "models")
    if spec.get("share_local_model") and spec.get("cache_dir"):
        share_local_model(Path(spec["cache_dir"]), data_dir / "models")
    articles = load_articles(Path(spec["dataset"]), spec["n_articles"])
    embedder = make_embedder(settings)
    t0 = time.perf_counter()
    warm = getattr(embedder, "warm_up", None)
    if callable(warm):
        warm()
    load_s = time.perf_counter() - t0
    out: dict[str, Any] = {"pipeline": spec["pipeline"], "embedder": embedder.name, "model_load_s": load_s}
    if spec["pipeline"] == "naive":
        from bot.evaluation.naive import NaivePipeline

        naive = NaivePipeline(settings, embedder)
        t0 = time.perf_counter()
        naive.ingest_articles(articles)
        seconds = time.perf_counter() - t0
        chunks = naive.count()
        out["ingest_peak_rss_mb"] = _peak_rss_mb()

        def retrieve(q: str, as_of: dt.date | None) -> Any:
            return naive.retrieve(q, k=4)

        def ask(q: str, as_of: dt.date | None) -> Any:
            return naive.ask(q)
    else:
        recorder = Recorder(embedder) if spec.get("record_pool") else None
        pipeline = Pipeline(settings, embedder=recorder or embedder)
        pipeline.chunker.counter.count(["warm up"])
        t0 = time.perf_counter()
        rep = pipeline.ingest_articles(articles, wait=True)
        seconds = time.perf_counter() - t0
        chunks = rep.chunks_embedded
        out["ingest_peak_rss_mb"] = _peak_rss_mb()
        out["report"] = rep.to_json()
        if recorder is not None:
            recorder.save(Path(spec["record_pool"]))

        def retrieve(q: str, as_of: dt.date | None) -> Any:
            return pipeline.retrieve(pipeline.query(q, as_of=as_of))

        def ask(q: str, as_of: dt.date | None) -> Any:
            return pipeline.ask(q, as_of=as_of)
    out.update(articles=len(articles), chunks=chunks, seconds=seconds,
               articles_per_s=len(articles) / seconds, chunks_per_s=chunks / seconds)
    if spec["questions"]:
        out.update(_time_questions(spec["questions"], {"retrieve": retrieve, "ask": ask}))
    return out


def _share_int8_model(cache: Path, models: Path) -> None:
    """Link the int8 model exported once into a fresh data dir, so each run does not export again."""
    from bot.embed_onnx import ensure_int8_model

    model = ensure_int8_model(cache)
    models.mkdir(parents=True, exist_ok=True)
    if not (models / model.name).exists():
        os.link(model, models / model.name)


def share_local_model(cache: Path, models: Path) -> None:
    """Link the local answerer's model, assembled once into the cache, into a fresh data dir (when the
    local model can run here), so a timed `ask` loads it instead of assembling 1.1 GB first."""
    from bot.answer.llm_local import MODEL_FILE, assemble_model, missing_parts

    if missing_parts(cache) is not None:
        return  # not installed: an `ask` with the local answerer says so itself
    model = assemble_model(cache)
    models.mkdir(parents=True, exist_ok=True)
    for name in (MODEL_FILE, f"{MODEL_FILE}.verified"):
        if not (models / name).exists():
            os.link(model.parent / name, models / name)  # the same inode: the stamp's mtime still matches


def _w_build(spec: dict[str, Any]) -> dict[str, Any]:
    """Grow the index to `target` chunks with copies of the pool articles (replayed vectors)."""
    from bot.pipeline import Pipeline

    pool = Pool.load(Path(spec["pool"]))
    settings = _settings(spec)
    replay = ReplayEmbedder(pool, settings.embedder)
    pipeline = Pipeline(settings, embedder=replay)
    state_file = Path(spec["data_dir"]) / "bench-cursor.json"
    cursor = json.loads(state_file.read_text()) if state_file.exists() else {"copy": 0, "article": 0}
    articles = load_articles(Path(spec["dataset"]), spec["n_articles"])
    start_chunks = pipeline.state.counts()["chunks"]
    target = int(spec["target"])

    def copies() -> Iterator[Any]:
        from dataclasses import replace

        since = 0
        while True:
            k = cursor["copy"]
            for i in range(cursor["article"], len(articles)):
                since += 1
                if since >= 16:  # the indexer writes every 64 articles; counting is cheap
                    since = 0
                    if pipeline.state.counts()["chunks"] >= target:
                        return
                a = articles[i]
                cursor["article"] = i + 1
                if k == 0:
                    yield a
                else:
                    yield replace(a, text=f"{a.text}\n\n⟦{k}⟧", title=f"{a.title or ''} ⟦{k}⟧".strip(),
                                  url=f"{a.url}#copy-{k}")
            cursor["copy"], cursor["article"] = k + 1, 0

    t0 = time.perf_counter()
    rep = pipeline.ingest_articles(copies(), wait=True)
    seconds = time.perf_counter() - t0
    state_file.write_text(json.dumps(cursor))
    chunks = pipeline.state.counts()["chunks"]
    return {"chunks": chunks, "added_chunks": chunks - start_chunks, "articles_added": rep.added,
            "seconds": seconds, "chunks_per_s": (chunks - start_chunks) / seconds,
            "copies_reached": cursor["copy"], "replay": replay.stats,
            "shards": len(pipeline.store.shards()), "shard_chunks": pipeline.store.shard_chunks}


def _w_query(spec: dict[str, Any]) -> dict[str, Any]:
    """Retrieval alone (and its parts) and `ask` with the configured answerer, model load excluded."""
    from bot.pipeline import Pipeline

    pipeline = Pipeline(_settings(spec))
    t0 = time.perf_counter()
    pipeline.warm_up()
    warm_s = time.perf_counter() - t0
    stats = pipeline.state.counts()
    flt_cache: dict[str, Any] = {}

    def embed(q: str, as_of: dt.date | None) -> Any:
        flt_cache["v"] = pipeline.embedder.embed([q])[0]

    def dense(q: str, as_of: dt.date | None) -> Any:
        # What the retriever does under a date filter: unfiltered searches over more and more
        # candidates, filtered by the state DB (Chroma's own filter only when almost none pass).
        from bot.store import DenseFilter

        flt = DenseFilter(max_ord=as_of.toordinal() if as_of else None)
        return pipeline.retriever.dense_filtered(flt_cache["v"], pipeline.settings.candidates, flt)

    def dense_chroma_filter(q: str, as_of: dt.date | None) -> Any:
        from bot.store import DenseFilter

        flt = DenseFilter(max_ord=as_of.toordinal() if as_of else None)
        return pipeline.store.search(flt_cache["v"], pipeline.settings.candidates, flt)

    def dense_nofilter(q: str, as_of: dt.date | None) -> Any:
        return pipeline.store.search(flt_cache["v"], pipeline.settings.candidates)

    def bm25(q: str, as_of: dt.date | None) -> Any:
        return pipeline.lexical.search(q, pipeline.settings.candidates * 3)

    def retrieve(q: str, as_of: dt.date | None) -> Any:
        return pipeline.retrieve(pipeline.query(q, as_of=as_of))

    def ask(q: str, as_of: dt.date | None) -> Any:
        return pipeline.ask(q, as_of=as_of)

    timed = _time_questions(spec["questions"], {"embed_query": embed, "dense": dense, "dense_chroma_filter": dense_chroma_filter,
                                                "dense_nofilter": dense_nofilter, "bm25": bm25,
                                                "retrieve": retrieve, "ask": ask})
    return {"chunks": stats["chunks"], "articles": stats["articles"], "warm_up_s": warm_s, **timed}


def _w_recall_build(spec: dict[str, Any]) -> dict[str, Any]:
    """Add n pool-derived vectors to a bare collection with the given HNSW build settings."""
    import bot.store as store_mod
    from bot.pipeline import make_embedder

    data_dir = Path(spec["data_dir"])
    settings = _settings(spec)
    questions = make_embedder(settings).embed([q for q, _ in spec["questions"]])
    data_dir.mkdir(parents=True, exist_ok=True)
    np.save(data_dir / "questions.npy", questions)
    vectors = Pool.load(Path(spec["pool"])).expand(int(spec["n"]))
    store_mod.HNSW = {**store_mod.HNSW, "max_neighbors": spec["m"], "ef_construction": spec["ef_construction"],
                      "ef_search": spec["ef_search"]}
    store = store_mod.ChromaStore(settings, "recall", vectors.shape[1])
    t0 = time.perf_counter()
    step = 4096
    for i in range(0, len(vectors), step):
        ids = [str(j) for j in range(i, min(i + step, len(vectors)))]
        store.add(ids, vectors[i : i + step], ["-"] * len(ids), [{"doc_id": "d"}] * len(ids))
    seconds = time.perf_counter() - t0
    return {"n": len(vectors), "seconds": seconds, "vectors_per_s": len(vectors) / seconds, "count": store.count()}


def _w_recall_set_ef(spec: dict[str, Any]) -> dict[str, Any]:
    """Change ef_search of the recall collection (takes effect when a new process opens it)."""
    from bot.store import ChromaStore, retried

    col = ChromaStore(_settings(spec), "recall", 384)._col()  # bench-only peek
    # SQLite answers "database is locked" at once, without waiting, when this write would deadlock
    # with a transaction Chroma's own background work holds open; the remedy is to retry.
    retried(lambda: col.modify(configuration={"hnsw": {"ef_search": int(spec["ef_search"])}}), attempts=8,
            delay_s=0.1, transient=lambda exc: "database is locked" in str(exc))
    return {"ef_search": spec["ef_search"]}


def _w_recall_query(spec: dict[str, Any]) -> dict[str, Any]:
    """recall@10 of Chroma's HNSW against exact (brute-force) cosine search, and search latency."""
    from bot.store import ChromaStore

    data_dir = Path(spec["data_dir"])
    questions = np.load(data_dir / "questions.npy")
    vectors = Pool.load(Path(spec["pool"])).expand(int(spec["n"]))
    store = ChromaStore(_settings(spec), "recall", vectors.shape[1])
    config = store._col().configuration.get("hnsw") or {}  # bench-only peek: confirm the settings in force
    store.search(questions[0], 10)
    recalls, in40, times = [], [], []
    for q in questions:
        exact = set(np.argsort(-(vectors @ q))[:10].tolist())
        t0 = time.perf_counter()
        found = store.search(q, 10)
        times.append((time.perf_counter() - t0) * 1000)
        recalls.append(len(exact & {int(i) for i, _ in found}) / 10)
        wide = store.search(q, 40)
        in40.append(len(exact & {int(i) for i, _ in wide}) / 10)
    return {"recall_at_10": float(np.mean(recalls)), "recall_at_10_min": float(np.min(recalls)),
            "exact10_in_top40": float(np.mean(in40)), "search_ms": _pcts(times),
            "config_in_force": {k: config.get(k) for k in ("space", "ef_construction", "ef_search", "max_neighbors")}}


def _time_questions(questions: list[list[str]], steps: dict[str, Any]) -> dict[str, Any]:
    """Time each step over the questions (the first three are warm-up, not counted)."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    for n, (q, day) in enumerate(questions):
        as_of = dt.date.fromisoformat(day) if day else None
        for name, step in steps.items():
            t0 = time.perf_counter()
            step(q, as_of)
            if n >= 3 or len(questions) <= 3:
                times[name].append((time.perf_counter() - t0) * 1000)
    return {f"{name}_ms": _pcts(v) for name, v in times.items()}


def _pcts(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]

    return {"n": len(values), "p50": rank(50), "p95": rank(95), "mean": sum(values) / len(values), "max": ordered[-1]}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        print(json.dumps(run_worker(sys.argv[2], json.loads(sys.argv[3])), default=float))
    else:
        raise SystemExit("usage: python -m bot.evaluation.bench_runs --worker PHASE SPEC_JSON (newsbot bench runs it)")
