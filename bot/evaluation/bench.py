"""`newsbot bench`: ingest throughput and memory, query latency by corpus size, Chroma server, HNSW recall.

One run measures, each step in a child process of its own (so peak RSS is per step and one step's
memory never counts against another):

- embed:  fp32 MiniLM (torch) vs the int8 ONNX export on the same chunks: chunks/s, cosine;
- ingest: our pipeline vs the naive LangChain pipeline on the same articles: articles/s, chunks/s,
          peak RSS, and query latency on the index each built;
- sizes:  one index grown through our real ingest code to each corpus size, then retrieval and
          `ask` latency p50/p95 at that size (optionally the same against a `chroma run` server);
- recall: HNSW recall@10 against exact search, for several HNSW settings.

Corpus: the pooled articles of a RealTime QA folder (passed as an argument, never a repository
file). The first N (seeded shuffle) are ingested for real; their chunk vectors form the pool. Larger
sizes re-ingest those articles as copies with varied urls; a copy's chunk vectors are the real
vector of the same chunk plus Gaussian noise (cosine about 0.89 to it), renormalised, because
embedding a million chunks is not feasible on two cores. The report says so, with the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import StoreError
from bot.settings import Settings

DEFAULT_OUT = Path("evals/reports/bench")
DEFAULT_WORK = Path("evals/reports/tmp/bench")
# A copy's vector: its chunk's real vector + COPY_MIX x another real pool vector + Gaussian noise of norm
# COPY_SIGMA, renormalised (cosine ~0.85 to the original). Noise alone would make tight clusters of
# near-ties that split the HNSW graph into islands; mixing spreads copies over the real vectors' span.
COPY_MIX = 0.6
COPY_SIGMA = 0.4
COPY_MARK = re.compile(r"\s*⟦(\d+)⟧")
SEED = 20221230


# --- command line ------------------------------------------------------------------------------


def register_cli(subparsers: Any) -> None:
    """Add the `bench` command."""
    p = subparsers.add_parser("bench", help="measure ingest, query latency by corpus size, Chroma server, HNSW recall")
    add_arguments(p)
    p.set_defaults(handler=cmd_bench)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The benchmark's options (shared by `newsbot bench` and evals/bench.py)."""
    p.add_argument("dataset", type=Path, help="a RealTime QA folder (questions/, articles/), e.g. ../shared/evaldata/realtimeqa-2022")
    p.add_argument("--quick", action="store_true", help="small sizes and counts: a few minutes")
    p.add_argument("--sizes", help="corpus sizes in chunks, comma separated (default 10000,100000; quick 2000)")
    p.add_argument("--articles", type=int, help="articles ingested for real by both pipelines (default 150; quick 12)")
    p.add_argument("--questions", type=int, help="questions timed at each size (default 100; quick 12)")
    p.add_argument("--embed-texts", type=int, help="chunks embedded by fp32 and int8 (default 600; quick 100)")
    p.add_argument("--server-size", type=int, help="also build and query this size through `chroma run` (default: the smallest size; 0: skip)")
    p.add_argument("--recall-size", type=int, help="vectors for the HNSW recall test (default 100000; quick 10000; 0: skip)")
    p.add_argument("--hnsw", help="HNSW builds to compare as M:ef_construction,... (default 16:100,16:200,32:200; quick: the store's)")
    p.add_argument("--ef-search", help="ef_search values tried on each build (default 32,64,128,256; quick: the store's)")
    p.add_argument("--ingest-embedders", help="embedders our pipeline ingests with (default: the configured one and minilm-int8)")
    p.add_argument("--skip", default="", help="phases to skip: embed,ingest,sizes,server,recall")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"report folder (default {DEFAULT_OUT})")
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORK, help=f"indexes and caches (default {DEFAULT_WORK}, git-ignored)")
    p.add_argument("--build-step", type=int, default=100000,
                   help="grow the size index by syncs of at most this many chunks, each a fresh process (default 100000)")
    p.add_argument("--rebuild", action="store_true", help="rebuild size indexes even when a matching one exists")
    p.add_argument("--resume", action="store_true",
                   help="reuse the phases an earlier run wrote to --out: all of them when the options are the same "
                        "(an interrupted run), else the skipped phases and the sizes not measured again")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of evals/bench.py (the same as `newsbot bench`)."""
    parser = argparse.ArgumentParser(prog="evals/bench.py", description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    return cmd_bench(args, Settings.from_env())


def _ints(text: str | None, default: list[int]) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()] if text else default


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """Run the benchmark and write report.json, report.md and latency.png."""
    quick = bool(args.quick)
    store_hnsw = _store_hnsw()
    plan: dict[str, Any] = {
        "sizes": sorted(set(_ints(args.sizes, [2000] if quick else [10000, 100000]))),
        "articles": args.articles or (12 if quick else 150),
        "questions": args.questions or (12 if quick else 100),
        "embed_texts": args.embed_texts or (100 if quick else 600),
        "recall_size": (10000 if quick else 100000) if args.recall_size is None else args.recall_size,
        "hnsw": [tuple(int(v) for v in c.split(":")) for c in args.hnsw.split(",")] if args.hnsw else (
            [(store_hnsw["max_neighbors"], store_hnsw["ef_construction"])] if quick else [(16, 100), (16, 200), (32, 200)]
        ),
        "ef_search": _ints(args.ef_search, [store_hnsw["ef_search"]] if quick else [32, 64, 128, 256]),
        "embedder": settings.embedder,
    }
    plan["server_size"] = plan["sizes"][0] if args.server_size is None else args.server_size
    plan["build_step"] = args.build_step
    embedders = args.ingest_embedders.split(",") if args.ingest_embedders else list(
        dict.fromkeys([settings.embedder, "minilm-int8"])
    )
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    work: Path = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    dataset = args.dataset.resolve()
    base = {"dataset": str(dataset), "n_articles": plan["articles"], "embedder": settings.embedder}
    questions = _questions(dataset, plan["questions"])
    corpus_key = _corpus_key(dataset, plan["articles"], settings)
    pool_file = work / f"pool-{settings.embedder}-{corpus_key}.npz"
    report: dict[str, Any] = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": _machine(),
        "plan": {**plan, "hnsw": [list(c) for c in plan["hnsw"]], "ingest_embedders": embedders},
        "store_hnsw": store_hnsw,
    }

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    previous = _previous(out / "report.json") if args.resume else {}
    same_plan = previous.get("plan") == json.loads(json.dumps(report["plan"]))
    report["carried"] = {}

    def phase(name: str, run: Any) -> None:
        """Run a phase, or take it from the earlier run being resumed; save the report so far."""
        if name in previous and (name in skip or same_plan):
            report[name] = previous[name]
            report["carried"][name] = previous.get("started")
        elif name not in skip:
            report[name] = run()
            if name == "sizes" and previous.get("sizes"):  # keep sizes the earlier run measured, this one did not
                again = {r["size"] for r in report[name]}
                report[name] = sorted([r for r in previous["sizes"] if r["size"] not in again] + report[name],
                                      key=lambda r: r["size"])
                report["carried"][name] = previous.get("started")
        _write(report, out, final=False)

    phase("embed", lambda: _child("embed", {**base, "n_texts": plan["embed_texts"], "questions": questions,
                                            "cache_dir": str(work / "models")}))
    phase("ingest", lambda: _ingest(embedders, base, work, pool_file, questions, settings))
    need_pool = ("sizes" not in skip and plan["sizes"]) or ("recall" not in skip and plan["recall_size"])
    if need_pool and not pool_file.exists():
        _child("ingest", {**base, "pipeline": "ours", "record_pool": str(pool_file), "questions": [],
                          "cache_dir": str(work / "models"),
                          "data_dir": str(work / f"ingest-ours-{settings.embedder}"), "fresh": True})
    if need_pool:
        report["corpus"] = _corpus_note(pool_file, plan)
    if plan["sizes"]:
        phase("sizes", lambda: _sizes(plan, base, work, pool_file, corpus_key, questions, bool(args.rebuild)))
    if plan["server_size"]:
        phase("server", lambda: _server(plan, base, work, pool_file, questions, report.get("sizes") or []))
    if plan["recall_size"]:
        phase("recall", lambda: _recall(plan, base, work, pool_file, questions, settings))
    report["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    report["load_after"] = os.getloadavg()
    _write(report, out, final=True)
    return 0


def _previous(path: Path) -> dict[str, Any]:
    """The report an earlier (perhaps interrupted) run wrote to the same folder."""
    if not path.exists():
        return {}
    old: dict[str, Any] = json.loads(path.read_text())
    return old


def _write(report: dict[str, Any], out: Path, final: bool) -> None:
    """report.json (after every phase), and report.md and latency.png at the end."""
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    if not final:
        return
    markdown = render_markdown(report)
    (out / "report.md").write_text(markdown)
    if report.get("sizes"):
        _chart(report, out / "latency.png")
    print(markdown)
    print(f"wrote {out}/report.json, report.md" + (", latency.png" if report.get("sizes") else ""), file=sys.stderr)


# --- phases run by the parent --------------------------------------------------------------------


def _ingest(embedders: list[str], base: dict[str, Any], work: Path, pool_file: Path,
            questions: list[list[str]], settings: Settings) -> list[dict[str, Any]]:
    """The naive pipeline (fp32, as a user would build it), then ours with each embedder."""
    runs = [_child("ingest", {**base, "pipeline": "naive", "embedder": "minilm",
                              "data_dir": str(work / "ingest-naive"), "questions": questions, "fresh": True})]
    for name in embedders:
        record = str(pool_file) if name == settings.embedder else None
        runs.append(_child("ingest", {**base, "pipeline": "ours", "embedder": name, "record_pool": record,
                                      "cache_dir": str(work / "models"), "questions": questions,
                                      "data_dir": str(work / f"ingest-ours-{name}"), "fresh": True}))
    naive = runs[0]
    for run in runs:
        run["x_naive_articles_per_s"] = run["articles_per_s"] / naive["articles_per_s"]
        run["x_naive_chunks_per_s"] = run["chunks_per_s"] / naive["chunks_per_s"]
        run["x_naive_retrieve_p95"] = run["retrieve_ms"]["p95"] / naive["retrieve_ms"]["p95"]
    # The configured (default) pipeline is reported first, the naive yardstick last.
    ours = sorted(runs[1:], key=lambda r: r["embedder"] != settings.embedder)
    return ours + [naive]


def _sizes(plan: dict[str, Any], base: dict[str, Any], work: Path, pool_file: Path, corpus_key: str,
           questions: list[list[str]], rebuild: bool) -> list[dict[str, Any]]:
    """Grow one index through each size; query it at each."""
    data_dir = work / f"sizes-{plan['embedder']}-{corpus_key}"
    marker = data_dir / "bench-built.json"
    built = json.loads(marker.read_text()) if marker.exists() and not rebuild else None
    if built is not None and built["chunks"] > plan["sizes"][0] * 1.1:
        built = None  # larger than the first size asked for: start again
    if built is None:
        shutil.rmtree(data_dir, ignore_errors=True)
    rows = []
    chunks = 0 if built is None else int(built["chunks"])
    for size in plan["sizes"]:
        steps = []
        while chunks < size:  # ingest in syncs of at most build_step chunks, each in a fresh process
            target = min(size, chunks + plan["build_step"])
            steps.append(_child("build", {**base, "data_dir": str(data_dir), "pool": str(pool_file), "target": target}))
            chunks = steps[-1]["chunks"]
            marker.write_text(json.dumps({"chunks": chunks}))
        if steps:
            added = sum(s["added_chunks"] for s in steps)
            build = {"chunks": chunks, "added_chunks": added, "seconds": sum(s["seconds"] for s in steps),
                     "chunks_per_s": added / sum(s["seconds"] for s in steps),
                     "peak_rss_mb": max(s["peak_rss_mb"] for s in steps), "steps": steps}
        else:  # an earlier run built this size (within the indexer's batch overshoot): query it again
            build = {"chunks": chunks, "reused": True}
        query = _child("query", {**base, "data_dir": str(data_dir), "questions": questions})
        rows.append({"size": size, "store": "embedded", "build": build, **query})
    return rows


def _server(plan: dict[str, Any], base: dict[str, Any], work: Path, pool_file: Path,
            questions: list[list[str]], sizes: list[dict[str, Any]]) -> dict[str, Any]:
    """Build the server size from scratch through a `chroma run` server and query it; same embedded."""
    size = plan["server_size"]
    result: dict[str, Any] = {"size": size}
    same = [r for r in sizes if r["size"] == size and not r["build"].get("reused") and r["build"]["added_chunks"] == r["chunks"]]
    if same:  # the size run built exactly this from scratch: its numbers are the embedded side
        result["embedded"] = same[0]
    for mode in ("embedded", "server"):
        if mode in result:
            continue
        data_dir = work / f"server-{mode}-{size}"
        shutil.rmtree(data_dir, ignore_errors=True)
        spec = {**base, "data_dir": str(data_dir), "pool": str(pool_file), "target": size}
        with contextlib.ExitStack() as stack:
            if mode == "server":
                host, port = stack.enter_context(chroma_server(data_dir / "chroma-server", work / "chroma-server.log"))
                spec.update(chroma_host=host, chroma_port=port)
            build = _child("build", spec)
            query = _child("query", {**spec, "questions": questions})
        result[mode] = {"build": build, **query}
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def _recall(plan: dict[str, Any], base: dict[str, Any], work: Path, pool_file: Path,
            questions: list[list[str]], settings: Settings) -> list[dict[str, Any]]:
    """For each HNSW build: recall@10 against exact search, and query latency, per ef_search."""
    rows = []
    for m, efc in plan["hnsw"]:
        data_dir = work / f"recall-M{m}-efc{efc}"
        shutil.rmtree(data_dir, ignore_errors=True)
        spec = {**base, "data_dir": str(data_dir), "pool": str(pool_file), "n": plan["recall_size"],
                "questions": questions, "m": m, "ef_construction": efc, "ef_search": plan["ef_search"][0]}
        build = _child("recall-build", spec)
        for ef in plan["ef_search"]:
            _child("recall-set-ef", {**spec, "ef_search": ef})
            query = _child("recall-query", {**spec, "ef_search": ef})
            rows.append({"m": m, "ef_construction": efc, "ef_search": ef, "build_s": build["seconds"],
                         "build_vectors_per_s": build["vectors_per_s"], "n": plan["recall_size"], **query})
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def _child(phase: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its last stdout line is the JSON result."""
    print(f"bench: {phase} {_brief(spec)}", file=sys.stderr, flush=True)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.run([sys.executable, "-m", "bot.evaluation.bench", "--worker", phase, json.dumps(spec)],
                          stdout=subprocess.PIPE, text=True, env=env, check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"bench: phase {phase} failed (exit {proc.returncode}); see the messages above")
    result: dict[str, Any] = json.loads(lines[-1])
    result["wall_s"] = round(time.perf_counter() - t0, 2)
    result["load_before"] = round(load, 2)
    print(f"bench: {phase} done in {result['wall_s']:.0f}s", file=sys.stderr, flush=True)
    return result


