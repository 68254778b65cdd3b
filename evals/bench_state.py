"""The state database on SQLite against PostgreSQL, in one run: ingest and ask latency, Slack's store, and
the time a fresh host takes to build its BM25 cache from the database.

    .venv/bin/python evals/bench_state.py [--database-url postgresql://...] [--articles 300] [--questions 60]
        [--bm25-chunks 20000,50000] [--out evals/reports/bench-state/report.json]

Without --database-url a throwaway PostgreSQL server is started with Debian's initdb/pg_ctl
(tests/postgres_server.py), on this machine: the figures are the database's cost without a network
hop. Embeddings are the deterministic hash embedder and Chroma is embedded, the same for both
backends, so the difference between the columns is the state database's.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bot.chunking import document_id  # noqa: E402
from bot.conversation import Conversation, SessionStore, Turn  # noqa: E402
from bot.embed import HashEmbedder  # noqa: E402
from bot.lexical import Bm25Index  # noqa: E402
from bot.pipeline import Pipeline  # noqa: E402
from bot.schema import Article, Chunk  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.state import SlackState  # noqa: E402
from bot.state import StateDB  # noqa: E402

WORDS = ("harbour council budget river transit school energy market police court museum farm storm bridge "
         "election vaccine factory tariff festival railway drought satellite union minister strike bank").split()


def text_of(n: int, sentences: int = 40) -> str:
    rng = random.Random(n)
    return " ".join(
        f"Story q{n} line {i}: the {rng.choice(WORDS)} report on the {rng.choice(WORDS)} counted {rng.randint(1, 9999)} cases."
        for i in range(sentences))


def write_corpus(folder: Path, n: int, start: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        (folder / f"a{i:05d}.md").write_text(
            f"---\ntitle: Story {i}\nsource: Wire\npublished: 2024-03-{1 + i % 28:02d}\n---\n{text_of(i)}\n", encoding="utf-8")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def bench_backend(name: str, location: str | None, work: Path, corpus: Path, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"backend": name}
    settings = Settings(data_dir=work / f"data-{name}", database_url=location)
    pipeline = Pipeline(settings, embedder=HashEmbedder())
    t0 = time.perf_counter()
    report = pipeline.ingest([corpus])
    out["ingest_s"] = round(time.perf_counter() - t0, 2)
    out["ingest_articles"] = report.added
    out["ingest_chunks"] = report.chunks_embedded
    out["ingest_ms_per_article"] = round(1000 * out["ingest_s"] / max(1, report.added), 2)
    # A small daily-style ingest into the existing index: 10 new articles.
    write_corpus(work / f"day-{name}", 10, start=100_000)
    t0 = time.perf_counter()
    pipeline.ingest([work / f"day-{name}"])
    out["ingest_10_more_s"] = round(time.perf_counter() - t0, 2)

    rng = random.Random(7)
    asks: list[float] = []
    for i in range(args.questions):
        n = rng.randrange(args.articles)
        t0 = time.perf_counter()
        pipeline.ask(f"What did the report in story q{n} count?")
        asks.append(time.perf_counter() - t0)
    out["ask_p50_ms"], out["ask_p95_ms"] = pct(asks, 0.5), pct(asks, 0.95)

    state_location: Path | str = location or settings.state_path
    slack = SlackState(state_location)
    admits: list[float] = []
    for i in range(200):
        t0 = time.perf_counter()
        slack.admit([f"msg:C1:{i}", f"event:E{i}"], user=f"U{i % 7}", limit=10)
        admits.append(time.perf_counter() - t0)
    out["slack_admit_p50_ms"], out["slack_admit_p95_ms"] = pct(admits, 0.5), pct(admits, 0.95)
    sessions = SessionStore(state_location)
    conv = Conversation([Turn("q", "q", "a [1]", False, ["d"], ["T"], ["quote"])] * 4)
    saves: list[float] = []
    for i in range(200):
        t0 = time.perf_counter()
        sessions.save(f"slack:C1:{i}", conv)
        sessions.load(f"slack:C1:{i}")
        saves.append(time.perf_counter() - t0)
    out["session_save_load_p50_ms"] = pct(saves, 0.5)
    return out


SENTENCES_PER_CHUNK = 9  # about 700 characters, what a 160-wordpiece chunk of news text holds


def fill_state(state: StateDB, chunks: int, per_doc: int = 10) -> None:
    """Done documents and chunk texts written straight into the state (no vectors): what a new host finds."""
    docs = chunks // per_doc
    for start in range(0, docs, 500):
        with state.tx() as con:
            for n in range(start, min(docs, start + 500)):
                sentences = text_of(n, per_doc * SENTENCES_PER_CHUNK).split(". ")
                text = ". ".join(sentences)
                doc_id = document_id(text)
                k = SENTENCES_PER_CHUNK
                pieces = [". ".join(sentences[i * k:(i + 1) * k]) for i in range(per_doc)]
                chunk_list = [Chunk(doc_id, i, p, 0, len(p)) for i, p in enumerate(pieces)]
                article = Article(text=text, title=f"Story {n}", source="Wire", published="2024-03-01", path=f"/x/a{n}.md")
                state.add_doc(con, article, doc_id, chunk_list)
                state.put_source(con, article, doc_id)
            state.bump(con)


def database_bytes(state: StateDB, location: Path | str) -> int:
    """The state's size on disk: the SQLite file (and its WAL), or the schema's tables with indexes and TOAST."""
    if state.db.dialect == "sqlite":
        path = Path(location)
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    rows = state.read(
        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind = 'r'")
    return int(rows[0][0] or 0)  # type: ignore[call-overload]


def bench_bm25(name: str, location: Path | str, work: Path, chunks: int) -> dict[str, Any]:
    state = StateDB(location)
    t0 = time.perf_counter()
    fill_state(state, chunks)
    filled = time.perf_counter() - t0
    size = database_bytes(state, location)
    chars = state.read("SELECT avg(length(text)) FROM chunks")[0][0]
    index = Bm25Index(work / f"bm25-{name}-{chunks}")
    t0 = time.perf_counter()
    n = index.build(state.all_chunks(), state.generation(), seq=state.lexlog_max(), instance=state.instance)
    seconds = time.perf_counter() - t0
    state.close()
    bm25_bytes = sum(f.stat().st_size for f in index.folder.rglob("*") if f.is_file())
    return {"backend": name, "chunks": n, "bm25_mb": round(bm25_bytes / 1e6, 1), "chunk_chars": round(float(chars or 0)), "fill_s": round(filled, 1),
            "database_mb": round(size / 1e6, 1), "bytes_per_chunk": round(size / max(1, n)),
            "build_s": round(seconds, 1), "chunks_per_s": round(n / seconds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--bm25-chunks", default="20000")
    parser.add_argument("--out", type=Path, default=ROOT / "evals/reports/bench-state/report.json")
    args = parser.parse_args()

    from contextlib import ExitStack

    with tempfile.TemporaryDirectory(prefix="bench-state-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        server: Any = None
        if args.database_url is None:
            from postgres_server import postgres_server

            server = stack.enter_context(postgres_server())

        def pg_url() -> str:
            return server.new_url() if server is not None else str(args.database_url)

        write_corpus(work / "corpus", args.articles)
        # Warm up (imports, the tokenizer, Chroma's first client) outside the measured runs.
        write_corpus(work / "warm-corpus", 2, start=200_000)
        Pipeline(Settings(data_dir=work / "warm"), embedder=HashEmbedder()).ingest([work / "warm-corpus"])
        results: dict[str, Any] = {"articles": args.articles, "questions": args.questions, "backends": [], "bm25_fresh_host": []}
        for name, location in (("sqlite", None), ("postgresql", pg_url())):
            (work / name).mkdir()
            r = bench_backend(name, location, work / name, work / "corpus", args)
            results["backends"].append(r)
            print(json.dumps(r), flush=True)
        for chunks in (int(c) for c in args.bm25_chunks.split(",")):
            for name, loc in (("sqlite", work / f"bm25-{chunks}.db"), ("postgresql", pg_url())):
                r = bench_bm25(name, loc, work, chunks)
                r["estimated_100k_s"] = round(r["build_s"] * 100_000 / max(1, r["chunks"]), 1)
                results["bm25_fresh_host"].append(r)
                print(json.dumps(r), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
