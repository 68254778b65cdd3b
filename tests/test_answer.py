"""The extractive answerer and the citation formatter, on hand-made passages."""

from __future__ import annotations

from bot.answer import ExtractiveAnswerer, answer_type, content_terms, key_terms, split_context
from bot.chain import format_answer
from bot.embed import MiniLMEmbedder
from bot.schema import ABSTAIN_TEXT, Citation, Hit, Passage, Reply

TEXT_A = (
    "Acme Motors said on Tuesday it will build a battery plant in Ohio. "
    "The plant will cost $2.1 billion and open in 2025. "
    "Chief executive Jane Doe said the factory would employ 1,500 people."
)
TEXT_B = "Rival Zeta Cars reported record sales in March. Its shares rose 4% in Tokyo."


def _hits() -> list[Hit]:
    a = Passage("a:0", "a", TEXT_A, "https://example.com/acme", "Acme to build Ohio plant", "Example News", "2024-05-02",
                "https://example.com/acme", None, 0, len(TEXT_A))
    b = Passage("b:0", "b", TEXT_B, "https://example.com/zeta", "Zeta sales", "Example News", "2024-04-01",
                "https://example.com/zeta", None, 0, len(TEXT_B))
    return [Hit(a, 0.03), Hit(b, 0.02)]


def test_question_analysis() -> None:
    assert answer_type("How much will the plant cost?") == "money"
    assert answer_type("How much did the shares rise?") == "number"
    assert answer_type("What percentage of the market did Zeta hold?") == "percent"
    assert answer_type("What year did Acme debut?") == "year"
    assert answer_type("Which Ivy League school cut its fees?") == "name"
    assert answer_type("When will it open?") == "date"
    assert answer_type("Who runs Acme Motors?") == "name"
    assert answer_type("Why is it building?") == "thing"
    assert key_terms("Where will Acme Motors build in 2025?") == ["acme", "motor", "2025"]
    assert key_terms("Which Ivy League school will Acme Motors fund?") == ["acme", "motor"]  # the school is the answer
    assert content_terms("eliminate") == content_terms("eliminating")
    assert "talk" in content_terms("Who is Xiaomi talking to?")
    assert split_context("What would they buy? (Xiaomi BAIC)") == ("What would they buy?", "Xiaomi BAIC")


def test_answers_with_an_exact_quote_and_a_marker() -> None:
    reply = ExtractiveAnswerer().answer("How much will the Acme battery plant cost?", _hits())
    assert not reply.abstained
    assert "$2.1 billion" in reply.text and reply.text.endswith("[1]")
    assert reply.citations[0].quote in TEXT_A
    assert reply.citations[0].article_id == "https://example.com/acme"


def test_asks_for_a_date_gets_a_date_sentence() -> None:
    reply = ExtractiveAnswerer().answer("When will the Acme plant open?", _hits())
    assert "2025" in reply.text


def test_abstains_when_the_named_subject_is_absent() -> None:
    reply = ExtractiveAnswerer().answer("How much will the Toyota battery plant in Kentucky cost?", _hits())
    assert reply.abstained and reply.text == ABSTAIN_TEXT and not reply.citations


def test_abstains_when_no_sentence_has_the_kind_of_answer() -> None:
    # The passages say nothing about a price for Zeta Cars.
    reply = ExtractiveAnswerer().answer("How much did Zeta Cars pay for its new headquarters?", _hits()[1:])
    assert reply.abstained


def test_the_kind_of_number_asked_for_must_be_there() -> None:
    # A price needs money, a share needs a percentage: "No. 2" or "third-largest" are not answers.
    text = "Xiaomi may buy a stake in the Beijing Hyundai No. 2 plant. Zeta held the third-largest share of the market."
    p = Passage("c:0", "c", text, "u", "Plant talks", "News", "2024-05-01", "u", None, 0, len(text))
    assert ExtractiveAnswerer().answer("How much will Xiaomi pay for the stake in the plant?", [Hit(p, 0.1)]).abstained
    assert ExtractiveAnswerer().answer("What percentage of the market did Zeta hold?", [Hit(p, 0.1)]).abstained
    reply = ExtractiveAnswerer().answer("By what percentage did the shares of Zeta Cars rise?", _hits())
    assert not reply.abstained and "4%" in reply.text


def test_the_words_naming_what_is_asked_for_weigh_less_than_the_rest() -> None:
    text = ("The initiative is part of the Ivy League school's leadership campaign. "
            "Dartmouth College announced Tuesday it was eliminating student loans for undergraduates.")
    p = Passage("d:0", "d", text, "u", "College news", "News", "2024-05-01", "u", None, 0, len(text))
    reply = ExtractiveAnswerer().answer("Which Ivy League school announced it will eliminate student loans?", [Hit(p, 0.1)])
    assert reply.text.startswith("Dartmouth College announced")


def test_no_hits_is_an_abstention() -> None:
    assert ExtractiveAnswerer().answer("Who runs Acme?", []).abstained


def test_semantic_rerank_uses_the_real_model(minilm: MiniLMEmbedder) -> None:
    # "jobs" and "create" appear nowhere: the model has to see that "employ 1,500 people" answers it.
    reply = ExtractiveAnswerer(embedder=minilm).answer("How many jobs will the Acme factory create?", _hits())
    assert not reply.abstained
    assert "1,500 people" in reply.text


def test_formatter_drops_markers_to_nothing_and_renumbers() -> None:
    hits = _hits()
    sentence = "The plant will cost $2.1 billion and open in 2025."
    cit = Citation(4, "https://example.com/acme", "t", "s", "2024-05-02", "https://example.com/acme", None, sentence, "a:0")
    reply = Reply(f"It costs $2.1 billion [4] or so [9].", False, [cit])
    answer = format_answer("q", "q", hits, reply, {"answer": 1.0})
    assert answer.text == "It costs $2.1 billion [1] or so."
    assert [c.n for c in answer.citations] == [1]


def test_formatter_rejects_a_quote_that_is_not_in_the_passage() -> None:
    hits = _hits()
    fake = Citation(1, "https://example.com/acme", "t", "s", None, None, None, "Acme will close every plant.", "a:0")
    answer = format_answer("q", "q", hits, Reply("Acme will close every plant. [1]", False, [fake]), {})
    assert answer.abstained and answer.citations == [] and answer.text == ABSTAIN_TEXT
