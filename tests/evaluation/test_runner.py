"""The runner end to end on small synthetic datasets (real model, real Chroma, real pipeline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.chunking import document_id
from bot.embed import MiniLMEmbedder
from bot.evaluation.datasets import load_dataset
from bot.evaluation.runner import run_dataset
from bot.settings import Settings
from jsonl_files import write_jsonl

SCHEMA = {
    "answer": {"em", "f1", "contains"},
    "retrieval": {"answer_recall@1", "answer_recall@4", "answer_recall@10", "mrr@10"},
    "citations": {"precision", "resolved"},
    "abstention": {"precision", "recall"},
    "latency_ms": {"retrieve_p50", "retrieve_p95", "answer_p50", "answer_p95", "total_p50", "total_p95"},
}

BRIDGE = ("The Lindqvist Bridge in Port Avery reopened on Monday after a two-year repair that cost 48 million "
          "dollars. Mayor Celia Marsh cut the ribbon in front of a crowd of about 3,000 people.")
FESTIVAL = ("Orchard Valley's annual apple festival crowned grower Tomas Reyes as champion on Saturday. Judges "
            "praised his Honeycrisp apples, and Reyes said he would donate the prize to the village school.")
ROBOT = ("The city of Brennick announced on June 20 that its new library robot, named Pip, will sort returned "
         "books overnight. Librarian Osei Mensah said Pip can shelve 900 books an hour.")


def make_realtimeqa(root: Path) -> Path:
    """3 articles (one gold), 3 questions asked as of mid-June, one baseline file."""
    for sub in ("questions", "articles", "baselines"):
        (root / sub).mkdir(parents=True)
    questions = [
        ("0", "Which bridge reopened in Port Avery after a two-year repair?",
         ["the Golden Gate", "the Lindqvist Bridge", "Tower Bridge", "the Brooklyn Bridge"], "1",
         'The <a href="https://news.test/bridge">bridge</a> reopened.'),
        ("1", "Who was crowned champion of the Orchard Valley apple festival?",
         ["Celia Marsh", "Osei Mensah", "Tomas Reyes", "Anna Berg"], "2", ""),
        # Its answer is only in an article published after the question date: out of reach as of then.
        ("2", "What is the name of Brennick's new library robot?", ["Pip", "Robo", "Dot", "Max"], "0", ""),
    ]
    write_jsonl(root / "questions" / "20220617_qa.jsonl.gz", [
        {"question_id": f"20220617_{i}", "question_date": "2022/06/15", "question_source": "CNN",
         "question_url": "", "question_sentence": q, "choices": c, "answer": [a], "evidence": e}
        for i, q, c, a, e in questions
    ], gz=True)
    write_jsonl(root / "articles" / "20220617_gcs.jsonl.gz", [
        {"question_id": "20220617_0", "search_time": "", "search_result": [
            {"url": "https://news.test/bridge", "title": "Lindqvist Bridge reopens", "text": BRIDGE,
             "authors": ["Ann Lee"], "publish_date": "2022/06/13"},
            {"url": "https://news.test/robot", "title": "Brennick library robot", "text": ROBOT,
             "authors": [], "publish_date": "2022/06/20"}]},
    ], gz=True)
    write_jsonl(root / "articles" / "20220617_gold.jsonl.gz", [
        {"question_id": "20220617_1", "search_result": [
            {"url": "https://news.test/festival", "text": FESTIVAL, "authors": [], "publish_date": "2022/06/12"}]},
    ], gz=True)
    write_jsonl(root / "baselines" / "guess.jsonl.gz", [
        {"question_id": "20220617_0", "prediction": "Lindqvist Bridge"},
        {"question_id": "20220617_1", "prediction": "Anna Berg"},
        {"question_id": "20220617_2", "prediction": "The robot is called Pip."},
    ], gz=True)
    return root


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def _schema_ok(report: dict) -> None:
    for section, keys in SCHEMA.items():
        assert set(report[section]) == keys, section
    assert {"dataset", "n", "config", "baselines", "extra"} <= set(report)
    for name, b in report["baselines"].items():
        assert set(b) == {"em", "f1", "contains"}, name


def test_realtimeqa_run_builds_a_cached_index_and_scores_baselines(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    root = make_realtimeqa(tmp_path / "rtqa-mini")
    dataset = load_dataset(root)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "no-corpus")
    out = tmp_path / "out"
    result = run_dataset(dataset, settings, out=out, embedder=embedder, progress=False)
    report = result.report
    _schema_ok(report)
    assert report["n"] == 3 and report["dataset"] == "rtqa-mini"
    index = tmp_path / "data" / "eval" / f"rtqa-mini-{dataset.corpus_hash()}"
    assert index.is_dir() and (index / "chroma").is_dir()
    assert report["extra"]["ingest"]["articles"] == 3 and report["extra"]["ingest"]["chunks_embedded"] > 0
    # Baselines are scored by the same code: EM 1/3 (only "Lindqvist Bridge" is exact), contains 2/3,
    # F1 (1 + 0 + 0.4) / 3: "robot is called pip" against "pip" has precision 1/4, recall 1.
    assert report["baselines"]["guess"] == {"em": 0.3333, "f1": 0.4667, "contains": 0.6667}
    records = {r["id"]: r for r in result.records}
    robot_doc = document_id(ROBOT)
    # as_of = question date: the robot article (published later) is never retrieved.
    assert all(not cid.startswith(robot_doc) for r in result.records for cid in r["retrieved"])
    assert records["20220617_2"]["scores"]["rank"] is None
    assert records["20220617_0"]["scores"]["rank"] is not None and records["20220617_1"]["scores"]["rank"] is not None
    assert report["retrieval"]["answer_recall@10"] == 0.6667
    assert records["20220617_0"]["scores"]["evidence_hit"] is True
    assert report["extra"]["evidence_hit_rate@10"] == 1.0
    assert records["20220617_0"]["as_of"] == "2022-06-15" and records["20220617_0"]["gold"] == ["the Lindqvist Bridge"]
    assert records["20220617_1"]["baselines"]["guess"] == {"prediction": "Anna Berg", "contains": 0.0}
    for name in ("report.json", "report.md", "results.jsonl", "chart.png"):
        assert (out / name).exists(), name
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "report.json").read_text()) == report
    assert len((out / "results.jsonl").read_text().splitlines()) == 3
    md = (out / "report.md").read_text()
    assert "| guess | 0.333 |" in md and "## Retrieval" in md
    # Every speed figure of the report says which CPU it was measured on.
    cpu = report["config"]["cpu"]
    assert cpu["cpu_model"] and f"CPU: {cpu['cpu_model']} ({cpu['cpu_id']};" in md.splitlines()[2]

    again = run_dataset(load_dataset(root, limit=2), settings, embedder=embedder, progress=False)
    assert again.report["extra"]["ingest"]["chunks_embedded"] == 0  # the cached index is reused
    assert again.report["n"] == 2 and again.report["config"]["limit"] is None


def test_both_pipelines_in_one_run(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    root = make_realtimeqa(tmp_path / "rtqa-mini")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "no-corpus")
    out = tmp_path / "out"
    result = run_dataset(load_dataset(root), settings, pipeline="both", out=out, embedder=embedder, progress=False)
    _schema_ok(result.report)
    assert set(result.report["baselines"]) == {"guess", "naive"}
    naive = json.loads((out / "naive" / "report.json").read_text())
    assert naive["config"]["pipeline"] == "naive" and naive["config"]["top_k"] == 4
    assert result.report["baselines"]["naive"] == naive["answer"]
    # The naive pipeline has no date filter: the later robot article is retrievable for it.
    assert naive["retrieval"]["answer_recall@10"] == 1.0
    assert result.report["extra"]["baseline_detail"]["naive"]["retrieval"] == naive["retrieval"]
    assert "naive" in (out / "report.md").read_text()


def make_jsonl_world(tmp_path: Path) -> tuple[Settings, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bridge.md").write_text(f"---\ntitle: Lindqvist Bridge reopens\npublished: 2022-06-13\n---\n{BRIDGE}\n")
    (corpus / "festival.md").write_text(f"---\ntitle: Apple festival\npublished: 2022-06-12\n---\n{FESTIVAL}\n")
    questions = tmp_path / "set.jsonl"
    write_jsonl(questions, [
        {"id": "mayor", "question": "Who cut the ribbon at the reopened Lindqvist Bridge?", "answers": ["Celia Marsh"]},
        {"id": "moon", "question": "How much did the Port Avery moon base cost?", "answers": [], "answerable": False},
        {"id": "talk", "turns": [
            {"question": "Who won the Orchard Valley apple festival?", "answers": ["Tomas Reyes"]},
            {"question": "What will he do with the prize?", "answers": ["donate the prize to the village school"]}]},
    ], gz=False)
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus), questions


def test_jsonl_run_ingests_the_corpus_when_the_index_is_empty(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    settings, questions = make_jsonl_world(tmp_path)
    result = run_dataset(load_dataset(questions), settings, embedder=embedder, progress=False)
    report = result.report
    _schema_ok(report)
    assert report["extra"]["ingest"]["articles"] == 2
    assert [r["id"] for r in result.records] == ["mayor", "moon", "talk#1", "talk#2"]
    follow = result.records[3]
    assert follow["turn"] == 2 and follow["case"] == "talk"
    assert follow["standalone_query"] != follow["question"]  # the conversation made it stand alone
    assert report["abstention"]["recall"] is not None
    assert result.records[1]["scores"]["em"] is None and result.records[1]["scores"]["rank"] is None
    second = run_dataset(load_dataset(questions), settings, embedder=embedder, progress=False)
    assert second.report["extra"]["ingest"] is None  # the index was not empty: nothing ingested

    naive = run_dataset(load_dataset(questions), settings, pipeline="naive", embedder=embedder, progress=False)
    assert naive.report["extra"]["ingest"]["articles"] == 2
    assert naive.records[3]["standalone_query"] == naive.records[3]["question"]  # no memory in the tutorial


def test_multihop_and_rgb_hand_passages_to_the_answerer(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    from dataset_files import make_multihop, make_rgb

    settings = Settings(data_dir=tmp_path / "data")
    mh = run_dataset(load_dataset(make_multihop(tmp_path / "mh")), settings, embedder=embedder, progress=False)
    _schema_ok(mh.report)
    assert all(v is None for v in mh.report["retrieval"].values())
    assert mh.report["citations"]["precision"] is None  # the cited passages are the gold evidence itself
    null = mh.records[1]
    assert null["abstained"] and null["answer_chunks"] == []
    assert mh.report["abstention"]["recall"] == 1.0
    assert mh.records[0]["answer_chunks"] == ["mh0:0", "mh0:1"]
    assert set(mh.report["extra"]["groups"]) == {"comparison_query", "null_query"}

    rgb = run_dataset(load_dataset(make_rgb(tmp_path / "rgb")), settings, embedder=embedder, progress=False)
    cf = rgb.report["extra"]["counterfactual"]
    assert cf is not None
    parts = cf["true_only"] + cf["fake_only"] + cf["both"] + cf["abstained"] + cf["neither"]
    assert parts == pytest.approx(1.0, abs=1e-3)
    for r in rgb.records:
        assert len(r["answer_chunks"]) in (2 + 2 + 2, 1 + 1)
        assert isinstance(r["scores"]["follows_fake"], bool)


def test_unknown_pipeline_is_refused(tmp_path: Path) -> None:
    from bot.errors import ConfigError

    settings, questions = make_jsonl_world(tmp_path)
    with pytest.raises(ConfigError, match="unknown pipeline 'fancy'; valid: default, naive, closed, both, all"):
        run_dataset(load_dataset(questions), settings, pipeline="fancy")


def test_all_puts_the_naive_pipeline_and_the_closed_book_model_beside_ours(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    from openai_fake import OpenAIFake, Step

    settings, questions = make_jsonl_world(tmp_path)
    with OpenAIFake([Step(reply="Celia Marsh cut the ribbon [1].")]) as fake:
        llm = settings.with_(answerer="llm", llm="openai:gpt-test", llm_base_url=fake.base_url)
        result = run_dataset(load_dataset(questions), llm, pipeline="all", embedder=embedder, progress=False,
                             out=tmp_path / "out")
        prompts = [json.dumps(r.body["messages"]) for r in fake.requests]
    assert {"naive", "closed-book"} <= set(result.report["baselines"])
    assert (tmp_path / "out" / "closed" / "report.json").exists()
    closed = json.loads((tmp_path / "out" / "closed" / "results.jsonl").read_text().splitlines()[0])
    assert closed["citations"] == [] and closed["retrieved"] == []
    assert closed["answer"].startswith("Celia Marsh")
    # The closed-book questions went to the model without any passage.
    closed_prompts = [p for p in prompts if "from your own knowledge" in p]
    assert len(closed_prompts) == len(result.records)
    assert not any("PASSAGE" in p for p in closed_prompts)
    assert result.records[0]["baselines"]["closed-book"]["prediction"].startswith("Celia Marsh")


def test_a_models_answers_are_scored_stage_by_stage(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    from openai_fake import OpenAIFake, Step

    # The model answers every question with the same sentence: right for the ribbon question (read,
    # written, kept), written but dropped by the claim check for the festival (the passages do not say
    # Celia Marsh won it), and what it read holds the festival's winner all the same.
    settings, questions = make_jsonl_world(tmp_path)
    with OpenAIFake([Step(reply="Celia Marsh cut the ribbon [1].")]) as fake:
        llm = settings.with_(answerer="llm", llm="openai:gpt-test", llm_base_url=fake.base_url)
        result = run_dataset(load_dataset(questions), llm, embedder=embedder, progress=False, out=tmp_path / "out")
    scores = {r["id"]: r["scores"] for r in result.records}
    assert {k: scores["mayor"][k] for k in ("model_read", "model_wrote", "check_kept")} == {
        "model_read": True, "model_wrote": True, "check_kept": True}
    assert scores["talk#1"]["model_read"] is True and scores["talk#1"]["model_wrote"] is False
    assert "model_read" not in scores["moon"]  # unanswerable: no gold to look for
    stages = result.report["extra"]["stages"]
    assert list(stages)[-4:] == ["model_read", "model_wrote", "check_kept", "answer_contains"]
    assert stages["model_wrote"] == pytest.approx(1 / 3, abs=1e-3) and stages["answer_contains"] == pytest.approx(
        sum(bool(s["contains"]) for s in scores.values() if s["em"] is not None) / 3, abs=1e-3)
    report_md = (tmp_path / "out" / "report.md").read_text()
    assert "## Answer stages" in report_md and "model_read" in report_md


def test_closed_book_needs_a_generative_answerer(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    from bot.errors import ConfigError

    settings, questions = make_jsonl_world(tmp_path)
    with pytest.raises(ConfigError, match="closed-book run needs a generative answerer"):
        run_dataset(load_dataset(questions), settings.with_(answerer="extractive"), pipeline="closed",
                    embedder=embedder, progress=False)
