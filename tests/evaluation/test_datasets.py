"""Dataset loaders on small files written here (never on ../shared/evaldata)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.errors import ReadError
from bot.evaluation.datasets import detect_format, load_baselines, load_dataset, pool_realtimeqa_articles
from dataset_files import make_multihop, make_rgb
from jsonl_files import write_jsonl

SEED = Path(__file__).resolve().parents[2] / "evals" / "seed.jsonl"


def test_jsonl_questions_turns_and_as_of(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "set.jsonl", [
        {"id": "a", "question": " Who? ", "answers": ["BAIC", "Beijing Automotive"], "as_of": "2022-08-30",
         "evidence": ["a quote"], "type": "who"},
        {"id": "b", "question": "What did Tesla pay?", "answerable": False},
        {"id": "c", "turns": [{"question": "Who is Xiaomi talking to?", "answers": ["BAIC"]},
                              {"question": "What would they buy?", "answers": ["a stake"]},
                              {"question": "For how much?", "answers": [], "answerable": False}]},
    ])
    ds = load_dataset(path)
    assert ds.format == "jsonl" and ds.name == "set"
    a, b, c = ds.cases
    assert a.question == "Who?" and a.turns[0].answers == ("BAIC", "Beijing Automotive")
    assert a.as_of == dt.date(2022, 8, 30) and a.turns[0].evidence == ("a quote",) and a.group == "who"
    assert not b.turns[0].answerable and b.turns[0].answers == ()
    assert [t.question for t in c.turns] == ["Who is Xiaomi talking to?", "What would they buy?", "For how much?"]
    assert [t.answerable for t in c.turns] == [True, True, False]
    assert len(load_dataset(path, limit=2).cases) == 2


def test_sample_spreads_over_the_whole_set(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    write_jsonl(path, [{"id": f"q{i}", "question": f"Question {i}?", "answers": ["a"]} for i in range(10)])
    assert [c.id for c in load_dataset(path, sample=4).cases] == ["q0", "q2", "q5", "q7"]
    assert [c.id for c in load_dataset(path, sample=4, limit=2).cases] == ["q0", "q2"]
    assert len(load_dataset(path, sample=50).cases) == 10


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"set\.jsonl:2: not valid JSON"),
        (json.dumps({"id": "x", "question": "Q?"}), r"set\.jsonl:2: an answerable question needs"),
        (json.dumps({"id": "x", "question": "", "answers": ["a"]}), r"set\.jsonl:2: 'question' must be"),
        (json.dumps({"id": "ok", "question": "Again?", "answers": ["a"]}), r"set\.jsonl:2: duplicate id 'ok'"),
        (json.dumps({"question": "Q?", "answers": ["a"], "as_of": "August"}), r"set\.jsonl:2: as_of"),
        (json.dumps({"question": "Q?", "answers": "a", "answerable": "yes"}), r"'answerable' must be true or false"),
        (json.dumps({"turns": []}), r"set\.jsonl:2: turns must be a non-empty list"),
    ],
)
def test_jsonl_errors_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"id": "ok", "question": "Fine?", "answers": ["yes"]}) + "\n" + line + "\n")
    with pytest.raises(ReadError, match=message):
        load_dataset(path)


def test_seed_set_is_well_formed() -> None:
    ds = load_dataset(SEED)
    turns = [t for c in ds.cases for t in c.turns]
    assert len(turns) >= 40
    assert sum(not t.answerable for t in turns) >= 10
    assert any(len(c.turns) > 1 for c in ds.cases)
    assert all(t.answers for t in turns if t.answerable)


def make_realtimeqa(root: Path) -> Path:
    """A tiny RealTime QA folder: 2 weeks of questions, gcs + gold articles and a baseline."""
    for sub in ("questions", "articles", "baselines"):
        (root / sub).mkdir(parents=True)
    write_jsonl(root / "questions" / "20220101_qa.jsonl.gz", [
        {"question_id": "20220101_0", "question_date": "2022/01/01", "question_source": "CNN",
         "question_sentence": "Which bridge reopened?", "choices": ["Old", "Lindqvist Bridge", "X", "Y"],
         "answer": ["1"], "evidence": 'It <a href="https://news.test/a#x">reopened</a>.'},
    ], gz=True)
    write_jsonl(root / "questions" / "20220108_qa.jsonl", [
        {"question_id": "20220108_0", "question_date": "2022/01/08", "question_source": "USA Today",
         "question_sentence": 'Who won the <a data-x="1" href="https://q.test/tag/race">Lindqvist  Race</a> &amp; '
                              "its prize?", "choices": ["Ann", "Tomas Reyes", "Bo", "Cy"], "answer": ["1"],
         "evidence": ""},
    ])
    write_jsonl(root / "articles" / "20220101_gcs.jsonl.gz", [
        {"question_id": "20220101_0", "search_result": [
            {"url": "https://www.news.test/a", "title": "Bridge", "text": "short", "authors": ["Al"],
             "publish_date": "2021/12/30"},
            {"url": "https://news.test/empty", "title": "Empty", "text": "", "authors": [], "publish_date": None},
        ]},
    ], gz=True)
    write_jsonl(root / "articles" / "20220108_gold.jsonl", [
        {"question_id": "20220108_0", "search_result": [
            {"url": "https://www.news.test/a", "text": "The Lindqvist Bridge reopened, the longer text.",
             "authors": [], "publish_date": None},
            {"url": "https://other.test/b", "text": "Tomas Reyes won.", "authors": [], "publish_date": "2022/01/07"},
        ]},
    ])
    write_jsonl(root / "baselines" / "gpt.jsonl.gz", [
        {"question_id": "20220101_0", "prediction": "the Lindqvist Bridge"},
        {"question_id": "20220108_0", "prediction": "Ann"},
    ], gz=True)
    return root


def test_realtimeqa_questions_baselines_and_pooled_articles(tmp_path: Path) -> None:
    root = make_realtimeqa(tmp_path / "rtqa")
    assert detect_format(root) == "realtimeqa"
    ds = load_dataset(root)
    assert [c.id for c in ds.cases] == ["20220101_0", "20220108_0"]
    first = ds.cases[0]
    assert first.question == "Which bridge reopened?" and first.turns[0].answers == ("Lindqvist Bridge",)
    assert first.as_of == dt.date(2022, 1, 1) and first.group == "CNN"
    assert first.turns[0].evidence == ("https://news.test/a",)
    # The quiz page's markup in a question is dropped: the question is what a reader sees.
    assert ds.cases[1].question == "Who won the Lindqvist Race & its prize?"
    assert ds.baselines == {"gpt": {"20220101_0": "the Lindqvist Bridge", "20220108_0": "Ann"}}
    articles = {a.url: a for a in ds.articles()}
    assert set(articles) == {"https://www.news.test/a", "https://other.test/b"}
    a = articles["https://www.news.test/a"]
    assert a.text == "The Lindqvist Bridge reopened, the longer text."  # the longest text of the url
    assert a.title == "Bridge" and a.author == "Al" and a.published == "2021-12-30" and a.source == "news.test"
    assert articles["https://other.test/b"].published == "2022-01-07"
    assert ds.articles() == pool_realtimeqa_articles(ds.article_files)


def test_realtimeqa_corpus_hash_follows_content(tmp_path: Path) -> None:
    root = make_realtimeqa(tmp_path / "rtqa")
    before = load_dataset(root).corpus_hash()
    assert load_dataset(root).corpus_hash() == before
    write_jsonl(root / "articles" / "20220115_gcs.jsonl", [
        {"question_id": "q", "search_result": [{"url": "https://n.test/c", "text": "New.", "publish_date": None}]},
    ])
    assert load_dataset(root).corpus_hash() != before


def test_multihop_gold_evidence_becomes_passages(tmp_path: Path) -> None:
    root = make_multihop(tmp_path / "mh")
    assert detect_format(root) == "multihop"
    ds = load_dataset(root)
    assert ds.given_passages
    answered, null = ds.cases
    assert answered.turns[0].answers == ("Yes",) and answered.group == "comparison_query"
    assert [p.text for p in answered.passages][0] == "The Lindqvist Bridge reopened on Monday."
    assert answered.passages[0].published == "2023-09-26" and answered.passages[0].source == "Port Times"
    assert not null.turns[0].answerable and null.passages == ()


def test_rgb_passages_and_aliases(tmp_path: Path) -> None:
    root = make_rgb(tmp_path / "rgb")
    assert detect_format(root) == "rgb"
    assert detect_format(root / "en_fact.jsonl.gz") == "rgb"
    ds = load_dataset(root)
    first, second = ds.cases
    kinds = sorted(p.chunk_id.split(":")[1].rstrip("0123456789") for p in first.passages)
    assert kinds == ["fake", "fake", "noise", "noise", "true", "true"]
    assert first.fake_answers == ("Lake Town",)
    assert second.turns[0].answers == ("May 1 2020", "1 May 2020")
    assert [p.chunk_id for p in load_dataset(root).cases[0].passages] == [p.chunk_id for p in first.passages]


def test_detect_format_errors(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="cannot tell the dataset format"):
        detect_format(tmp_path)
    with pytest.raises(ReadError, match="no such file"):
        detect_format(tmp_path / "missing.jsonl")
    with pytest.raises(ReadError, match="unknown dataset format 'csv'"):
        load_dataset(tmp_path, "csv")


def test_baseline_names_keep_their_dots_and_files_do_not_replace_each_other(tmp_path: Path) -> None:
    root = make_realtimeqa(tmp_path / "rtqa")
    folder = root / "baselines"
    write_jsonl(folder / "vendor_model-4.6_gcs_gen.jsonl", [{"question_id": "20220101_0", "prediction": "Lindqvist"}])
    write_jsonl(folder / "vendor_model-4.6_gen.jsonl.gz", [{"question_id": "20220108_0", "prediction": None}], gz=True)
    write_jsonl(folder / "v1.2.3.jsonl", [{"question_id": "20220101_0", "prediction": "Old Bridge"}])
    (folder / "notes.txt").write_text("not a baseline")
    (folder / "v1.2.3.jsonl.bak").write_text("not a baseline either")
    ds = load_dataset(root)
    assert ds.baselines == {
        "gpt": {"20220101_0": "the Lindqvist Bridge", "20220108_0": "Ann"},
        "vendor_model-4.6_gcs_gen": {"20220101_0": "Lindqvist"},  # covers one question, not both
        "vendor_model-4.6_gen": {"20220108_0": ""},  # a null prediction: covered, predicted nothing
        "v1.2.3": {"20220101_0": "Old Bridge"},
    }


def test_two_files_of_one_baseline_name_are_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "baselines"
    write_jsonl(folder / "model-4.6.jsonl", [{"question_id": "a", "prediction": "x"}])
    write_jsonl(folder / "model-4.6.jsonl.gz", [{"question_id": "b", "prediction": "y"}], gz=True)
    with pytest.raises(ReadError, match=r"model-4\.6\.jsonl.*baseline 'model-4\.6' is also .*model-4\.6\.jsonl"):
        load_baselines(folder)


def test_a_question_predicted_twice_differently_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "baselines"
    write_jsonl(folder / "m.jsonl", [{"question_id": "a", "prediction": "x"}, {"question_id": "b", "prediction": "y"},
                                     {"question_id": "a", "prediction": "x"}, {"question_id": "a", "prediction": "z"}])
    with pytest.raises(ReadError, match=r"m\.jsonl:4: question_id 'a' was already predicted differently on line 1"):
        load_baselines(folder)
    write_jsonl(folder / "m.jsonl", [{"question_id": "a"}])
    with pytest.raises(ReadError, match=r"m\.jsonl:1: expected \{question_id, prediction\}"):
        load_baselines(folder)
    assert load_baselines(tmp_path / "absent") == {}


def test_the_run_scores_a_baseline_only_on_the_questions_it_covers(tmp_path: Path) -> None:
    from bot.evaluation.runner import _baseline_records

    root = make_realtimeqa(tmp_path / "rtqa")
    write_jsonl(root / "baselines" / "partial-1.5.jsonl", [{"question_id": "20220108_0", "prediction": "Tomas Reyes"}])
    ds = load_dataset(root)
    records = _baseline_records(ds, ds.baselines["partial-1.5"])
    assert [(r["id"], r["scores"]["contains"]) for r in records] == [("20220108_0", 1.0)]  # not 1 of 2
    assert [r["id"] for r in _baseline_records(ds, ds.baselines["gpt"])] == ["20220101_0", "20220108_0"]
