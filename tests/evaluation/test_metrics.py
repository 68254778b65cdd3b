"""Metric functions against hand-computed values."""

from __future__ import annotations

import pytest

from bot.evaluation import metrics


def test_normalize_is_squad_style() -> None:
    assert metrics.normalize("The  Quick, brown FOX!") == "quick brown fox"
    assert metrics.normalize("“Squid Game” — an hit") == "squid game hit"
    assert metrics.normalize("$124.2 billion") == "1242 billion"


def test_exact_match_ignores_case_punctuation_articles_and_markers() -> None:
    assert metrics.exact_match("The Beijing Automotive Group. [1]", ["beijing automotive group"]) == 1.0
    assert metrics.exact_match("Beijing Automotive", ["Beijing Automotive Group"]) == 0.0
    assert metrics.exact_match("BAIC", ["Beijing Automotive Group", "BAIC"]) == 1.0


def test_token_f1_hand_computed() -> None:
    # pred tokens: xiaomi, talks, with, baic (4); gold: baic, motor (2); common: baic (1)
    # precision 1/4, recall 1/2 -> F1 = 2 * 0.125 / 0.75 = 1/3
    assert metrics.token_f1("Xiaomi talks with BAIC", ["BAIC Motor"]) == pytest.approx(1 / 3)
    # best over aliases: "BAIC" alone gives precision 1/4, recall 1 -> 0.4
    assert metrics.token_f1("Xiaomi talks with BAIC", ["BAIC Motor", "BAIC"]) == pytest.approx(0.4)
    assert metrics.token_f1("nothing shared", ["BAIC"]) == 0.0
    assert metrics.token_f1("", ["BAIC"]) == 0.0


def test_contains_needs_whole_words() -> None:
    assert metrics.contains("It held a 27.9% share [1].", ["27.9%"]) == 1.0
    assert metrics.contains("Made because of sales", ["US"]) == 0.0
    assert metrics.contains("Sales in the US rose", ["US"]) == 1.0


def test_contains_counts_only_answers_of_at_most_50_words() -> None:
    fifty = " ".join(["word"] * 49 + ["Tesla"])
    assert metrics.word_count(fifty + " [1] [2]") == 50
    assert metrics.contains(fifty + " [1]", ["Tesla"]) == 1.0
    assert metrics.contains(fifty + " more", ["Tesla"]) == 0.0


def test_answer_scores_abstention_and_unanswerable() -> None:
    assert metrics.answer_scores("I couldn't find that.", True, ["BYD"], True) == {
        "em": 0.0, "f1": 0.0, "contains": 0.0, "words": 0}
    assert metrics.answer_scores("BYD [1]", False, ["BYD"], True) == {
        "em": 1.0, "f1": 1.0, "contains": 1.0, "words": 1}
    assert metrics.answer_scores("BYD", False, [], False) == {"em": None, "f1": None, "contains": None, "words": 1}


def test_ranks_recall_and_reciprocal_rank() -> None:
    texts = ["nothing here", "still nothing", "BYD had 27.9%", "BYD again"]
    assert metrics.first_rank(texts, ["27.9%"]) == 3
    assert metrics.first_rank(texts, ["27.9%"], depth=2) is None
    assert metrics.first_rank(texts, ["Tesla"]) is None
    assert metrics.recall_at(3, 1) == 0.0
    assert metrics.recall_at(3, 4) == 1.0
    assert metrics.recall_at(None, 10) == 0.0
    assert metrics.reciprocal_rank(4) == 0.25
    assert metrics.reciprocal_rank(11) == 0.0
    assert metrics.reciprocal_rank(None) == 0.0


def test_percentile_matches_linear_interpolation() -> None:
    values = [10.0, 20.0, 30.0, 40.0, None]
    assert metrics.percentile(values, 50) == pytest.approx(25.0)
    # position 0.95 * 3 = 2.85 -> 30 + 0.85 * 10
    assert metrics.percentile(values, 95) == pytest.approx(38.5)
    assert metrics.percentile([], 50) is None
    assert metrics.percentile([7.0], 95) == 7.0


def test_evidence_hit_by_url_or_quote() -> None:
    passages = [{"url": "https://x.test/a/", "text": "Something else."},
                {"url": None, "article_id": "p.md", "text": "Chery, founded in 1997, is based in Anhui."}]
    assert metrics.evidence_hit(passages, ["https://x.test/a"])
    assert metrics.evidence_hit(passages, ["founded in 1997"])
    assert metrics.evidence_hit(passages, ["p.md"])
    assert not metrics.evidence_hit(passages, ["founded in 1998"])
    assert not metrics.evidence_hit(passages, [])


