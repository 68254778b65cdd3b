"""`newsbot bench` end to end in a real subprocess, on a tiny RealTime QA folder written here.

The sizes are small so that it runs in a few minutes; what it checks is that every phase runs on
the real parts (both pipelines' ingest, the fp32 and int8 embedders, the grown index, the HNSW
recall test, fresh `newsbot ask` processes for the cold start) and that the report's figures are consistent with each other, not their values.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jsonl_files import write_jsonl


CITIES = ["Lisbon", "Tallinn", "Quito", "Hanoi", "Accra", "Perth", "Bergen", "Cusco", "Lyon", "Osaka"]
THINGS = ["bridge", "library", "tram line", "stadium", "harbour", "museum", "airport", "market", "park", "tower"]


def make_dataset(root: Path, n: int = 10) -> Path:
    """n articles of a few paragraphs, one question about each, in the RealTime QA layout."""
    questions, articles = [], []
    for i in range(n):
        city, thing = CITIES[i], THINGS[i]
        qid = f"2022010{1 + i % 7}_{i}"
        text = " ".join(
            f"The {thing} in {city} was rebuilt by engineer number {i * 7 + j} during the year {2000 + j}. "
            f"Officials in {city} said the work on the {thing} cost {j + 2} million euros and took {j + 3} years."
            for j in range(12)
        )
        articles.append({"question_id": qid, "search_result": [
            {"url": f"https://news.test/{i}", "title": f"{city} {thing} reopens", "text": text,
             "authors": [], "publish_date": f"2021/12/{10 + i}"}]})
        questions.append({"question_id": qid, "question_date": "2022/01/10", "question_source": "Test",
                          "question_sentence": f"Which {thing} reopened in {city}?",
                          "choices": [thing, "none", "other", "all"], "answer": ["0"], "evidence": ""})
    write_jsonl(root / "questions" / "20220110_qa.jsonl", questions)
    write_jsonl(root / "articles" / "20220110_gcs.jsonl", articles)
    return root


@pytest.mark.slow
def test_bench_runs_every_phase_and_writes_consistent_reports(tmp_path: Path) -> None:
    dataset = make_dataset(tmp_path / "rtqa")
    out, work = tmp_path / "out", tmp_path / "work"
    env = {**os.environ, "NEWSBOT_EMBEDDER": "minilm-int8", "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
           "NEWSBOT_CHROMA_SHARD_CHUNKS": "250"}
    cmd = [sys.executable, "-m", "bot.cli", "bench", str(dataset), "--quick", "--articles", "8", "--questions", "4",
           "--embed-texts", "12", "--sizes", "300,700", "--server-size", "0", "--recall-size", "600",
           "--hnsw", "16:100", "--ef-search", "16,64", "--build-step", "400", "--out", str(out), "--workdir", str(work)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())

    fp32, int8 = report["embed"]["embedders"]["minilm"], report["embed"]["embedders"]["minilm-int8"]
    assert fp32["chunks_per_s_best"] > 0 and int8["chunks_per_s_best"] > 0
    assert int8["speedup_best"] == pytest.approx(int8["chunks_per_s_best"] / fp32["chunks_per_s_best"], rel=1e-3)
    assert 0.95 < report["embed"]["cosine"]["mean"] <= 1.0001

    rows = {(r["pipeline"], r["embedder"]): r for r in report["ingest"]}
    naive, ours = rows[("naive", "minilm")], rows[("ours", "minilm-int8")]
    assert naive["articles"] == ours["articles"] == 8
    assert ours["chunks"] > 0 and naive["chunks"] > 0
    assert ours["x_naive_articles_per_s"] == pytest.approx(ours["articles_per_s"] / naive["articles_per_s"], rel=1e-3)

    sizes = report["sizes"]
    assert [r["size"] for r in sizes] == [300, 700]
    assert 300 <= sizes[0]["chunks"] < sizes[1]["chunks"]
    assert len(sizes[1]["build"]["steps"]) == 1  # grown from the 300-chunk index, not rebuilt
    assert sizes[1]["build"]["steps"][0]["shards"] >= -(-sizes[1]["chunks"] // 250)  # shards of at most 250 chunks
    for r in sizes:
        for step in ("embed_query_ms", "dense_ms", "dense_chroma_filter_ms", "bm25_ms", "retrieve_ms", "ask_ms"):
            assert 0 < r[step]["p50"] <= r[step]["p95"], (step, r[step])

    recall = report["recall"]
    assert {r["ef_search"] for r in recall} == {16, 64}
    assert all(0.0 <= r["recall_at_10"] <= 1.0 for r in recall)
    by_ef = {r["ef_search"]: r["recall_at_10"] for r in recall}
    assert by_ef[64] >= by_ef[16]

    assert len(report["cold"]["runs"]) == 2  # --quick: one fresh `ask` process per cold-start question
    assert report["cold"]["index"]["reused"] and report["cold"]["index"]["chunks"] == ours["chunks"]

    md = (out / "report.md").read_text()
    assert "## Cold start" in md
    assert "## Ingest, same articles" in md and "## Query latency by corpus size" in md and "## Build steps" in md and "## HNSW recall@10" in md
    assert (out / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_bench_cold_phase_times_fresh_ask_processes(tmp_path: Path) -> None:
    dataset = make_dataset(tmp_path / "rtqa", n=4)
    out, work = tmp_path / "out", tmp_path / "work"
    env = {**os.environ, "NEWSBOT_ANSWERER": "extractive", "NEWSBOT_EMBEDDER": "minilm",
           "NEWSBOT_DATA_DIR": str(tmp_path / "data")}
    cmd = [sys.executable, "-m", "bot.cli", "bench", str(dataset), "--quick", "--articles", "4", "--questions", "2",
           "--skip", "embed,ingest,sizes,server,recall", "--out", str(out), "--workdir", str(work)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())

    assert set(report) >= {"cold", "machine"} and not {"embed", "ingest", "sizes", "server", "recall"} & set(report)
    assert report["machine"]["cpu_model"]
    cold = report["cold"]
    assert cold["runs_per_question"] == 1 and len(cold["runs"]) == 2  # --quick: one run of each question
    assert cold["index"]["articles"] == 4 and cold["index"]["chunks"] > 0 and "reused" not in cold["index"]
    assert not list(work.rglob("*.gguf"))  # the extractive answerer: the local model is not assembled
    assert [q["kind"] for q in cold["questions"]] == ["answered", "unanswered"]
    for run in cold["runs"]:
        assert run["answerer"] == "extractive" and run["answered_by"] == "extractive"
        assert run["answer"].strip()
        assert 0 < run["timings_ms"]["retrieve"] <= run["timings_ms"]["total"]
        assert run["wall_s"] >= run["timings_ms"]["total"] / 1000  # the process outlives its answer
        assert run["startup_s"] == pytest.approx(run["wall_s"] - run["timings_ms"]["total"] / 1000, abs=0.01)
        assert run["model"] == {} and "answer_rest_ms" not in run  # no model: no token counters
        assert run["peak_rss_mb"] > 50 and run["cpu_s"] > 0
    answered = cold["questions"][0]
    assert answered["why"] == "its gold answer is in an ingested article"  # the made-up set has no evidence urls
    assert cold["runs"][0]["citations"] > 0
    assert cold["wall_s"]["max"] == max(r["wall_s"] for r in cold["runs"])
    assert cold["within_target"] == (cold["wall_s"]["max"] <= cold["target_s"])

    md = (out / "report.md").read_text()
    assert "## Cold start: fresh `newsbot ask --json QUESTION` processes" in md
    assert "| answered: Which " in md and "| unanswered: " in md


def test_cold_start_reads_which_answerer_auto_resolved_to(tmp_path: Path) -> None:
    from bot.evaluation.bench_cold import answerer_from_note
    from bot.pipeline import resolve_answerer
    from bot.settings import Settings

    name, note = resolve_answerer(Settings(data_dir=tmp_path, answerer="auto"))
    assert answerer_from_note(f"newsbot: {note}\n", "auto") == name
    assert answerer_from_note("", "extractive") == "extractive"  # a named answerer prints no note
