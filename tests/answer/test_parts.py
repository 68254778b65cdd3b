"""A compound question gets every part answered (bot/answer/parts.py, `question_parts` in question.py)."""

from __future__ import annotations

import pytest

from bot.answer.extractive import ExtractiveAnswerer
from bot.answer.parts import answered, merge
from bot.answer.question import question_parts
from bot.pipeline import Pipeline
from bot.schema import Citation, Reply


@pytest.mark.parametrize(("question", "parts"), [
    ("Which plant could Xiaomi buy a stake in, and why does it matter?",
     ["Which plant could Xiaomi buy a stake in?", "Why does it matter?"]),
    ("When was Chery established, and where is it based?", ["When was Chery established?", "Where is it based?"]),
    ("Who won the election and by how much?", ["Who won the election?", "By how much?"]),
    ("Who won and what did they say?", ["Who won?", "What did they say?"]),
    ("What did they buy and when?", ["What did they buy?", "When?"]),
    ("Who won? By how much?", ["Who won?", "By how much?"]),
])
def test_a_compound_question_is_split_into_the_questions_it_asks(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


@pytest.mark.parametrize("question", [
    "Who holds the Beijing Hyundai licence?",
    "How have Delaware birth moms found support and relief?",  # "and" joins two things asked about
    "Which companies and which brands were recalled?",  # a list, not two questions
    # a relative clause about the same one (MultiHop-RAG): "and who is also ..."
    "Who is the individual reported by TechCrunch as mentioned by The Verge, and who is also accused of fraud?",
    # two yes/no questions: MultiHop-RAG asks one verdict of such
    "Between the two reports, was there a change? Between the later two, is the reporting consistent?",
    "Does the TechCrunch article suggest X, and does The Verge say Y?",
    'What happened to "Smith, and how he won"?',  # inside a quoted title
    "Charlie Kirk was shot this week. Where did it happen?",  # a statement, then one question
    "What and where is the Beijing Hyundai No. 2 plant?",  # one question about one thing
])
def test_other_questions_are_one_part(question: str) -> None:
    assert question_parts(question) == [question]


def test_a_part_is_answered_by_the_kind_of_value_it_asks_or_by_its_own_words() -> None:
    parts = ["Which plant could Xiaomi buy a stake in?", "When does it plan to mass-produce cars?"]
    plant = "Xiaomi could buy a stake in the Beijing Hyundai No. 2 plant [1]."
    assert answered(parts[0], plant, parts[1:])
    assert not answered(parts[1], plant, parts[:1])  # no date in it
    assert answered(parts[1], "It plans to mass-produce cars in the first half of 2024 [2].", parts[:1])
    assert not answered("Why were the shares halted?", "The shares rose 10% in Shanghai [1].", [])
    assert answered("Why were the shares halted?", "The shares soared over 10%, causing a trading halt [1].", [])


def _cite(n: int, chunk: str, quote: str) -> Citation:
    return Citation(n, "a", "T", "S", "2022-08-26", None, None, quote, chunk)


def test_merge_numbers_the_second_answers_new_citations_after_the_first() -> None:
    first = Reply("Plant [1]. Licence [2].", False, [_cite(1, "c:1", "plant"), _cite(2, "c:2", "licence")])
    second = Reply("Again [1]. New [2].", False, [_cite(1, "c:2", "licence"), _cite(2, "c:5", "new")])
    merged = merge(first, second)
    assert merged.text == "Plant [1]. Licence [2]. Again [2]. New [3]."
    assert [(c.n, c.chunk_id) for c in merged.citations] == [(1, "c:1"), (2, "c:2"), (3, "c:5")]


def test_the_extractive_answer_to_a_two_part_question_quotes_both_parts(corpus_pipeline: Pipeline) -> None:
    p = corpus_pipeline
    question = "How much did BAIC Motor's shares rise, and why were BAIC BluePark's shares halted?"
    query = p.query(question, k=6)
    reply = ExtractiveAnswerer(p.embedder).answer(query, p.retrieve(query))
    assert "30.5%" in reply.text and "trading halt" in reply.text
    assert [c.n for c in reply.citations] == [1, 2]
    assert "30.5%" in reply.citations[0].quote and "trading halt" in reply.citations[1].quote
    text = reply.text
    assert text.index("30.5%") < text.index("[1]") < text.index("trading halt") < text.index("[2]")
    assert reply.check is not None
    assert [r["answered_by"] for r in reply.check["parts"]] == ["answer", "quote"]
    # One question alone is answered as before: one quote, no parts recorded.
    single = p.query("How much did BAIC Motor's shares rise?", k=6)
    alone = ExtractiveAnswerer(p.embedder).answer(single, p.retrieve(single))
    assert "30.5%" in alone.text and "trading halt" not in alone.text and (alone.check or {}).get("parts") is None