def test_citation_hits_and_resolved() -> None:
    cited = ["BYD had a 27.9% share.", "Tesla ranked third.", "GAC is state-owned."]
    assert metrics.citation_hits(cited, ["27.9%"], ["Tesla ranked third"]) == 2
    assert metrics.resolved("BYD [1] and Tesla [2].", [1, 2])
    assert not metrics.resolved("BYD [1] and Tesla [3].", [1, 2])
    assert not metrics.resolved("No markers at all.", [1])


def test_abstention_precision_recall() -> None:
    records = [
        {"answerable": False, "abstained": True},
        {"answerable": False, "abstained": False},
        {"answerable": True, "abstained": True},
        {"answerable": True, "abstained": False},
    ]
    assert metrics.abstention(records) == {"precision": 0.5, "recall": 0.5}
    assert metrics.abstention(records[2:]) == {"precision": None, "recall": None}


def _record(answerable: bool, abstained: bool, scores: dict, **kw: object) -> dict:
    return {"answerable": answerable, "abstained": abstained, "scores": scores, "citations": kw.get("citations", []),
            "evidence": kw.get("evidence", []), "timings_ms": kw.get("timings_ms", {})}


def test_summarize_hand_computed() -> None:
    records = [
        _record(True, False, {"em": 1.0, "f1": 1.0, "contains": 1.0, "words": 2, "rank": 1, "evidence_hit": True,
                              "citation_hits": 1, "resolved": True},
                citations=[{}], evidence=["q"], timings_ms={"retrieve": 10.0, "answer": 1.0, "total": 11.0}),
        _record(True, False, {"em": 0.0, "f1": 0.5, "contains": 1.0, "words": 6, "rank": 3, "evidence_hit": False,
                              "citation_hits": 1, "resolved": False},
                citations=[{}, {}], evidence=["q"], timings_ms={"retrieve": 30.0, "answer": 3.0, "total": 33.0}),
        _record(True, True, {"em": 0.0, "f1": 0.0, "contains": 0.0, "words": 0, "rank": None, "evidence_hit": False,
                             "citation_hits": 0, "resolved": False}),
        _record(False, True, {"em": None, "f1": None, "contains": None, "words": 0, "rank": None,
                              "evidence_hit": False, "citation_hits": 0, "resolved": False}),
    ]
    s = metrics.summarize(records, retrieval=True, citations=True)
    assert s["answer"] == {"em": pytest.approx(1 / 3, abs=1e-4), "f1": 0.5, "contains": pytest.approx(2 / 3, abs=1e-4)}
    assert s["retrieval"] == {"answer_recall@1": pytest.approx(1 / 3, abs=1e-4),
                              "answer_recall@4": pytest.approx(2 / 3, abs=1e-4),
                              "answer_recall@10": pytest.approx(2 / 3, abs=1e-4),
                              "mrr@10": pytest.approx((1 + 1 / 3) / 3, abs=1e-4)}
    assert s["citations"] == {"precision": pytest.approx(2 / 3, abs=1e-4), "resolved": 0.5}
    assert s["abstention"] == {"precision": 0.5, "recall": 1.0}
    assert s["latency_ms"]["retrieve_p50"] == 20.0
    assert s["latency_ms"]["total_p95"] == pytest.approx(31.9)
    assert s["extra"]["mean_answer_words"] == 4.0
    assert s["extra"]["evidence_hit_rate@10"] == 0.5
    assert s["extra"]["abstained_on_answerable"] == pytest.approx(1 / 3, abs=1e-4)


def test_summarize_leaves_null_what_a_dataset_cannot_fill() -> None:
    records = [_record(True, False, {"em": 1.0, "f1": 1.0, "contains": 1.0, "words": 1, "citation_hits": 0,
                                     "resolved": True})]
    s = metrics.summarize(records, retrieval=False, citations=False)
    assert set(s["retrieval"]) == {"answer_recall@1", "answer_recall@4", "answer_recall@10", "mrr@10"}
    assert all(v is None for v in s["retrieval"].values())
    assert s["citations"]["precision"] is None
    assert s["abstention"] == {"precision": None, "recall": None}
    assert s["latency_ms"]["total_p50"] is None


def test_a_yes_or_no_gold_is_met_by_the_answers_verdict_alone() -> None:
    assert metrics.contains("Yes: “Shares rose, no longer falling.” [1]", ["Yes"]) == 1.0
    assert metrics.contains("Yes: “Shares rose, no longer falling.” [1]", ["No"]) == 0.0  # the quote's "no" is no verdict
    assert metrics.contains("No, the article does not say so [2].", ["no"]) == 1.0
    assert metrics.contains("True. [1]", ["True"]) == 1.0 and metrics.contains("False. [1]", ["True"]) == 0.0
    assert metrics.contains("The passages do not say.", ["Yes"]) == 0.0
    assert metrics.contains("Yes, Xiaomi is in talks with BAIC [1].", ["BAIC"]) == 1.0  # other golds as before