def _brief(spec: dict[str, Any]) -> str:
    keep = ("pipeline", "embedder", "target", "n", "m", "ef_construction", "ef_search", "chroma_port", "n_texts")
    return " ".join(f"{k}={spec[k]}" for k in keep if spec.get(k) is not None)


@contextlib.contextmanager
def chroma_server(path: Path, log_file: Path) -> Iterator[tuple[str, int]]:
    """A `chroma run` server on 127.0.0.1 and a free port, stopped on exit (the bench and the tests use it)."""
    exe = Path(sys.executable).with_name("chroma")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    path.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen([str(exe if exe.exists() else "chroma"), "run", "--path", str(path),
                                 "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=log,
                                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise StoreError(f"`chroma run` did not start within 60 s; see {log_file}") from None
                time.sleep(0.3)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- workers (child processes) -------------------------------------------------------------------


def _worker(phase: str, spec: dict[str, Any]) -> dict[str, Any]:
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
    articles = _articles(Path(spec["dataset"]), spec["n_articles"])
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
        "minilm-int8 (2 threads)": _pcts(_each_ms(int8, questions)),
        "minilm-int8 (1 thread)": _pcts(_each_ms(MiniLMInt8Embedder(Path(spec["cache_dir"]), threads=1), questions)),
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
    articles = _articles(Path(spec["dataset"]), spec["n_articles"])
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
        recorder = _Recorder(embedder) if spec.get("record_pool") else None
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


def _w_build(spec: dict[str, Any]) -> dict[str, Any]:
    """Grow the index to `target` chunks with copies of the pool articles (replayed vectors)."""
    from bot.pipeline import Pipeline

    pool = _Pool.load(Path(spec["pool"]))
    settings = _settings(spec)
    replay = _ReplayEmbedder(pool, settings.embedder)
    pipeline = Pipeline(settings, embedder=replay)
    state_file = Path(spec["data_dir"]) / "bench-cursor.json"
    cursor = json.loads(state_file.read_text()) if state_file.exists() else {"copy": 0, "article": 0}
    articles = _articles(Path(spec["dataset"]), spec["n_articles"])
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
    vectors = _Pool.load(Path(spec["pool"])).expand(int(spec["n"]))
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
    from bot.store import ChromaStore

    store = ChromaStore(_settings(spec), "recall", 384)
    store._col().modify(configuration={"hnsw": {"ef_search": int(spec["ef_search"])}})  # bench-only peek
    return {"ef_search": spec["ef_search"]}


def _w_recall_query(spec: dict[str, Any]) -> dict[str, Any]:
    """recall@10 of Chroma's HNSW against exact (brute-force) cosine search, and search latency."""
    from bot.store import ChromaStore

    data_dir = Path(spec["data_dir"])
    questions = np.load(data_dir / "questions.npy")
    vectors = _Pool.load(Path(spec["pool"])).expand(int(spec["n"]))
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


# --- corpus ------------------------------------------------------------------------------------


def _articles(dataset: Path, n: int) -> list[Any]:
    """The first n pooled RealTime QA articles, in a seeded shuffle of url order."""
    from bot.evaluation.datasets import load_realtimeqa

    pooled = sorted(load_realtimeqa(dataset).articles(), key=lambda a: a.url or "")
    random.Random(SEED).shuffle(pooled)
    return pooled[:n]


def _questions(dataset: Path, n: int) -> list[list[str]]:
    """n RealTime QA questions (seeded sample) with their question dates."""
    from bot.evaluation.datasets import load_realtimeqa

    cases = load_realtimeqa(dataset).cases
    random.Random(SEED).shuffle(cases)
    return [[c.question, c.as_of.isoformat() if c.as_of else ""] for c in cases[:n]]


def _corpus_key(dataset: Path, n: int, settings: Settings) -> str:
    from bot.evaluation.datasets import load_realtimeqa

    digest = hashlib.sha256(load_realtimeqa(dataset).corpus_hash().encode())
    digest.update(f"{n}:{settings.chunk_tokens}:{settings.chunk_overlap_sentences}:{SEED}".encode())
    return digest.hexdigest()[:10]


class _Pool:
    """Real (text, vector) pairs recorded while our pipeline ingested the first N articles."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        self.texts = texts
        self.vectors = vectors
        self.index = {t: i for i, t in enumerate(texts)}

    @classmethod
    def load(cls, path: Path) -> _Pool:
        data = np.load(path, allow_pickle=False)
        return cls([str(t) for t in data["texts"]], data["vectors"].astype(np.float32))

    def expand(self, n: int) -> np.ndarray:
        """n vectors: the pool, then copies of it made as the replay embedder makes them."""
        rng = np.random.default_rng(SEED)
        p, dim = self.vectors.shape
        reps = math.ceil(n / p)
        out = np.tile(self.vectors, (reps, 1))[:n].copy()
        extra = n - min(n, p)
        if extra:
            out[p:] = copy_vectors(out[p:], self.vectors[rng.integers(0, p, extra)], rng)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


def copy_vectors(own: np.ndarray, other: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Copies' vectors: own + COPY_MIX * other + noise of norm ~COPY_SIGMA, unit length."""
    noise = rng.standard_normal(own.shape).astype(np.float32) / math.sqrt(own.shape[1])
    out = own + COPY_MIX * other + COPY_SIGMA * noise
    unit: np.ndarray = (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)
    return unit


class _Recorder:
    """Wraps the real embedder and keeps what it embedded (the pool of real vectors)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.texts: list[str] = []
        self.parts: list[np.ndarray] = []

    def warm_up(self) -> None:
        warm = getattr(self.inner, "warm_up", None)
        if callable(warm):
            warm()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors: np.ndarray = self.inner.embed(texts)
        self.texts.extend(texts)
        self.parts.append(vectors)
        return vectors

    def save(self, path: Path) -> None:
        vectors = np.concatenate(self.parts) if self.parts else np.zeros((0, self.dim), np.float32)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.array(self.texts, dtype=str), vectors=vectors.astype(np.float32))
        os.replace(tmp, path)


class _ReplayEmbedder:
    """Vectors for copies of pool articles: the real vector of the same chunk, plus noise for copies."""

    def __init__(self, pool: _Pool, name: str) -> None:
        self.pool = pool
        self.name = name  # the collection is named after the embedder whose vectors these are
        self.dim = pool.vectors.shape[1]
        self.stats = {"exact": 0, "perturbed": 0, "unmatched": 0}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        seed = int.from_bytes(hashlib.blake2b((texts[0] if texts else "").encode(), digest_size=8).digest(), "little")
        rng = np.random.default_rng(seed)
        for i, text in enumerate(texts):
            copy = COPY_MARK.search(text) is not None
            key = COPY_MARK.sub("", re.sub(r"^⟦\d+⟧\.\s*", "", text))
            j = self.pool.index.get(key)
            if j is None:  # the copy mark changed the chunking here: any pool vector will do
                self.stats["unmatched"] += 1
                j = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") % len(self.pool.texts)
                copy = True
            v = self.pool.vectors[j : j + 1]
            if copy:
                other = self.pool.vectors[rng.integers(0, len(self.pool.texts), 1)]
                v = copy_vectors(v, other, rng)
                self.stats["perturbed"] += 1
            else:
                self.stats["exact"] += 1
            out[i] = v[0] / np.linalg.norm(v[0])
        return out


def _corpus_note(pool_file: Path, plan: dict[str, Any]) -> dict[str, Any]:
    pool = _Pool.load(pool_file)
    n = len(pool.texts)
    expanded = pool.expand(min(4 * n, n + 20000))
    cos_orig = float((expanded[n:] * np.tile(pool.vectors, (4, 1))[: len(expanded) - n]).sum(axis=1).mean())
    return {
        "pool_articles": plan["articles"],
        "pool_chunks": n,
        "how": (
            f"The first {plan['articles']} pooled RealTime QA 2022 articles (unique by url; seeded shuffle "
            f"{SEED} of url order) were ingested by our real pipeline with the {plan['embedder']} embedder, "
            f"giving {n} chunks with real vectors (copy 0). Larger corpora re-ingest the same articles through "
            "the same real ingest code (chunker, state DB, Chroma, BM25) as copies k=1,2,... with url "
            "'<url>#copy-k', the title suffixed ' ⟦k⟧' and a final paragraph '⟦k⟧' (so each copy is a distinct "
            "document); each copy chunk's vector is the real vector of the same chunk plus "
            f"{COPY_MIX} x the real vector of a random pool chunk plus Gaussian noise of norm ~{COPY_SIGMA}, "
            f"renormalised (cosine to the original {cos_orig:.2f} on average), because embedding a million "
            "chunks is not feasible on two cores. Questions are real RealTime QA questions embedded by the "
            "real model, asked as of their question date. The recall test adds the pool vectors and copies "
            "made the same way to a bare collection and compares Chroma's top 10 with the exact cosine top 10 "
            "for the same questions."
        ),
    }


# --- helpers -----------------------------------------------------------------------------------


def _pcts(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]

    return {"n": len(values), "p50": rank(50), "p95": rank(95), "mean": sum(values) / len(values), "max": ordered[-1]}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _store_hnsw() -> dict[str, Any]:
    from bot.store import HNSW

    return dict(HNSW)


def _machine() -> dict[str, Any]:
    versions = {}
    for pkg in ("chromadb", "onnxruntime", "torch", "sentence-transformers", "langchain-chroma", "bm25s"):
        try:
            from importlib.metadata import version

            versions[pkg] = version(pkg)
        except Exception:  # noqa: BLE001 - a missing package is just not listed
            continue
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "load_before": os.getloadavg(), "versions": versions}


# --- report ------------------------------------------------------------------------------------


def _ms(d: dict[str, Any] | None) -> str:
    if not d or not d.get("n"):
        return "-"
    return f"{d['p50']:.0f} / {d['p95']:.0f}"


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown tables."""
    m = report["machine"]
    lines = [
        "# newsbot benchmark",
        "",
        f"{report['started']} to {report.get('finished', '?')}; {m['cpus']} CPUs; load average before "
        f"{m['load_before'][0]:.1f}, after {report.get('load_after', [0])[0]:.1f} (other work shares this machine: "
        "absolute numbers vary, ratios are measured in the same run); "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "",
    ]
    if "embed" in report:
        e = report["embed"]
        lines += [
            f"## Embedders ({e['texts']} chunks, {e['wordpieces_mean']:.0f} wordpieces on average, 2 threads)",
            "",
            "| embedder | chunks/s (best of 2) | CPU ms/chunk | speed-up | cosine vs fp32 mean / min |",
            "|---|---|---|---|---|",
        ]
        for name, row in e["embedders"].items():
            speed = f"{row['speedup_best']:.2f}x (CPU {row['cpu_ratio']:.2f}x)" if "speedup_best" in row else "1.00x"
            cos = f"{e['cosine']['mean']:.4f} / {e['cosine']['min']:.4f}" if name != "minilm" else "1"
            lines.append(f"| {name} | {row['chunks_per_s_best']:.1f} | {row['cpu_ms_per_chunk']:.1f} | {speed} | {cos} |")
        lines += ["", "Embedding one question (ms, p50 / p95):", "", "| embedder | p50 / p95 |", "|---|---|"]
        lines += [f"| {name} | {_ms(v)} |" for name, v in e.get("question_ms", {}).items()]
        lines.append("")
    if "ingest" in report:
        lines += [
            "## Ingest, same articles (model load excluded; peak RSS of the ingesting process)",
            "",
            "| pipeline | embedder | articles | chunks | s | articles/s | chunks/s | x naive articles/s | peak RSS MB | retrieve p50 / p95 ms | ask p50 / p95 ms |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in report["ingest"]:
            lines.append(
                f"| {r['pipeline']} | {r['embedder']} | {r['articles']} | {r['chunks']} | {r['seconds']:.1f} | "
                f"{r['articles_per_s']:.2f} | {r['chunks_per_s']:.1f} | {r['x_naive_articles_per_s']:.2f}x | "
                f"{r['ingest_peak_rss_mb']:.0f} | {_ms(r.get('retrieve_ms'))} | {_ms(r.get('ask_ms'))} |"
            )
        lines.append("")
    if "corpus" in report:
        lines += ["## How the corpus was built", "", report["corpus"]["how"], ""]
    if report.get("sizes"):
        lines += [
            "## Query latency by corpus size (ms, p50 / p95; retrieve = query embedding + dense + BM25 + fusion)",
            "",
            "| chunks | build chunks/s | build peak RSS MB | questions | embed query | dense, date filter (as retrieval does it) | dense, Chroma's own date filter | dense, no filter | BM25 | retrieve | ask | query RSS MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in report["sizes"]:
            b = r["build"]
            rate = "reused" if b.get("reused") else f"{b['chunks_per_s']:.0f}"
            rss = "-" if b.get("reused") else f"{b['peak_rss_mb']:.0f}"
            lines.append(
                f"| {r['chunks']} | {rate} | {rss} | {r['retrieve_ms']['n']} | {_ms(r['embed_query_ms'])} | {_ms(r['dense_ms'])} | {_ms(r.get('dense_chroma_filter_ms'))} | {_ms(r.get('dense_nofilter_ms'))} | "
                f"{_ms(r['bm25_ms'])} | {_ms(r['retrieve_ms'])} | {_ms(r['ask_ms'])} | {r['peak_rss_mb']:.0f} |"
            )
        lines.append("")
        steps = [(r["chunks"], st) for r in report["sizes"] for st in r["build"].get("steps", [])]
        if steps:
            lines += [
                "## Build steps (each a fresh ingest process; peak RSS is that process's; vectors are replayed, so no model is loaded: add the embedder's own memory, see the ingest table)",
                "",
                "| chunks after | chunks added | s | chunks/s | Chroma shards | peak RSS MB |",
                "|---|---|---|---|---|---|",
            ]
            lines += [f"| {st['chunks']} | {st['added_chunks']} | {st['seconds']:.0f} | {st['chunks_per_s']:.0f} | "
                      f"{st.get('shards', '-')} | {st['peak_rss_mb']:.0f} |" for _, st in steps]
            lines.append("")
    if "server" in report:
        s = report["server"]
        lines += [
            f"## Embedded Chroma vs `chroma run` server on 127.0.0.1 ({s['size']} chunks, each built from scratch)",
            "",
            "| store | build chunks/s | dense p50 / p95 | retrieve p50 / p95 | ask p50 / p95 |",
            "|---|---|---|---|---|",
        ]
        for mode in ("embedded", "server"):
            r = s[mode]
            lines.append(f"| {mode} | {r['build']['chunks_per_s']:.0f} | {_ms(r['dense_ms'])} | "
                         f"{_ms(r['retrieve_ms'])} | {_ms(r['ask_ms'])} |")
        lines.append("")
    if report.get("recall"):
        n = report["recall"][0]["n"]
        lines += [
            f"## HNSW recall@10 against exact search ({n} vectors, {report['recall'][0]['search_ms']['n'] + 1} questions)",
            "",
            "| M | ef_construction | ef_search | build vectors/s | recall@10 | worst question | search p50 / p95 ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in report["recall"]:
            lines.append(
                f"| {r['m']} | {r['ef_construction']} | {r['ef_search']} | {r['build_vectors_per_s']:.0f} | "
                f"{r['recall_at_10']:.3f} | {r['recall_at_10_min']:.1f} | {_ms(r['search_ms'])} |"
            )
        lines.append("")
    return "\n".join(lines)


def _chart(report: dict[str, Any], path: Path) -> None:
    """Latency (p50 and p95) against corpus size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["sizes"]
    sizes = [r["chunks"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, label, color in (("dense_ms", "dense", "tab:blue"), ("retrieve_ms", "retrieve", "tab:green"),
                              ("ask_ms", "ask", "tab:red")):
        ax.plot(sizes, [r[key]["p50"] for r in rows], "o-", color=color, label=f"{label} p50")
        ax.plot(sizes, [r[key]["p95"] for r in rows], "s--", color=color, label=f"{label} p95")
    if len(sizes) > 1:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("corpus size (chunks)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("newsbot query latency by corpus size")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        print(json.dumps(_worker(sys.argv[2], json.loads(sys.argv[3])), default=float))
    else:
        raise SystemExit(main())
