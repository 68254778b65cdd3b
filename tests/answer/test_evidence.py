"""The evidence stage: candidate answers scored by the articles that state them, the shortlist a reply
lists, follow-ups answered from a sentence already given, and the harness's answer-stage figures."""

from __future__ import annotations

from bot.answer.evidence import Candidate, answer_terms, shortlist, with_support
from bot.answer.extractive import ExtractiveAnswerer
from bot.evaluation.metrics import stages
from bot.schema import Hit, Passage, Query


def _passage(doc: str, text: str, outlet: str = "Wire") -> Passage:
    return Passage(f"{doc}:0", doc, text, f"https://example.com/{doc}", f"Story {doc}", outlet, "2025-03-01")


def test_a_name_other_articles_state_gains_support_and_ranks_first() -> None:
    hits = [Hit(_passage("a", "The prize went to Nio on Friday."), 0.9),
            Hit(_passage("b", "Judges gave the prize to Li Auto."), 0.8),
            Hit(_passage("c", "Li Auto said it was proud of the prize.", "Post"), 0.7),
            Hit(_passage("d", "Shares in Li Auto rose after the prize.", "Times"), 0.6)]
    question = {"who", "won", "prize"}
    assert answer_terms("The prize went to Nio on Friday.", question) == {"nio"}
    cands = [Candidate(i, 0, len(h.passage.text), h.passage.text, score, 0.5)
             for i, (h, score) in enumerate(zip(hits, (0.60, 0.58, 0.30, 0.30)))]
    ranked = with_support(cands, hits, question)
    assert [c.hit_index for c in ranked][:2] == [1, 0]  # Li Auto: two other articles say it; Nio: none
    assert ranked[0].support == 2 and ranked[1].support == 0
    assert ranked[0].evidence > ranked[1].evidence


def test_the_shortlist_keeps_one_candidate_per_passage_best_first() -> None:
    cands = [Candidate(0, 0, 5, "one", 0.9, 0.5), Candidate(0, 6, 9, "two", 0.8, 0.5),
             Candidate(1, 0, 5, "three", 0.7, 0.5, support=3), Candidate(2, 0, 5, "four", 0.1, 0.5)]
    assert [c.text for c in shortlist(cands, 2)] == ["three", "one"]  # 0.7 + 3 x 0.08 = 0.94 beats 0.9
    assert [c.text for c in shortlist(cands, 5)] == ["three", "one", "four"]


SHARES = _passage("s", "Chery is a carmaker based in Anhui. Chery, a state-owned enterprise, was established in 1997 "
                       "and held a 4.9% market share. GAC accounted for 4.2% of the market.")


def test_a_follow_up_may_be_answered_by_the_sentence_already_given() -> None:
    extractive = ExtractiveAnswerer()
    given = "Chery, a state-owned enterprise, was established in 1997 and held a 4.9% market share."
    hits = [Hit(SHARES, 1.0)]
    reply = extractive.answer(Query("When was it established?", carried=("Chery",), avoid=(given,)), hits)
    assert not reply.abstained and "1997" in reply.text
    # Asked for something else, the sentence already given is passed over.
    other = extractive.answer(Query("What else has a market share?", carried=("Chery",), avoid=(given,)), hits)
    assert not other.abstained and given not in other.text and "GAC" in other.text


def test_the_harness_reports_where_the_gold_answer_is_lost() -> None:
    def record(rank: int | None, contains: float, answerable: bool = True) -> dict[str, object]:
        return {"answerable": answerable, "candidates": ["x"], "scores": {"candidate_rank": rank, "contains": contains}}

    records = [record(1, 1.0), record(2, 0.0), record(None, 0.0), record(1, 0.0), record(None, 0.0, False)]
    assert stages(records) == {"candidate_recall": 0.75, "evidence@1": 0.5, "answer_contains": 0.25}
    assert stages([{**r, "candidates": []} for r in records]) is None  # no candidates weighed: no stages
    # A model's answers add what it read, wrote and kept after the claim check.
    read = [{**r, "scores": {**r["scores"], "model_read": k is not None, "model_wrote": k == 1, "check_kept": False}}
            for r, k in zip(records, (1, 2, None, 1, None))]
    assert stages(read) == {"candidate_recall": 0.75, "evidence@1": 0.5, "model_read": 0.75, "model_wrote": 0.5,
                            "check_kept": 0.0, "answer_contains": 0.25}
