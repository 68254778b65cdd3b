"""`newsbot bench`: ingest throughput and memory, query latency by corpus size, Chroma server, HNSW recall, cold start.

One run measures, each step in a child process of its own (so peak RSS is per step and one step's
memory never counts against another):

- embed:  fp32 MiniLM (torch) vs the int8 ONNX export on the same chunks: chunks/s, cosine;
- ingest: our pipeline vs the naive LangChain pipeline on the same articles: articles/s, chunks/s,
          peak RSS, and query latency on the index each built;
- sizes:  one index grown through our real ingest code to each corpus size, then retrieval and
          `ask` latency p50/p95 at that size (optionally the same against a `chroma run` server);
- recall: HNSW recall@10 against exact search, for several HNSW settings;
- cold:   fresh `newsbot ask --json QUESTION` processes with the configured answerer on a small index:
          wall seconds from process start to exit, and where they go (the answer's own timings).

Corpus: the pooled articles of a RealTime QA folder (passed as an argument, never a repository
file). The first N (seeded shuffle) are ingested for real; their chunk vectors form the pool. Larger
sizes re-ingest those articles as copies with varied urls; a copy's chunk vectors are the real
vector of the same chunk plus Gaussian noise (cosine about 0.89 to it), renormalised, because
embedding a million chunks is not feasible on two cores. The report says so, with the numbers.

This module is the command and the parent process; the phases run in bot/evaluation/bench_runs.py,
the corpus and its vectors are bot/evaluation/bench_corpus.py, the report bot/evaluation/bench_report.py.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.evaluation.bench_cold import COLD_TARGET_S, cold_ask, cold_summary
from bot.evaluation.bench_corpus import cold_questions, corpus_digest, corpus_note, load_articles, load_questions
from bot.evaluation.bench_report import chart, render_markdown
from bot.evaluation.bench_runs import share_local_model
from bot.evaluation.chroma_server import chroma_server
from bot.evaluation.report import cpu_info
from bot.settings import Settings

DEFAULT_OUT = Path("evals/reports/bench")
DEFAULT_WORK = Path("evals/reports/tmp/bench")


# --- command line ------------------------------------------------------------------------------


def register_cli(subparsers: Any) -> None:
    """Add the `bench` command."""
    p = subparsers.add_parser(
        "bench", help="measure ingest, query latency by corpus size, Chroma server, HNSW recall, cold start")
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
    p.add_argument("--cold-runs", type=int,
                   help="fresh `newsbot ask` processes per cold-start question (default 3; quick 1; 0: skip)")
    p.add_argument("--skip", default="", help="phases to skip: embed,ingest,sizes,server,recall,cold")
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
    plan["cold_runs"] = (1 if quick else 3) if args.cold_runs is None else args.cold_runs
    embedders = args.ingest_embedders.split(",") if args.ingest_embedders else list(
        dict.fromkeys([settings.embedder, "minilm-int8"])
    )
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    work: Path = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    dataset = args.dataset.resolve()
    base = {"dataset": str(dataset), "n_articles": plan["articles"], "embedder": settings.embedder}
    questions = load_questions(dataset, plan["questions"])
    corpus_key = corpus_digest(dataset, plan["articles"], settings)
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
    built: dict[str, Any] | None = None  # our pipeline's index of the articles, when this run built it
    if "ingest" in report and "ingest" not in report["carried"]:
        built = next((r for r in report["ingest"] if r["pipeline"] == "ours" and r["embedder"] == settings.embedder), None)
    need_pool = ("sizes" not in skip and plan["sizes"]) or ("recall" not in skip and plan["recall_size"])
    if need_pool and not pool_file.exists():
        built = _child("ingest", {**base, "pipeline": "ours", "record_pool": str(pool_file), "questions": [],
                                  "cache_dir": str(work / "models"),
                                  "data_dir": str(work / f"ingest-ours-{settings.embedder}"), "fresh": True})
    if need_pool:
        report["corpus"] = corpus_note(pool_file, plan)
    if plan["sizes"]:
        phase("sizes", lambda: _sizes(plan, base, work, pool_file, corpus_key, questions, bool(args.rebuild)))
    if plan["server_size"]:
        phase("server", lambda: _server(plan, base, work, pool_file, questions, report.get("sizes") or []))
    if plan["recall_size"]:
        phase("recall", lambda: _recall(plan, base, work, pool_file, questions, settings))
    if plan["cold_runs"]:
        phase("cold", lambda: _cold(plan, base, work, settings, built))
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
        chart(report, out / "latency.png")
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


def _cold(plan: dict[str, Any], base: dict[str, Any], work: Path, settings: Settings,
          built: dict[str, Any] | None) -> dict[str, Any]:
    """Index the bench's articles (or take the index this run's ingest `built` of them), then time fresh
    `newsbot ask --json` processes on it."""
    local = settings.answerer in ("local", "auto")  # `auto` is the local model where it is installed
    if built is not None:
        data_dir, index = work / f"ingest-ours-{settings.embedder}", {**built, "reused": True}
        if local:
            share_local_model(work / "models", data_dir / "models")
    else:
        data_dir = work / f"cold-{settings.embedder}"
        index = _child("ingest", {**base, "pipeline": "ours", "questions": [], "cache_dir": str(work / "models"),
                                  "data_dir": str(data_dir), "fresh": True, "share_local_model": local})
    asked = cold_questions(Path(base["dataset"]), load_articles(Path(base["dataset"]), plan["articles"]))
    env = {**os.environ, "PYTHONPATH": _pythonpath(), "NEWSBOT_DATA_DIR": str(data_dir),
           "NEWSBOT_EMBEDDER": settings.embedder, "NEWSBOT_ANSWERER": settings.answerer}
    runs: list[dict[str, Any]] = []
    for n in range(plan["cold_runs"]):  # the questions alternate: load on the machine hits both alike
        for q in asked:
            print(f"bench: cold run {n + 1} ({q['kind']})", file=sys.stderr, flush=True)
            runs.append({"kind": q["kind"], "run": n + 1, **cold_ask(q["question"], env, settings.answerer)})
    questions = []
    for q in asked:
        mine = [r for r in runs if r["kind"] == q["kind"]]
        questions.append({**q, **cold_summary(mine), "answer": mine[0]["answer"]})
    wall = cold_summary(runs)["wall_s"]
    return {"command": "newsbot ask --json QUESTION", "answerer_setting": settings.answerer,
            "embedder": settings.embedder, "runs_per_question": plan["cold_runs"],
            "index": {k: index[k] for k in ("articles", "chunks", "seconds", "wall_s", "reused") if k in index},
            "wall_s": wall, "target_s": COLD_TARGET_S, "within_target": wall["max"] <= COLD_TARGET_S,
            "questions": questions, "runs": runs}


def _pythonpath() -> str:
    """This checkout first on PYTHONPATH, so child processes run this code."""
    root = str(Path(__file__).resolve().parents[2])
    return os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)


def _child(phase: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its last stdout line is the JSON result."""
    print(f"bench: {phase} {_brief(spec)}", file=sys.stderr, flush=True)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": _pythonpath(), "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.run([sys.executable, "-m", "bot.evaluation.bench_runs", "--worker", phase, json.dumps(spec)],
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


def _store_hnsw() -> dict[str, Any]:
    from bot.store import HNSW

    return dict(HNSW)


def _machine() -> dict[str, Any]:
    versions = {}
    for pkg in ("chromadb", "onnxruntime", "torch", "sentence-transformers", "langchain-chroma", "bm25s", "llama_cpp_python"):
        try:
            from importlib.metadata import version

            versions[pkg] = version(pkg)
        except Exception:  # noqa: BLE001 - a missing package is just not listed
            continue
    return {"cpus": os.cpu_count(), **cpu_info(), "platform": platform.platform(), "python": platform.python_version(),
            "load_before": os.getloadavg(), "versions": versions}




if __name__ == "__main__":
    raise SystemExit(main())
