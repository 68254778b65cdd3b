"""report.json / report.md / chart, `eval compare` and the gate's floors, on hand-made results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError, ReadError
from bot.evaluation.compare import compare, format_comparison
from bot.evaluation.gate import check, format_checks, load_thresholds, split_floors
from bot.evaluation.report import (
    add_pipeline_baseline,
    build_report,
    chart_series,
    load_report,
    markdown,
    write_outputs,
)

CONFIG = {"pipeline": "default", "format": "jsonl", "answerer": "extractive", "embedder": "minilm", "top_k": 5}


def _temporal_record() -> dict:
    rec = _rec("t", "As of 2 May 2025, X raised 50 million dollars [1]", group="wire")
    rec["scores"]["temporal"] = {"accuracy": 1.0, "newest": 1.0, "older": 0.0, "disagree": False, "flagged": False,
                                 "list_recall": None, "list_precision": None, "dates": 1.0}
    return rec


def _rec(qid: str, answer: str, *, abstained: bool = False, answerable: bool = True, contains: float | None = 1.0,
         rank: int | None = 1, group: str = "who") -> dict:
    scores = {"em": contains, "f1": contains, "contains": contains, "words": len(answer.split()),
              "rank": rank, "evidence_hit": False, "citation_hits": 1 if contains else 0,
              "resolved": not abstained, "correct": bool(contains) if answerable else abstained}
    if not answerable:
        scores.update(em=None, f1=None, contains=None, rank=None)
    return {"id": qid, "question": f"question {qid}?", "answer": answer, "abstained": abstained,
            "answerable": answerable, "group": group, "citations": [] if abstained else [{"n": 1}],
            "evidence": [], "scores": scores, "timings_ms": {"retrieve": 10.0, "answer": 2.0, "total": 12.0}}


RECORDS = [
    _rec("a", "BYD [1]"),
    _rec("b", "Tesla ranked third [1]", contains=0.0, rank=3),
    _rec("c", "I couldn't find that.", abstained=True, answerable=False, group="unanswerable"),
]
BASELINE = [
    {"id": "a", "answerable": True, "abstained": False, "scores": {"em": 1.0, "f1": 1.0, "contains": 1.0, "words": 1}},
    {"id": "b", "answerable": True, "abstained": False, "scores": {"em": 0.0, "f1": 0.5, "contains": 1.0, "words": 4}},
    {"id": "c", "answerable": False, "abstained": False,
     "scores": {"em": None, "f1": None, "contains": None, "words": 2}},
]


def test_report_has_the_documented_schema_with_nulls() -> None:
    report = build_report("mini", RECORDS, CONFIG, retrieval=True, citations=True, baselines={"file": BASELINE})
    assert report["dataset"] == "mini" and report["n"] == 3 and report["config"] == CONFIG
    assert report["answer"] == {"em": 0.5, "f1": 0.5, "contains": 0.5}
    assert report["retrieval"] == {"answer_recall@1": 0.5, "answer_recall@4": 1.0, "answer_recall@10": 1.0,
                                   "mrr@10": 0.6667}
    assert report["citations"] == {"precision": 0.5, "resolved": 1.0}
    assert report["abstention"] == {"precision": 1.0, "recall": 1.0}
    assert report["latency_ms"]["total_p95"] == 12.0
    assert report["baselines"] == {"file": {"em": 0.5, "f1": 0.75, "contains": 1.0}}
    assert report["extra"]["baseline_detail"]["file"] == {
        "n": 2, "questions": 3, "mean_answer_words": 2.3333, "retrieval": None,
        "newsbot": {"em": 0.5, "f1": 0.5, "contains": 0.5},  # the file covers every question: ours in full
    }
    assert report["extra"]["groups"]["who"] == {"n": 2, "em": 0.5, "f1": 0.5, "contains": 0.5, "abstained": 0.0}
    assert report["extra"]["counterfactual"] is None
    assert report["extra"]["check"] is None  # the extractive answerer has no claim check

    no_retrieval = build_report("mini", RECORDS, CONFIG, retrieval=False, citations=False)
    assert no_retrieval["retrieval"] == dict.fromkeys(report["retrieval"])
    assert no_retrieval["citations"]["precision"] is None and no_retrieval["baselines"] == {}


def test_the_claim_checks_work_is_summarised() -> None:
    checked = [
        {**RECORDS[0], "check": {"removed_markers": 1, "dropped_sentences": [{"sentence": "x", "reason": "unsupported"}],
                                 "kept": 1, "fallback": False, "model_abstained": False}},
        {**RECORDS[1], "check": {"removed_markers": 0, "dropped_sentences": [], "kept": 0, "fallback": True,
                                 "model_abstained": False}},
        {**RECORDS[2], "check": {"removed_markers": 0, "dropped_sentences": [], "kept": 0, "fallback": False,
                                 "model_abstained": True}},
        {**RECORDS[2], "check": {"removed_markers": 0, "dropped_sentences": [], "kept": 0, "fallback": False,
                                 "model_abstained": False, "unfound_names": ["NIO"]}},
        {**RECORDS[1], "check": {"removed_markers": 0, "dropped_sentences": [], "kept": 1, "fallback": True,
                                 "model_abstained": False, "not_asked": {"kind": "date", "answer": "x [1]"}}},
    ]
    report = build_report("mini", checked, CONFIG, retrieval=True, citations=True)
    assert report["extra"]["check"] == {
        "answers_checked": 5, "answers_with_a_sentence_removed": 1, "share_with_a_sentence_removed": 0.2,
        "sentences_removed": 1, "sentences_kept": 2, "markers_removed": 1, "fell_back_to_extractive": 2,
        "model_said_not_found": 1, "names_not_in_passages": 1, "value_asked_not_stated": 1,
    }


def test_the_models_reading_and_writing_speed_is_summarised(tmp_path: Path) -> None:
    base = {"removed_markers": 0, "dropped_sentences": [], "kept": 1, "fallback": False, "model_abstained": False}
    timed = [
        {**RECORDS[0], "check": {**base, "model": {"prompt_tokens": 600, "prompt_ms": 15000.0,
                                                   "generated_tokens": 20, "generation_ms": 2000.0}}},
        {**RECORDS[1], "check": {**base, "model": {"prompt_tokens": 200, "prompt_ms": 5000.0,
                                                   "generated_tokens": 10, "generation_ms": 1000.0}}},
        {**RECORDS[2], "check": base},  # an answer with no counters (e.g. a provider that sends none)
    ]
    report = build_report("mini", timed, CONFIG, retrieval=True, citations=True)
    # Tokens per second are totals over totals: 800 tokens in 20 s, 30 tokens in 3 s.
    assert report["extra"]["model"] == {"answers": 2, "prompt_tokens_mean": 400.0, "prompt_tokens_per_s": 40.0,
                                        "generated_tokens_mean": 15.0, "generated_tokens_per_s": 10.0}
    write_outputs(tmp_path, report, timed)
    assert "| 2 | 400.000 | 40.000 | 15.000 | 10.000 |" in (tmp_path / "report.md").read_text()
    assert build_report("mini", RECORDS, CONFIG, retrieval=True, citations=True)["extra"]["model"] is None
    # The local model says whether its weights were repacked at load (llama.cpp's extra buffer types), and
    # the report says it beside the speeds, with the CPU they were measured on.
    cpu = {"cpu_model": "AMD EPYC", "cpu_id": "cpu family 26 model 2 stepping 1", "cpu_flags": ["avx2", "avx512f"]}
    for flags, said in (((0.0, 0.0), "off"), ((1.0, 1.0), "on"), ((1.0, 0.0), "mixed")):
        marked = [{**r, "check": {**r["check"], "model": {**r["check"]["model"], "repacked": f}}}
                  for r, f in zip(timed[:2], flags)]
        report = build_report("mini", marked, {**CONFIG, "cpu": cpu}, retrieval=True, citations=True)
        assert report["extra"]["model"]["weights_repacked"] == said
    write_outputs(tmp_path, report, marked)
    text = (tmp_path / "report.md").read_text()
    assert "| 2 | 400.000 | 40.000 | 15.000 | 10.000 | mixed |" in text
    assert "CPU: AMD EPYC (cpu family 26 model 2 stepping 1; avx2, avx512f)." in text


def test_outputs_markdown_and_chart(tmp_path: Path) -> None:
    report = build_report("mini", RECORDS, CONFIG, retrieval=True, citations=True, baselines={"file": BASELINE})
    other = build_report("mini", RECORDS[:1], {**CONFIG, "pipeline": "naive"}, retrieval=True, citations=True)
    add_pipeline_baseline(report, "naive", other)
    assert report["baselines"]["naive"] == {"em": 1.0, "f1": 1.0, "contains": 1.0}
    write_outputs(tmp_path, report, RECORDS)
    md = (tmp_path / "report.md").read_text()
    assert "| newsbot (default) | 0.500 | 0.500 | 0.500 |" in md
    assert "| file | 0.500 | 0.750 | 1.000 | 2.333 | 2 | 0.500 / 0.500 / 0.500 |" in md
    assert "| naive | 1.000 | 1.000 | 1.000 | 1.000 |" in md  # naive's retrieval row
    assert "| retrieve | 10 | 10 |" in md
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert load_report(tmp_path) == json.loads(json.dumps(report))
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "b", "c"]
    with pytest.raises(ReadError, match="no report here"):
        load_report(tmp_path / "nowhere")


def _folder(path: Path, records: list[dict]) -> Path:
    write_outputs(path, build_report("mini", records, CONFIG, retrieval=True, citations=True), records)
    return path


def test_compare_lists_metric_deltas_and_flipped_questions(tmp_path: Path) -> None:
    a = _folder(tmp_path / "a", RECORDS)
    b = _folder(tmp_path / "b", [_rec("a", "Nope [1]", contains=0.0), _rec("b", "Tesla, third [1]"), RECORDS[2]])
    c = compare(a, b)
    assert [x["id"] for x in c.fixed] == ["b"] and [x["id"] for x in c.broken] == ["a"]
    rows = {name: (va, vb) for name, va, vb in c.rows}
    assert rows["retrieval.answer_recall@1"] == (0.5, 1.0)
    text = format_comparison(c, "a", "b")
    assert "flipped to right in B: 1; flipped to wrong in B: 1" in text
    assert "retrieval.answer_recall@1" in text and "+0.500" in text


def test_eval_compare_command(tmp_path: Path) -> None:
    a = _folder(tmp_path / "a", RECORDS)
    b = _folder(tmp_path / "b", [_rec("a", "Nope [1]", contains=0.0), RECORDS[1], RECORDS[2]])
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "eval", "compare", str(a), str(b)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert "answer.contains" in proc.stdout and "-0.500" in proc.stdout
    assert "wrong in B, right in A:" in proc.stdout and "question a?" in proc.stdout
    missing = subprocess.run([sys.executable, "-m", "bot.cli", "eval", "compare", str(a), str(tmp_path / "x")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and "no report here" in missing.stderr


def test_thresholds_and_checks(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[answer]\ncontains = 0.5\n[retrieval]\n"answer_recall@4" = 0.9\n[abstention]\nrecall = 0.2\n')
    floors = load_thresholds(path)
    assert floors == {"answer.contains": 0.5, "retrieval.answer_recall@4": 0.9, "abstention.recall": 0.2}
    report = {"answer": {"contains": 0.5}, "retrieval": {"answer_recall@4": 0.85}, "abstention": {"recall": None}}
    checks = check(report, floors)
    assert [c.passed for c in checks] == [True, False, False]
    text = format_checks(checks)
    assert "FAIL retrieval.answer_recall@4" in text and "missing" in text and "1/3 floors met - FAILED" in text
    with pytest.raises(ConfigError, match="does not have"):
        check(report, {"answer.nonsense": 0.1})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[answers]\ncontains = 0.5\n", r"unknown table \[answers\]"),
        ("[answer]\ncontains = 1.5\n", "must be a number from 0 to 1"),
        ("[answer\n", "not valid TOML"),
        ("", "no floors defined"),
    ],
)
def test_threshold_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_thresholds(path)
    with pytest.raises(ConfigError, match="not found"):
        load_thresholds(tmp_path / "none.toml")


def test_shipped_thresholds_name_real_metrics() -> None:
    shipped = Path(__file__).resolve().parents[2] / "evals" / "thresholds.toml"
    seed, temporal = split_floors(load_thresholds(shipped))
    report = build_report("seed", RECORDS, CONFIG, retrieval=True, citations=True)
    assert len(check(report, seed)) == len(seed) >= 5
    # The [temporal] floors are measured on the temporal set's report, which has that section.
    temporal_report = build_report("temporal", [_temporal_record()], CONFIG, retrieval=True, citations=True)
    assert len(check(temporal_report, temporal)) == len(temporal) >= 5


def _many(n: int) -> list[dict]:
    """n answerable questions q0..q{n-1}: ours right on the even ones, and one unanswerable."""
    out = [_rec(f"q{i}", "x [1]", contains=1.0 if i % 2 == 0 else 0.0) for i in range(n)]
    return out + [_rec("u", "I couldn't find that.", abstained=True, answerable=False, group="unanswerable")]


def _baseline(ids: list[str], right: set[str]) -> list[dict]:
    return [{"id": i, "answerable": i != "u", "abstained": False,
             "scores": {"em": None, "f1": None, "contains": None, "words": 1} if i == "u" else
             {"em": float(i in right), "f1": float(i in right), "contains": float(i in right), "words": 1}}
            for i in ids]


def test_a_partial_baseline_is_scored_on_its_own_questions_beside_ours_on_the_same(tmp_path: Path) -> None:
    records = _many(12)  # ours: contains 6/12 over all, but 4/4 on q0, q2, q4, q6 and 0/4 on the odd ones
    even = ["q0", "q2", "q4", "q6"]
    odd = ["q1", "q3", "q5", "q7", "u"]
    baselines = {
        "vendor_model-4.6_gcs_gen": _baseline(even, right={"q0", "q2"}),  # 2 of its 4: 0.5, not 2/12
        "vendor_model-4.6_gen": _baseline(odd, right={"q1", "q3", "q5"}),
        "everything": _baseline([f"q{i}" for i in range(12)] + ["u"], right={"q0"}),
    }
    report = build_report("mini", records, CONFIG, retrieval=True, citations=True, baselines=baselines)
    assert report["answer"]["contains"] == 0.5
    assert set(report["baselines"]) == set(baselines), "names with dots are kept whole"
    gcs, gen = (report["extra"]["baseline_detail"][k] for k in ("vendor_model-4.6_gcs_gen", "vendor_model-4.6_gen"))
    assert report["baselines"]["vendor_model-4.6_gcs_gen"]["contains"] == 0.5
    assert (gcs["n"], gcs["questions"], gcs["newsbot"]["contains"]) == (4, 4, 1.0)
    assert report["baselines"]["vendor_model-4.6_gen"]["contains"] == 0.75
    assert (gen["n"], gen["questions"], gen["newsbot"]["contains"]) == (4, 5, 0.0)
    full = report["extra"]["baseline_detail"]["everything"]
    assert report["baselines"]["everything"]["contains"] == round(1 / 12, 4)
    assert (full["n"], full["newsbot"]) == (12, report["answer"])
    md = markdown(report)
    assert "| vendor_model-4.6_gcs_gen | 0.500 | 0.500 | 0.500 | 1.000 | 4 | 1.000 / 1.000 / 1.000 |" in md
    assert "| vendor_model-4.6_gen | 0.750 | 0.750 | 0.750 | 1.000 | 4 | 0.000 / 0.000 / 0.000 |" in md
    assert "| everything | 0.083 | 0.083 | 0.083 | 1.000 | 12 | 0.500 / 0.500 / 0.500 |" in md
    # The chart pairs each partial baseline with newsbot on its questions; a full one needs no pair.
    labels = [label for label, _ in chart_series(report)]
    assert labels == ["newsbot (default), n=12", "vendor_model-4.6_gcs_gen, n=4",
                      "newsbot on the same 4 as vendor_model-4.6_gcs_gen", "vendor_model-4.6_gen, n=4",
                      "newsbot on the same 4 as vendor_model-4.6_gen", "everything, n=12"]
    values = [v for _, v in chart_series(report)]
    assert values[1][:3] == [0.5, 0.5, 0.5] and values[2][:3] == [1.0, 1.0, 1.0]
    assert values[3][:3] == [0.75, 0.75, 0.75] and values[4][:3] == [0.0, 0.0, 0.0]
    write_outputs(tmp_path, report, records)
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"


def test_a_baseline_is_scored_only_on_questions_asked_in_the_run() -> None:
    # A --limit run asks fewer questions than a baseline file covers: the rest are not in either score.
    records = _many(4)
    report = build_report("mini", records, CONFIG, retrieval=True, citations=True,
                          baselines={"b": _baseline([f"q{i}" for i in range(10)], right={"q1", "q8", "q9"})})
    assert report["baselines"]["b"]["contains"] == 0.25
    assert report["extra"]["baseline_detail"]["b"]["n"] == 4
