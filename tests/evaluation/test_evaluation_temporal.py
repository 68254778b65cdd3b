"""The temporal set (issue 18): its loader, its per-question scores, the report's `temporal` section,
and the gate's [temporal] floors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import ReadError
from bot.evaluation.datasets import Expect, detect_format, load_dataset
from bot.evaluation.gate import split_floors
from bot.evaluation.metrics import mentions, temporal_scores, temporal_summary

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_set_is_a_temporal_set_over_its_own_corpus() -> None:
    dataset = load_dataset(ROOT / "evals" / "temporal.jsonl")
    assert dataset.format == "temporal" and dataset.own_corpus
    assert len(dataset.cases) >= 50
    articles = dataset.articles()
    assert len(articles) >= 40 and all(a.title and a.source and a.published and a.url for a in articles)
    assert len({a.source for a in articles}) >= 5 and len({a.published for a in articles}) >= 30
    kinds = {c.group for c in dataset.cases}
    assert {"wire", "revision", "correction", "disagreement", "list", "count", "timeline", "as_of"} <= kinds
    dates = {a.published for a in articles}
    for case in dataset.cases:
        assert case.expect is not None
        assert set(case.expect.dates) <= dates, case.id  # every expected citation date is an article's
        if case.group == "as_of":
            assert case.as_of is not None, case.id
    assert sum(1 for c in dataset.cases if c.expect and c.expect.disagree) >= 3


def test_a_temporal_set_needs_its_corpus_folder(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"question": "Q?", "answers": ["a"], "newest": ["a"]}) + "\n", encoding="utf-8")
    assert detect_format(path) == "temporal"
    with pytest.raises(ReadError, match=r"mine/, which does not exist"):
        load_dataset(path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "a.md").write_text("---\ntitle: A\npublished: 2025-01-02\n---\nText.\n", encoding="utf-8")
    assert load_dataset(path).article_files == (tmp_path / "mine" / "a.md",)
    path.write_text(json.dumps({"question": "Q?", "answers": ["a"], "dates": ["soon"]}) + "\n", encoding="utf-8")
    with pytest.raises(ReadError, match="is not a YYYY-MM-DD date"):
        load_dataset(path)


def test_values_are_matched_by_amount_and_dates_are_not_amounts() -> None:
    assert mentions("As of 4 March 2025, it raised €21m [1]", "21 million euros")
    assert not mentions("As of 4 March 2025, it raised 12 million euros", "4")  # the 4 is a day
    assert mentions("Sources disagree: 41% [1]; 47 per cent [2]", "47%")
    assert not mentions("grew 14 percent", "1.4%")
    assert mentions("Tomas Reyl was appointed", "Tomas Reyl")


def test_temporal_scores_and_summary() -> None:
    expect = Expect(newest=("50 million dollars",), older=("15 million dollars",), dates=("2023-08-02", "2023-08-01"))
    good = temporal_scores("As of 2 August 2023, it raised 50 million dollars [1] Earlier: 15 million dollars [2]",
                           False, ["50 million dollars"], expect, [("2023-08-02", "q"), ("2023-08-01", "q")])
    assert (good["accuracy"], good["newest"], good["older"], good["dates"]) == (1.0, 1.0, 1.0, 1.0)
    old = temporal_scores("It raised 15 million dollars [1]", False, ["50 million dollars"], expect, [("2023-08-01", "q")])
    assert (old["accuracy"], old["newest"], old["older"], old["dates"]) == (0.0, 0.0, 1.0, 0.5)
    split = Expect(disagree=True)
    flagged = temporal_scores("Sources disagree: A says 3,000 [1]; B says 5,000 [2]", False, ["3,000", "5,000"], split, [])
    silent = temporal_scores("About 3,000 joined [1]", False, ["3,000", "5,000"], split, [])
    assert flagged["accuracy"] == 1.0 and flagged["flagged"] and silent["accuracy"] == 0.0 and not silent["flagged"]
    listing = Expect(items=(("Brenmoor",), ("Okafor",), ("Halden",)))
    partial = temporal_scores("- Brenmoor cut jobs [1]\n- Pinecrest hires [2]", False, ["Brenmoor"], listing,
                              [("2025-04-07", "Brenmoor cut jobs"), ("2025-04-15", "Pinecrest hires")])
    assert partial["list_recall"] == pytest.approx(1 / 3) and partial["list_precision"] == 0.5
    wrong_flag = temporal_scores("Sources disagree: 15 or 50", False, ["50 million dollars"], expect, [])
    records = [{"scores": {"temporal": s}} for s in (good, old, flagged, silent, partial, wrong_flag)]
    summary = temporal_summary(records)
    assert summary is not None and summary["n"] == 6
    assert summary["newest_given"] == pytest.approx(1 / 3, abs=1e-4)  # of the three questions with a newest value
    assert summary["disagreement_recall"] == 0.5 and summary["disagreement_precision"] == 0.5
    assert temporal_summary([{"scores": {}}]) is None


def test_the_gate_measures_temporal_floors_on_the_temporal_set() -> None:
    seed, temporal = split_floors({"answer.contains": 0.7, "temporal.accuracy": 0.8})
    assert seed == {"answer.contains": 0.7} and temporal == {"temporal.accuracy": 0.8}
